"""Data out and back: exports, BPJS's participant file, the offline decision spreadsheet."""
from flask import Blueprint

bp = Blueprint("transfer", __name__)

from portal.transfer import routes  # noqa: E402,F401
