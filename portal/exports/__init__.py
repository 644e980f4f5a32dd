"""/ekspor: personal data and figures out of the portal, every export audited."""
from portal.exports.views import bp as bp
