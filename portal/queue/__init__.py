"""/antrian: the verifier's queue — an OPD's names decided one by one, in bulk or offline in a
spreadsheet, and one worker's page."""
from portal.queue import bulk_views, sheet_views, worker_views  # noqa: F401  (their views join bp)
from portal.queue.views import bp as bp
