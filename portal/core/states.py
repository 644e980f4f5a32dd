"""The states a worker and a user can be in, and their Indonesian labels (marked for
translation; templates and messages show labels, never codes)."""
from portal.core import N_

ROLES = ("admin", "supervisor", "verifier", "bpjs")
VERIFICATION = ("pending", "approved", "rejected", "on_hold")
ENROLMENT = ("not_enrolled", "enrolled", "inactive")

VERIFICATION_LABELS = {"pending": N_("Menunggu"), "approved": N_("Disetujui"),
                       "rejected": N_("Ditolak"), "on_hold": N_("Ditunda")}
ENROLMENT_LABELS = {"not_enrolled": N_("Belum terdaftar"), "enrolled": N_("Terdaftar"),
                    "inactive": N_("Tidak aktif")}
ROLE_LABELS = {"admin": N_("Administrator"), "supervisor": N_("Pengawas"),
               "verifier": N_("Verifikator OPD"), "bpjs": N_("Petugas BPJS")}
ACTION_LABELS = {"approve": N_("menyetujui"), "reject": N_("menolak"), "hold": N_("menunda"),
                 "reopen": N_("membuka kembali"), "correct": N_("memperbaiki data"),
                 "nik_view": N_("melihat NIK lengkap"), "subject_report": N_("membuat laporan subjek data"),
                 "subject_export": N_("mengunduh laporan subjek data"),
                 "enrol": N_("mencatat terdaftar BPJS"), "lapse": N_("mencatat tidak aktif"),
                 "restore": N_("mencatat aktif kembali"), "target_set": N_("menetapkan target cakupan"),
                 "claim_resolve": N_("memutuskan klaim antar-OPD"), "duplicate_dismiss": N_("menandai bukan ganda"),
                 "import": N_("mengimpor daftar nama"), "claim_open": N_("mengajukan klaim NIK dari OPD lain"),
                 "export": N_("mengunduh data"), "bpjs_file_apply": N_("menerapkan laporan peserta BPJS"),
                 "sheet_apply": N_("menerapkan spreadsheet keputusan")}
STATE_LABELS = {**VERIFICATION_LABELS, **ENROLMENT_LABELS}

# The states each action may start from: the one definition the transitions, bulk approval,
# the offline sheet and the templates (through `allowed_actions`) all read.
ALLOWED_FROM = {"approve": ("pending", "on_hold"), "reject": ("pending", "on_hold"),
                "hold": ("pending",), "reopen": ("approved", "rejected", "on_hold")}
ENROLMENT_FROM = {"enrol": "not_enrolled", "lapse": "enrolled", "restore": "inactive"}
NEEDS_APPROVAL = ("enrol", "restore")  # only a name its OPD still approves is (re-)enrolled


def allowed_actions(verification: str) -> tuple[str, ...]:
    """The verification actions a worker in state `verification` can take, in ALLOWED_FROM order."""
    return tuple(action for action, states in ALLOWED_FROM.items() if verification in states)


def enrolment_actions(verification: str, enrolment: str) -> tuple[str, ...]:
    """The enrolment actions the BPJS desk can record for a worker in these states."""
    return tuple(action for action, state in ENROLMENT_FROM.items()
                 if enrolment == state and (verification == "approved" or action not in NEEDS_APPROVAL))
