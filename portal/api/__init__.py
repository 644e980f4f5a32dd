"""JSON for other dashboards (Bapperida, the province): session or read-only bearer token."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from portal.api import routes  # noqa: E402,F401
