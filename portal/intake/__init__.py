"""/impor: getting the OPDs' lists in — upload, preview with a verdict per row, confirm."""
from flask import Blueprint

bp = Blueprint("intake", __name__, url_prefix="/impor")

from portal.intake import views  # noqa: E402,F401  (registers the views)
