"""Who may do what: every set of roles a view guard or a rule checks, named once."""
from __future__ import annotations

ADMINS = ("admin",)
DECIDERS = ("verifier", "admin")  # verification decisions, the queue, the offline sheet, imports
ENROLLERS = ("bpjs", "admin")  # enrolment at the BPJS desk and from BPJS's file
WATCHERS = ("supervisor", "admin", "bpjs")  # the county figures, the budget and their lists
RESOLVERS = ("admin", "supervisor")  # cross-OPD claims and likely duplicates
CLAIM_VIEWERS = RESOLVERS + ("verifier",)
SUMMARY_READERS = ("supervisor", "admin")  # /api/summary with a session
REPORT_READERS = ("verifier", "admin", "bpjs")  # the Berita Acara: a verifier its own OPD's,
EVERY_OPD_READERS = ("admin", "bpjs")  # … these every OPD's
