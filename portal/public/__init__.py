"""/publik: the progress page open to anyone, aggregates only."""
from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/publik")

from portal.public import views  # noqa: E402,F401  (registers the views)
