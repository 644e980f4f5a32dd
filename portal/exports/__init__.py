"""/ekspor: personal data and figures out of the portal, every export audited."""
from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/ekspor")

from portal.exports import views  # noqa: E402,F401  (registers the views)
