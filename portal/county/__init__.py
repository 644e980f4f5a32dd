"""/kabupaten: the county's progress for supervisors — every OPD, category and kecamatan, the
trend against the targets, and the budget (/kabupaten/fiskal)."""
