"""Administration: reference data (reject reasons, worker categories)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.admin import routes, subject, users  # noqa: E402,F401
