"""The county view: every OPD's progress, for supervisors."""
from flask import Blueprint

bp = Blueprint("county", __name__, url_prefix="/kabupaten")

from portal.county import routes  # noqa: E402,F401
