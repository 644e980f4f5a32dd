"""The account pages at the root of the site: home (/), login (/masuk), logout (/keluar), own
password (/sandi) and the interface language (/bahasa)."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import language_views, views  # noqa: E402,F401  (registers the views)
