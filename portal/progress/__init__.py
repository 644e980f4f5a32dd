"""Progress over time: daily snapshots, targets, and the public progress page."""
from flask import Blueprint

bp = Blueprint("progress", __name__)

from portal.progress import routes  # noqa: E402,F401
