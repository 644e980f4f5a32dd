"""Fiscal projection: what closing the coverage gap costs the APBD; contribution rates."""
from flask import Blueprint

bp = Blueprint("fiscal", __name__)

from portal.fiscal import routes  # noqa: E402,F401
