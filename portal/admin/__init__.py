"""/admin: every administrator's page — accounts, reference data, coverage targets, contribution
rates, API tokens, data-subject reports. The rules stay with their features (targets:
portal.county.trend, rates: portal.county.fiscal, tokens: portal.api.tokens)."""
