"""The BPJS liaison's desk: record who is enrolled, lapsed or restored."""
from flask import Blueprint

bp = Blueprint("bpjs", __name__, url_prefix="/bpjs")

from portal.bpjs import routes  # noqa: E402,F401
