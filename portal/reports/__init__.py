"""Printable documents: the Berita Acara Verifikasi an OPD signs and sends to BPJS."""
from flask import Blueprint

bp = Blueprint("reports", __name__)

from portal.reports import routes  # noqa: E402,F401
