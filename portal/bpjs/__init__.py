"""/bpjs: the BPJS liaison's desk — record who is enrolled, lapsed or restored, one by one or from
BPJS's own participant report."""
