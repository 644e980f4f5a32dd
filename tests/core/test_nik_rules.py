"""nik.validate: every problem it names, with its level, and generated NIKs round-tripping."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core import nik

TODAY = date(2026, 11, 28)
KECAMATAN = sorted(nik.regions()[2])


def codes(verdict: nik.Verdict) -> dict[str, str]:
    return {p.code: p.level for p in verdict.problems}


def test_a_good_nik_has_its_parts_and_no_problems():
    verdict = nik.validate("1609014507850001", TODAY)
    assert verdict.ok and verdict.problems == ()
    assert verdict.nik.birth_date == date(1985, 7, 5) and verdict.nik.sex == "P"
    assert (verdict.nik.regency, verdict.nik.kecamatan, verdict.nik.serial) == ("1609", "160901", "0001")


@pytest.mark.parametrize("value, kwargs", [
    (1609014507850000, {}),  # an int cell
    (1.60901450785e15, {}),  # a float cell
    ("1.60901E+15", {}),  # what Excel shows for a number-formatted NIK
    ("1,60901E+15", {}),  # the same with an Indonesian decimal comma
    ("1609014507850000.0", {}),  # a number written out as text
    ("1609014507850000", {"from_number": True}),  # the reader saw a numeric cell
])
def test_a_nik_stored_as_a_number_is_refused(value, kwargs):
    verdict = nik.validate(value, TODAY, **kwargs)
    assert codes(verdict) == {"nik_number": "error"} and verdict.nik is None
    assert "angka di Excel" in verdict.problems[0].text()


@pytest.mark.parametrize("value, code", [
    ("", "nik_missing"),
    (None, "nik_missing"),
    ("   ", "nik_missing"),
    ("160901450785000", "nik_length"),
    ("16090145078500011", "nik_length"),
    ("16090145O7850001", "nik_chars"),
    ("1609-0145-0785-0001", "nik_chars"),
    ("9909014507850001", "nik_province"),
    ("1699014507850001", "nik_regency"),
    ("1609010007850001", "nik_date"),  # day 00
    ("1609013507850001", "nik_date"),  # day 35: neither a man's nor a woman's
    ("1609017202850001", "nik_date"),  # 72 - 40 = 32
    ("1609010113850001", "nik_date"),  # month 13
    ("1609013102850001", "nik_date"),  # 31 February
    ("1609016902850001", "nik_date"),  # a woman born 29 February 1985
    ("1609011203850000", "nik_serial"),
])
def test_errors(value, code):
    verdict = nik.validate(value, TODAY)
    assert codes(verdict).get(code) == "error" and not verdict.ok and verdict.nik is None


def test_several_errors_are_reported_together():
    verdict = nik.validate("1609013102850000", TODAY)
    assert {"nik_date", "nik_serial"} <= set(codes(verdict))


def test_leap_day_and_tidying_are_accepted():
    assert nik.validate("1609016902840001", TODAY).nik.birth_date == date(1984, 2, 29)
    assert nik.validate("'1609 0145 0785 0001 ", TODAY).nik.value == "1609014507850001"


def test_unknown_kecamatan_is_a_warning():
    verdict = nik.validate("1609994507850001", TODAY)
    assert codes(verdict) == {"nik_kecamatan": "warning"} and verdict.ok and verdict.nik is not None


def test_another_regency_is_a_warning_naming_it():
    verdict = nik.validate("3201011203900003", TODAY)
    assert codes(verdict) == {"nik_outside": "warning"} and verdict.ok
    assert "Kabupaten Bogor" in verdict.problems[0].text()


def test_birth_date_and_sex_in_the_sheet_are_compared():
    agree = nik.validate("1609014507850001", TODAY, birth_date=date(1985, 7, 5), sex="P")
    assert agree.problems == ()
    century = nik.validate("1609014507850001", TODAY, birth_date=date(2085, 7, 5))
    assert century.problems == ()  # only dd-mm-yy is in a NIK
    differ = nik.validate("1609014507850001", TODAY, birth_date=date(1985, 7, 6), sex="L")
    assert codes(differ) == {"nik_birth_mismatch": "warning", "nik_sex_mismatch": "warning"} and differ.ok
    assert "06-07-1985" in differ.problems[0].text() and "05-07-1985" in differ.problems[0].text()


def test_region_tables_are_read_once():
    assert nik.regions() is nik.regions()
    provinces, regencies, kecamatan = nik.regions()
    assert provinces["16"] == "Sumatera Selatan" and "Ogan Komering Ulu Selatan" in regencies["1609"]
    assert kecamatan["160901"] == "Muara Dua" and len(kecamatan) > 7000


def test_parse_keeps_its_contract():
    with pytest.raises(nik.NIKError, match="16 angka"):
        nik.parse("123", TODAY)
    assert nik.parse("9909014507850001", TODAY).province == "99"  # regions are validate's business


@given(kecamatan=st.sampled_from(KECAMATAN), born=st.dates(date(1927, 1, 1), TODAY),
       sex=st.sampled_from("LP"), serial=st.integers(1, 9999))
def test_generated_niks_round_trip(kecamatan, born, sex, serial):
    value = nik.compose(kecamatan, born, sex, serial)
    verdict = nik.validate(value, TODAY, birth_date=born, sex=sex)
    assert verdict.ok and {p.code for p in verdict.problems} <= {"nik_outside", "nik_age_young", "nik_age_old"}
    assert ("nik_outside" in codes(verdict)) == (kecamatan[:4] != "1609")
    years = birthdays_passed(born, TODAY)
    assert ("nik_age_young" in codes(verdict)) == (years < 15) and ("nik_age_old" in codes(verdict)) == (years > 80)
    parts = verdict.nik
    assert (parts.kecamatan, parts.birth_date, parts.sex, int(parts.serial)) == (kecamatan, born, sex, serial)
    assert nik.compose(parts.kecamatan, parts.birth_date, parts.sex, int(parts.serial)) == value


@given(st.one_of(st.text(max_size=20), st.text("0123456789", min_size=16, max_size=16),
                 st.integers(), st.floats(allow_nan=True)))
def test_any_input_gets_a_verdict_and_a_clean_one_round_trips(value):
    verdict = nik.validate(value, TODAY)  # never raises
    assert all(p.level in ("error", "warning") for p in verdict.problems)
    if verdict.ok:
        parts = verdict.nik
        assert nik.compose(parts.kecamatan, parts.birth_date, parts.sex, int(parts.serial)) == verdict.value


def birthdays_passed(born: date, on: date) -> int:
    """Age counted the slow way: birthdays up to `on` (29 February's falls on 1 March in other years)."""
    def birthday(year):
        try:
            return born.replace(year=year)
        except ValueError:
            return date(year, 3, 1)
    return sum(1 for year in range(born.year + 1, on.year + 1) if birthday(year) <= on)


@pytest.mark.parametrize("born, code", [
    (date(2011, 11, 29), "nik_age_young"),  # 14 years and 364 days
    (date(2011, 11, 28), None),  # 15 today
    (date(1946, 11, 28), None),  # 80 today
    (date(1945, 11, 29), None),  # 80 and 364 days
    (date(1945, 11, 28), "nik_age_old"),  # 81 today
    (date(2020, 1, 1), "nik_age_young"),  # a child (or 1920: either way, check)
])
def test_age_outside_working_years_is_a_warning(born, code):
    verdict = nik.validate(nik.compose("160901", born, "P", 1), TODAY)
    assert verdict.ok and codes(verdict) == ({code: "warning"} if code else {})
    if code:
        assert "%d tahun pada hari impor" % nik.age(verdict.nik.birth_date, TODAY) in verdict.problems[0].text()


@pytest.mark.parametrize("born, on, years", [
    (date(2000, 2, 29), date(2015, 2, 28), 14), (date(2000, 2, 29), date(2015, 3, 1), 15),
    (date(2000, 2, 29), date(2016, 2, 29), 16), (date(1990, 12, 31), date(2026, 1, 1), 35),
])
def test_age_counts_birthdays_reached(born, on, years):
    assert nik.age(born, on) == years == birthdays_passed(born, on)
