"""One person, one record: cross-OPD claims and likely duplicates with different NIKs."""
from flask import Blueprint

bp = Blueprint("duplicates", __name__)

from portal.duplicates import routes  # noqa: E402,F401
