"""/admin: every administrator's page — accounts, reference data, coverage targets, contribution
rates, API tokens, data-subject reports. The rules stay with their features (targets:
portal.county.trend, rates: portal.county.fiscal, tokens: portal.api.tokens)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.admin import rates_views, reference_views, subject_views, targets_views, tokens_views, users_views  # noqa: E402,F401
