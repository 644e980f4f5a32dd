"""/kabupaten: the county's progress for supervisors — every OPD, category and kecamatan, the
trend against the targets, and the budget (/kabupaten/fiskal)."""
from flask import Blueprint

bp = Blueprint("county", __name__, url_prefix="/kabupaten")

from portal.county import budget_views, views  # noqa: E402,F401  (registers the views)
