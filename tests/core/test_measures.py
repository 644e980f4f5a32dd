"""The measures: one definition each, and no coverage above 100 % whatever the states."""
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from portal.core.measures import BASE, BY_KEY, COUNT, MEASURES, SHARE, TARGET_MEASURE, Figures, fraction

VERIFICATION = ("pending", "on_hold", "approved", "rejected")
ENROLMENT = ("not_enrolled", "enrolled", "inactive")
STATES = [(v, e) for v in VERIFICATION for e in ENROLMENT]


def test_figures_count_each_state_once():
    f = Figures()
    for v, e, n in [("pending", "not_enrolled", 10), ("approved", "enrolled", 25), ("approved", "not_enrolled", 15),
                    ("rejected", "enrolled", 4), ("on_hold", "enrolled", 2), ("approved", "inactive", 3)]:
        f.add(v, e, n)
    assert (f.received, f.verified, f.approved, f.eligible) == (59, 47, 43, 55)
    assert (f.enrolled, f.enrolled_approved, f.enrolled_withdrawn, f.inactive) == (31, 25, 6, 3)
    assert f.coverage == 25 / 55 and f.coverage_of_approved == 25 / 43 and f.verified_share == 47 / 59
    assert Figures().coverage == Figures().coverage_of_approved == Figures().verified_share == 0.0


def test_every_measure_is_a_figure_with_a_label_and_an_explanation():
    assert len(BY_KEY) == len(MEASURES) and TARGET_MEASURE in BY_KEY
    for m in MEASURES:
        assert m.kind in (COUNT, SHARE) and m.label and m.explain.endswith(".") and m.formula
        value = getattr(Figures(), m.key)
        assert isinstance(value, int if m.kind == COUNT else float)
    assert set(BASE) <= set(BY_KEY) | {"enrolled_approved"}


@given(st.lists(st.tuples(st.sampled_from(STATES), st.integers(0, 50)), max_size=30))
def test_every_numerator_is_a_subset_of_its_denominator(counts):
    f = Figures()
    truth = dict.fromkeys(STATES, 0)
    for (v, e), n in counts:
        f.add(v, e, n)
        truth[v, e] += n
    # the definitions, written again from the states
    approved = sum(n for (v, _e), n in truth.items() if v == "approved")
    eligible = sum(n for (v, _e), n in truth.items() if v != "rejected")
    enrolled_approved = truth["approved", "enrolled"]
    withdrawn = sum(n for (v, e), n in truth.items() if e == "enrolled" and v != "approved")
    assert (f.approved, f.eligible, f.enrolled_approved, f.enrolled_withdrawn) == (
        approved, eligible, enrolled_approved, withdrawn)
    assert 0 <= f.coverage <= 1 and 0 <= f.coverage_of_approved <= 1 and 0 <= f.verified_share <= 1
    assert f.coverage == (enrolled_approved / eligible if eligible else 0.0)


def test_the_readme_defines_every_measure_as_the_code_does():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| \w+ \| `([^`]+)` \| ", readme, re.M))
    assert rows == {m.key: m.formula for m in MEASURES}


def test_data_fractions_round_half_up_like_the_pages():
    assert fraction(1 / 32) == 0.0313 and fraction(0.00005) == 0.0001 and fraction(0.25774) == 0.2577
    assert fraction(1.0) == 1.0 and fraction(0.0) == 0.0
