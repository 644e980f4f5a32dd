"""/ganda: likely duplicates — one person listed twice under different NIKs."""
from flask import Blueprint

bp = Blueprint("duplicates", __name__, url_prefix="/ganda")

from portal.duplicates import views  # noqa: E402,F401  (registers the views)
