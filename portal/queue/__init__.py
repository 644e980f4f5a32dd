"""/antrian: the verifier's queue — an OPD's names decided one by one, in bulk or offline in a
spreadsheet, and one worker's page."""
from flask import Blueprint

bp = Blueprint("queue", __name__, url_prefix="/antrian")

from portal.queue import bulk_views, sheet_views, views, worker_views  # noqa: E402,F401
