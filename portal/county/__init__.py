"""/kabupaten: the county's progress for supervisors — every OPD, category and kecamatan, the
trend against the targets, and the budget (/kabupaten/fiskal)."""
from portal.county import budget_views  # noqa: F401  (their views join bp)
from portal.county.views import bp as bp
