"""/ganda: likely duplicates — one person listed twice under different NIKs."""
from portal.duplicates.views import bp as bp
