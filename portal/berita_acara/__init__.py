"""/berita-acara: the printable Berita Acara Verifikasi an OPD signs and sends to BPJS."""
from portal.berita_acara.views import bp as bp
