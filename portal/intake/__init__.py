"""/impor: getting the OPDs' lists in — upload, preview with a verdict per row, confirm."""
