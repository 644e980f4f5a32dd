"""One row of an uploaded list, on its own: what was typed, cleaned, and checked against the NIK
rules and OKU Selatan's seeded kecamatan, desa and categories. Checks that need the other rows
or the stored workers (duplicates, claims) are in `portal.intake.checks`.

Names are kept as typed (titles such as "H." or "Hj." included); only whitespace is tidied and
letters composed (NFC), and a name the shared rule refuses (`portal.core.name_rule`: invisible
or control characters, stacked marks, a formula) is an error of its row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import N_, name_rule, nik
from portal.core.cells import key
from portal.core.errors import Problem
from portal.core.models import OPD, Category, Desa, Kecamatan
from portal.intake.reading import birth, blank, phone, sex, skip_reason, text

NAME_MAX, ADDRESS_MAX = 120, 200
LETTER = re.compile(r"[^\W\d_]")


@dataclass
class Row:
    """A row's verdict. `nik` is its NIK once valid; `worker` holds the values to store when the
    row can be imported; `holder` (worker id, OPD code) when another OPD already holds the NIK."""
    number: int
    cells: tuple
    typed: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    nik: str | None = None
    worker: dict | None = None
    holder: tuple[int, str] | None = None
    skipped: bool = False

    @property
    def status(self) -> str:
        """skipped, error, claim, warning or ok (in that precedence)."""
        if self.skipped:
            return "skipped"
        if any(p.level == "error" for p in self.problems):
            return "error"
        if self.holder is not None:
            return "claim"
        return "warning" if any(p.level == "warning" for p in self.problems) else "ok"


@dataclass
class Reference:
    """The seeded regions and categories rows are matched against, by `key` (and code)."""
    kecamatan: dict[str, str]
    kecamatan_names: dict[str, str]
    desa: dict[tuple[str, str], str]
    desa_anywhere: dict[str, list[tuple[str, str]]]
    categories: dict[str, tuple[int, str]]
    default_category: tuple[int, str] | None


def load_reference(session: Session, opd: OPD) -> Reference:
    """Kecamatan, desa and active categories; the OPD's default category is the first it owns."""
    kecamatan = session.execute(select(Kecamatan.code, Kecamatan.name)).all()
    desa = session.execute(select(Desa.code, Desa.name, Desa.kecamatan_code)).all()
    anywhere: dict[str, list[tuple[str, str]]] = {}
    for code, name, kec in desa:
        anywhere.setdefault(key(name), []).append((code, kec))
    categories = session.execute(select(Category.id, Category.code, Category.name, Category.opd_id)
                                 .where(Category.active).order_by(Category.id)).all()
    by_key: dict[str, tuple[int, str]] = {}
    for cid, code, name, _ in categories:
        by_key.setdefault(key(name), (cid, name))
        by_key.setdefault(key(code), (cid, name))
    own = next(((cid, name) for cid, _, name, owner in categories if owner == opd.id), None)
    return Reference({**{key(n): c for c, n in kecamatan}, **{c: c for c, _ in kecamatan}}, dict(kecamatan),
                     {(kec, key(name)): code for code, name, kec in desa}, anywhere, by_key, own)


def evaluate(number: int, cells: tuple, columns: dict[str, int], ref: Reference, today: date) -> Row:
    """The verdict of one row on its own (blank and totals rows are skipped)."""
    row = Row(number, cells)
    get = {f: _cell(cells, i) for f, i in columns.items()}.get
    reason = skip_reason(cells, get("nik"))
    if reason is not None:
        row.skipped, row.problems = True, [reason]
        return row
    row.typed = typed = {f: text(get(f)) for f in columns}
    born, problem_birth = birth(get("birth"), today)
    sex_typed, problem_sex = sex(get("sex"), get("sex_l"), get("sex_p"))
    verdict = nik.validate(get("nik"), today, birth_date=born, sex=sex_typed)
    problems = [*verdict.problems, *filter(None, (problem_birth, problem_sex))]
    name, problem_name = name_rule.clean(typed.get("name", ""))
    if not name:
        problems.append(Problem("name_missing", N_("Nama kosong.")))
    elif problem_name is not None:  # invisible or control characters, stacked marks, a formula
        problems.append(problem_name)
    elif not LETTER.search(name):
        problems.append(Problem("name_letters", N_("Nama “%(v)s” tidak berisi huruf."), {"v": name[:30]}))
    elif len(name) > NAME_MAX:
        problems.append(Problem("name_long", N_("Nama terlalu panjang (%(n)d karakter, paling banyak %(max)d)."),
                                {"n": len(name), "max": NAME_MAX}))
    kecamatan, desa = _region(get("kecamatan"), get("desa"), verdict, ref, problems)
    category = _category(get("category"), "category" in columns, ref, problems)
    phone_number = phone(get("phone"), problems)
    address = typed.get("address", "")
    if len(address) > ADDRESS_MAX:
        problems.append(Problem("address_long", N_("Alamat dipotong menjadi %(max)d karakter."),
                                {"max": ADDRESS_MAX}, "warning"))
        address = address[:ADDRESS_MAX]
    row.problems = problems
    row.nik = verdict.value if verdict.ok else None
    if verdict.nik is not None and not any(p.level == "error" for p in problems):
        row.worker = dict(nik=verdict.value, full_name=name, sex=verdict.nik.sex, birth_date=verdict.nik.birth_date,
                          category_id=category, kecamatan_code=kecamatan, desa_code=desa, address=address,
                          phone=phone_number)
    return row


