"""Login, logout, and the role guard every other blueprint uses."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import routes  # noqa: E402,F401  (registers the views)
from portal.auth.guards import roles_required  # noqa: E402,F401
