"""/api: JSON for other dashboards (Bapperida, the province), by session or read-only token."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from portal.api import views  # noqa: E402,F401  (registers the views)
