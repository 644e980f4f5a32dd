"""Getting the OPDs' lists in: upload, preview with a verdict per row, confirm."""
from flask import Blueprint

bp = Blueprint("imports", __name__)

from portal.imports import routes  # noqa: E402,F401
