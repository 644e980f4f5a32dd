"""/antrian: the verifier's queue — an OPD's names decided one by one, in bulk or offline in a
spreadsheet, and one worker's page."""
