"""/klaim: cross-OPD claims — a NIK submitted by an OPD that another OPD already holds."""
from flask import Blueprint

bp = Blueprint("claims", __name__, url_prefix="/klaim")

from portal.claims import views  # noqa: E402,F401  (registers the views)
