"""/klaim: cross-OPD claims — a NIK submitted by an OPD that another OPD already holds."""
