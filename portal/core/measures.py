"""Every published measure, defined once: its key, formula, Indonesian label (English in the
catalogue) and a one-line explanation. Every page, export, the Berita Acara, /publik and the API
take their figures from `Figures` and their labels from `MEASURES`. No Flask import.

The base counts come from the two states each name has. Verification (pending, on_hold,
approved, rejected) partitions the names; enrolment (not enrolled, enrolled, inactive) is
independent of it, because BPJS keeps a participant active until told otherwise, also after the
OPD withdraws or rejects an approval. So "enrolled" alone is not a subset of "approved": the
coverage numerator is `enrolled_approved` (enrolled and still approved), and the enrolled whose
approval was withdrawn are their own figure, `enrolled_withdrawn` ("perlu tindak lanjut BPJS"),
inside no coverage. Every numerator is a subset of its denominator, so no coverage exceeds 100 %.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from portal.core import N_

COUNT, SHARE = "count", "share"


@dataclass(frozen=True)
class Measure:
    key: str  # the Figures attribute, the API field and the CSV column's meaning
    kind: str  # COUNT or SHARE (a fraction 0–1)
    formula: str  # in terms of the base states and other measures' keys
    label: str  # Indonesian; English from the catalogue
    explain: str  # one line, Indonesian; English from the catalogue


MEASURES = (
    Measure("received", COUNT, "pending + on_hold + approved + rejected", N_("Nama diterima"),
            N_("Semua nama yang masuk ke portal, apa pun keputusan OPD atas nama itu.")),
    Measure("pending", COUNT, "verification = pending", N_("Menunggu"),
            N_("Belum diputuskan OPD.")),
    Measure("on_hold", COUNT, "verification = on_hold", N_("Ditunda"),
            N_("Ditunda OPD sampai datanya jelas.")),
    Measure("approved", COUNT, "verification = approved", N_("Disetujui"),
            N_("Dibenarkan OPD sebagai pekerja rentan yang dijamin APBD.")),
    Measure("rejected", COUNT, "verification = rejected", N_("Ditolak"),
            N_("Ditolak OPD (misalnya meninggal, pindah, atau data ganda); tidak akan dijamin.")),
    Measure("verified", COUNT, "approved + rejected", N_("Terverifikasi"),
            N_("Sudah diputuskan OPD: disetujui atau ditolak.")),
    Measure("eligible", COUNT, "received - rejected", N_("Nama layak"),
            N_("Nama yang masih dapat dijamin: semua nama kecuali yang ditolak.")),
    Measure("enrolled_approved", COUNT, "enrolment = enrolled AND verification = approved",
            N_("Terdaftar dan disetujui"),
            N_("Peserta BPJS aktif yang persetujuan OPD-nya masih berlaku; pembilang setiap cakupan.")),
    Measure("enrolled_withdrawn", COUNT, "enrolment = enrolled AND verification != approved",
            N_("Perlu tindak lanjut BPJS"),
            N_("Peserta BPJS aktif yang persetujuannya dicabut atau ditolak OPD; tidak masuk cakupan.")),
    Measure("enrolled", COUNT, "enrolled_approved + enrolled_withdrawn", N_("Peserta aktif dibayar APBD"),
            N_("Semua peserta BPJS aktif, apa pun keputusan OPD: yang iurannya dibayar APBD sekarang.")),
    Measure("inactive", COUNT, "enrolment = inactive", N_("Kepesertaan nonaktif"),
            N_("Pernah terdaftar, kini tidak aktif (iuran berhenti); perlu didaftarkan ulang.")),
    Measure("verified_share", SHARE, "verified / received", N_("Bagian terverifikasi"),
            N_("Nama terverifikasi dibagi nama diterima.")),
    Measure("coverage", SHARE, "enrolled_approved / eligible", N_("Cakupan"),
            N_("Terdaftar dan disetujui dibagi nama layak: ukuran target RPJMD.")),
    Measure("coverage_of_approved", SHARE, "enrolled_approved / approved", N_("Cakupan dari yang disetujui"),
            N_("Terdaftar dan disetujui dibagi nama yang disetujui OPD.")),
)
BY_KEY = {m.key: m for m in MEASURES}
TARGET_MEASURE = "coverage"  # the RPJMD target and the headline are measured with this one


def fraction(share: float, places: int = 4) -> float:
    """A share as published in data (API, CSV): a fraction rounded half-up to `places` decimals,
    like every percentage on the pages (1/32 → 0.0313, shown as 3,13 %)."""
    return float(Decimal(str(share)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass
class Figures:
    """The base counts of one OPD, category, kecamatan, day or of the county, and every measure
    derived from them (the formulas of MEASURES)."""
    pending: int = 0
    approved: int = 0
    rejected: int = 0
    on_hold: int = 0
    enrolled: int = 0
    inactive: int = 0
    enrolled_approved: int = 0

    @property
    def received(self) -> int:
        return self.pending + self.on_hold + self.approved + self.rejected

    @property
    def verified(self) -> int:
        return self.approved + self.rejected

    @property
    def eligible(self) -> int:
        return self.received - self.rejected

    @property
    def enrolled_withdrawn(self) -> int:
        return self.enrolled - self.enrolled_approved

    @property
    def verified_share(self) -> float:
        return _share(self.verified, self.received)

    @property
    def coverage(self) -> float:
        return _share(self.enrolled_approved, self.eligible)

    @property
    def coverage_of_approved(self) -> float:
        return _share(self.enrolled_approved, self.approved)

    def add(self, verification: str, enrolment: str, n: int) -> None:
        """Count `n` names in one (verification, enrolment) state."""
        setattr(self, verification, getattr(self, verification) + n)
        if enrolment != "not_enrolled":
            setattr(self, enrolment, getattr(self, enrolment) + n)
        if verification == "approved" and enrolment == "enrolled":
            self.enrolled_approved += n

    def __add__(self, other: Figures) -> Figures:
        return Figures(**{f: getattr(self, f) + getattr(other, f) for f in BASE})


BASE = tuple(f.name for f in fields(Figures))  # the stored counts (tallies sum them, snapshots keep them)


def total(parts) -> Figures:
    """The sum of several Figures."""
    return sum(parts, Figures())
