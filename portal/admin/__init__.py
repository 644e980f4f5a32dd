"""/admin: every administrator's page — accounts, reference data, coverage targets, contribution
rates, API tokens, data-subject reports. The rules stay with their features (targets:
portal.county.trend, rates: portal.county.fiscal, tokens: portal.api.tokens)."""
# Importing the view modules adds their views to bp.
from portal.admin import rates_views, reference_views, subject_views, targets_views, tokens_views  # noqa: F401
from portal.admin.views import bp as bp
