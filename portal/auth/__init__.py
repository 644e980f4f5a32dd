"""The account pages at the root of the site: home (/), login (/masuk), logout (/keluar), own
password (/sandi) and the interface language (/bahasa)."""
