"""The verifier's queue: an OPD's names, decided one by one or in bulk."""
from flask import Blueprint

bp = Blueprint("queue", __name__, url_prefix="/antrian")

from portal.queue import bulk, detail, routes  # noqa: E402,F401
