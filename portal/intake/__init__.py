"""/impor: getting the OPDs' lists in — upload, preview with a verdict per row, confirm."""
from portal.intake.views import bp as bp
