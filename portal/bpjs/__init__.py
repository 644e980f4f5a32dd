"""/bpjs: the BPJS liaison's desk — record who is enrolled, lapsed or restored, one by one or from
BPJS's own participant report."""
from portal.bpjs import file_views  # noqa: F401  (their views join bp)
from portal.bpjs.views import bp as bp
