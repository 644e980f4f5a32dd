"""The account pages at the root of the site: home (/), login (/masuk), logout (/keluar), own
password (/sandi) and the interface language (/bahasa)."""
from portal.auth import language_views  # noqa: F401  (their views join bp)
from portal.auth.views import bp as bp
