"""/berita-acara: the printable Berita Acara Verifikasi an OPD signs and sends to BPJS."""
from flask import Blueprint

bp = Blueprint("berita_acara", __name__, url_prefix="/berita-acara")

from portal.berita_acara import views  # noqa: E402,F401  (registers the views)