def _cell(cells: tuple, index: int):
    """The cell at `index`; a lone dash, which lists use for "none", counts as empty."""
    value = cells[index] if index < len(cells) else None
    return None if isinstance(value, str) and value.strip() in ("-", "--", "–", "—") else value


def _place(value, prefix: str, table) -> tuple[str, str | None]:
    """(key as typed, the table's value for it, tried also without a 'Kec.'/'Desa' prefix)."""
    raw = text(value)
    typed = key(raw)
    if not typed or typed in table:
        return typed, table.get(typed)
    return typed, table.get(key(re.sub(prefix, "", raw, flags=re.I)))


def _region(kecamatan_cell, desa_cell, verdict: nik.Verdict, ref: Reference,
            problems: list[Problem]) -> tuple[str | None, str | None]:
    """Kecamatan and desa codes for the row. The kecamatan comes from its own column, else from
    the desa (when that desa name is unique in OKU Selatan), else from the NIK when the NIK was
    issued in an OKU Selatan kecamatan (a warning: that is where it was issued, not where the
    person lives now); failing all of these the row is refused, since every worker needs one."""
    kec_typed, kecamatan = _place(kecamatan_cell, r"^\s*(kecamatan|kec)(\.|\s)+", ref.kecamatan)
    matched = kecamatan is not None
    desa = None
    if not blank(desa_cell):
        desa_key = key(re.sub(r"^\s*(desa|kelurahan|kel|ds)(\.|\s)+", "", text(desa_cell), flags=re.I))
        desa, kecamatan = _desa([key(desa_cell), desa_key], kecamatan, ref, text(desa_cell)[:40], problems)
    if kecamatan:
        if kec_typed and not matched:
            problems.append(Problem("kecamatan_from_desa", N_("Kecamatan “%(v)s” tidak dikenal; memakai kecamatan "
                                                              "desanya (%(name)s)."),
                                    {"v": text(kecamatan_cell)[:40], "name": ref.kecamatan_names[kecamatan]},
                                    "warning"))
        return kecamatan, desa
    from_nik = verdict.value[:6] if len(verdict.value) == 16 else ""
    if from_nik in ref.kecamatan_names:
        message = N_("Kecamatan “%(v)s” tidak dikenal; memakai kecamatan dari NIK (%(name)s).") if kec_typed \
            else N_("Kecamatan kosong; memakai kecamatan dari NIK (%(name)s). Periksa domisilinya.")
        problems.append(Problem("kecamatan_from_nik", message,
                                {"v": text(kecamatan_cell)[:40], "name": ref.kecamatan_names[from_nik]}, "warning"))
        return from_nik, desa
    message = N_("Kecamatan “%(v)s” tidak dikenal di OKU Selatan, dan NIK tidak menunjuk kecamatan di OKU Selatan.") \
        if kec_typed else N_("Kecamatan kosong, dan NIK tidak menunjuk kecamatan di OKU Selatan: isi kolom Kecamatan.")
    problems.append(Problem("kecamatan_unknown", message, {"v": text(kecamatan_cell)[:40]}))
    return None, desa


def _desa(keys: list[str], kecamatan: str | None, ref: Reference, typed: str,
          problems: list[Problem]) -> tuple[str | None, str | None]:
    """(desa code, kecamatan code): the desa within the row's kecamatan, or, with no kecamatan,
    the one desa of that name in OKU Selatan (several → ambiguous, left empty)."""
    if kecamatan:
        code = next((ref.desa[(kecamatan, k)] for k in keys if (kecamatan, k) in ref.desa), None)
        if code is None:
            problems.append(Problem("desa_unknown", N_("Desa/kelurahan “%(v)s” tidak ditemukan di Kecamatan "
                                                       "%(where)s; desa dikosongkan."),
                                    {"v": typed, "where": ref.kecamatan_names[kecamatan]}, "warning"))
        return code, kecamatan
    found = next((ref.desa_anywhere[k] for k in keys if k in ref.desa_anywhere), [])
    if len(found) == 1:
        return found[0]
    if found:
        problems.append(Problem("desa_ambiguous", N_("Desa “%(v)s” ada di beberapa kecamatan; isi kolom Kecamatan. "
                                                     "Desa dikosongkan."), {"v": typed}, "warning"))
    else:
        problems.append(Problem("desa_unknown", N_("Desa/kelurahan “%(v)s” tidak ditemukan di OKU Selatan; desa "
                                                   "dikosongkan."), {"v": typed}, "warning"))
    return None, None


def _category(value, has_column: bool, ref: Reference, problems: list[Problem]) -> int | None:
    """The category named in the row (by name or code), else the OPD's own default category."""
    typed = text(value)
    if typed and key(typed) in ref.categories:
        return ref.categories[key(typed)][0]
    if ref.default_category is None:
        problems.append(Problem("category_unknown", N_("Kategori “%(v)s” tidak dikenal, dan OPD ini tidak punya "
                                                       "kategori bawaan."), {"v": typed[:40]}))
        return None
    if typed:
        problems.append(Problem("category_unknown", N_("Kategori “%(v)s” tidak dikenal; memakai “%(name)s”."),
                                {"v": typed[:40], "name": ref.default_category[1]}, "warning"))
    elif has_column:
        problems.append(Problem("category_default", N_("Kategori kosong; memakai “%(name)s”."),
                                {"name": ref.default_category[1]}, "warning"))
    return ref.default_category[0]
