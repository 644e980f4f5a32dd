from portal.auth import roles_required
from portal.county import bp
from portal.domain import tallies
from portal.extensions import db
from portal.htmx import page_or_block
from portal.models import utcnow


@bp.get("/")
@roles_required("supervisor", "admin", "bpjs")
def index():
    """County totals and per-OPD progress from the kept tallies; htmx polls the table block."""
    total, rows = tallies.county(db.session)
    return page_or_block("county/index.html", "table", total=total, rows=rows, now=utcnow())
