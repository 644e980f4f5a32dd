"""/bpjs: the BPJS liaison's desk — record who is enrolled, lapsed or restored, one by one or from
BPJS's own participant report."""
from flask import Blueprint

bp = Blueprint("bpjs", __name__, url_prefix="/bpjs")

from portal.bpjs import file_views, views  # noqa: E402,F401  (registers the views)
