"""/berita-acara: the printable Berita Acara Verifikasi an OPD signs and sends to BPJS."""
