from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core import nik

TODAY = date(2026, 11, 28)


def test_parses_a_man():
    n = nik.parse("1609011203850002", TODAY)
    assert (n.province, n.regency, n.kecamatan) == ("16", "1609", "160901")
    assert n.birth_date == date(1985, 3, 12) and n.sex == "L" and n.serial == "0002"


def test_day_plus_forty_is_a_woman():
    n = nik.parse("1609014507850001", TODAY)
    assert n.birth_date == date(1985, 7, 5) and n.sex == "P"


def test_century_is_inferred_from_today():
    assert nik.parse("1609010101050001", TODAY).birth_date == date(2005, 1, 1)
    assert nik.parse("1609010101300001", TODAY).birth_date == date(1930, 1, 1)
    # later this year than today: last century
    assert nik.parse("1609013112260001", TODAY).birth_date == date(1926, 12, 31)


@pytest.mark.parametrize("value, fragment", [
    ("160901450785000", "16 angka"),
    ("16090145078500011", "16 angka"),
    ("16090145O7850001", "16 angka"),
    ("1609013102850001", "kalender"),
    ("1609017202850001", "kalender"),  # 32 + 40
    ("1609010113850001", "kalender"),  # month 13
    ("1609014507850000", "0000"),
])
def test_refuses_malformed(value, fragment):
    with pytest.raises(nik.NIKError) as error:
        nik.parse(value, TODAY)
    assert fragment in str(error.value)


@given(born=st.dates(date(1927, 1, 1), TODAY), sex=st.sampled_from("LP"),
       serial=st.integers(1, 9999))
def test_compose_and_parse_round_trip(born, sex, serial):
    value = nik.compose("160901", born, sex, serial)
    parsed = nik.parse(value, TODAY)
    assert (parsed.birth_date, parsed.sex, int(parsed.serial)) == (born, sex, serial)
