"""axe-core on the pages people work in: no serious or critical violation.

axe is injected by Playwright as a script tag, which the portal's Content-Security-Policy would
refuse (script-src 'self'): these contexts alone bypass the CSP, and only to let axe in."""
from __future__ import annotations

import pytest

from tests.e2e.support import AXE, DESKTOP, PHONE, expect

SERIOUS = ("serious", "critical")

PAGES = [
    # name, user, path, what to do before the scan (None: the page as it loads)
    ("login", None, "/masuk", None),
    ("queue", "dinsos", "/antrian/", None),
    ("queue-reject-open", "dinsos", "/antrian/", "reject"),
    ("queue-bulk-confirm", "dinsos", "/antrian/", "bulk"),
    ("county", "supervisor", "/kabupaten/", None),
    ("bpjs-desk", "bpjs", "/bpjs/", None),
    ("berita-acara", "dinsos", "/berita-acara", None),
    ("queue-english", "dinsos", "/antrian/", "english"),
]


def _prepare(page, step: str | None) -> None:
    if step == "reject":
        page.keyboard.press("j")
        page.keyboard.press("r")
        expect(page.locator("tr.current details[data-key=r] select")).to_be_focused()
    elif step == "english":
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    elif step == "bulk":
        page.locator("#results input[name=pilih]").first.check()
        page.get_by_role("button", name="Setujui yang dicentang").click()
        expect(page.locator("#bulk-confirm [role=alertdialog]")).to_be_visible()


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in SERIOUS]


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']} — {v['help']} ({v['helpUrl']})")
        lines += [f"    {' '.join(n['target'])}: {n['failureSummary'].splitlines()[-1].strip()}"
                  for n in v["nodes"][:5]]
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name, user, path, step", PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_accessibility_violations(pages, live, name, user, path, step, viewport):
    page = pages(user, bypass_csp=True, viewport=viewport)
    page.goto(live.url + path)
    _prepare(page, step)
    violations = _violations(page)
    assert not violations, f"axe on {name}:\n{_describe(violations)}"


def test_keyboard_focus_is_visible(pages, live):
    page = pages("dinsos")
    for _ in range(3):  # skip link, brand, first menu link: each shows an outline when focused
        page.keyboard.press("Tab")
        outline = page.evaluate("() => { const e = document.activeElement, s = getComputedStyle(e);"
                                " return [e.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }")
        assert outline[1] != "none" and outline[2] >= 2, f"no visible focus on {outline[0]}"


def test_changes_are_announced_and_status_is_not_colour_alone(pages, live):
    page = pages("dinsos")
    expect(page.locator("#tallies")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#pesan")).to_have_attribute("aria-live", "assertive")
    badge = page.locator("#results tbody tr[data-row] .badge").first
    expect(badge).to_have_text("Menunggu")  # the state in words, beside its colour
