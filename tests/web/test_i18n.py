"""English beside Indonesian: every template string wrapped for translation, a complete and
well-formed English catalogue, and the language switch as a user meets it."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment
from sqlalchemy import select

from portal.core.models import User
from portal.web.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

# Words that are the same in both languages, so they stand unwrapped: terms of art the portal keeps
# in Indonesian everywhere (CONVENTIONS.md "Words") and the currency sign.
NOT_LANGUAGE = {"KPJ", "NIK", "OPD", "BPJS", "Rp"}
# Attributes a user reads or hears (tooltips, placeholders, screen readers, confirmations).
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "data-confirm", "label"}
# Text inside these is not language: key caps, code, and what the browser never shows.
SKIP_ELEMENTS = {"kbd", "code", "script", "style"}
# A macro body that is a run of attributes (name="…" …), spliced into a tag elsewhere.
ATTRIBUTE_RUN = re.compile(r'\s*([\w:.@-]+="[^"]*"\s*)+')


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_ELEMENTS:
            self.skipping += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if value and (name in VISIBLE_ATTRIBUTES or
                          name == "value" and tag == "input" and attributes.get("type") in ("submit", "button")):
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in SKIP_ELEMENTS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.found.append(data)


_jinja = Environment(extensions=["jinja2.ext.i18n"])


def untranslated(source: str) -> list[str]:
    """The user-visible text of a template that is not wrapped for translation: the template
    without its Jinja tags, expressions and comments (each becomes a space), parsed as HTML; text
    nodes and visible attributes that still hold letters, after the NOT_LANGUAGE words."""
    kept, in_trans, after_block_begin = [], False, False
    for _line, kind, value in _jinja.lex(source):
        if kind == "data" and not in_trans:
            kept.append(value)
        elif kind in ("variable_begin", "block_begin", "comment_begin"):
            kept.append(" ")
        if kind == "name" and after_block_begin:  # {% trans %} … {% endtrans %} is wrapped text
            in_trans = {"trans": True, "pluralize": True, "endtrans": False}.get(value, in_trans)
        if kind != "whitespace":
            after_block_begin = kind == "block_begin"
    parser = _Text()
    parser.feed("".join(kept))
    parser.close()
    flagged = []
    for text in parser.found:
        if ATTRIBUTE_RUN.fullmatch(text):
            continue
        words = [w for w in re.split(r"[^\w]+", text) if w and w not in NOT_LANGUAGE]
        if any(re.search(r"[^\W\d_]", w) for w in words):
            flagged.append(" ".join(text.split()))
    return flagged


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_template_text_is_wrapped_for_translation(path):
    assert untranslated(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("source, flagged", [
    ("<p>Halo</p>", ["Halo"]),
    ('<input placeholder="cari nama">', ["cari nama"]),
    ('<a title="Ganti">{{ _("x") }}</a>', ["Ganti"]),
    ('<button aria-label="Tutup">×</button>', ["Tutup"]),
    ("<p>{{ _('Halo') }} {{ w.name }}</p>", []),
    ("<p>{# Halo #}{% if x %}{{ y }}{% endif %} · 3.934</p>", []),
    ("<p>{% trans %}Halo{% endtrans %}</p>", []),
    ("<small>KPJ {{ w.kpj }} · Rp {{ n }}</small>", []),
    ("<p><kbd>j</kbd> / <kbd>Esc</kbd></p>", []),
    ('{% macro a() %}method="post" hx-target="closest tr"{% endmacro %}', []),
    ("<td>Disetujui {{ n }} OPD</td>", ["Disetujui OPD"]),
])
def test_the_check_finds_unwrapped_text(source, flagged):
    assert untranslated(source) == flagged


def _catalogue():
    with PO.open("rb") as f:
        return read_po(f, locale="en")


PLACEHOLDER = re.compile(r"%%(?:\([A-Za-z_]\w*\)[a-z])?|%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[a-z]")


def test_english_catalogue_is_translated_and_keeps_placeholders():
    problems = []
    for message in _catalogue():
        if not message.id:
            continue
        if message.fuzzy or not message.string:
            problems.append(f"{'fuzzy' if message.fuzzy else 'untranslated'}: {message.id!r}")
        elif sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            problems.append(f"placeholders differ: {message.id!r} → {message.string!r}")
    assert problems == []


def test_every_message_in_the_code_is_in_the_english_catalogue():
    """New UI text fails here until `make i18n` brings it into the catalogue and it is translated."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}  # as the Makefile's `pybabel extract -k N_ -k _l`
    in_code = {message[0] if isinstance(message, tuple) else message for _file, _line, message, _comments, _context
               in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)}
    catalogue = {m.id for m in _catalogue() if m.id and m.string}
    assert sorted(in_code - catalogue) == [], "run `make i18n` and translate the new messages"


def test_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == {m.id: m.string for m in _catalogue() if m.id}, \
        "translations/en/LC_MESSAGES/messages.mo is stale: run `pybabel compile -d translations`"


def _lang(client, lang, **extra):
    return client.post("/bahasa", data={"lang": lang, **extra})


def test_anonymous_switch_to_english_and_back(client, world):
    response = _lang(client, "en", next="/masuk")
    assert response.status_code == 303 and response.headers["Location"] == "/masuk"
    page = client.get("/masuk").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page and "Username" in page
    assert "Kata sandi" not in page
    assert _lang(client, "id", next="/masuk").status_code == 303
    page = client.get("/masuk").get_data(as_text=True)
    assert '<html lang="id">' in page and "Masuk" in page and "Log in" not in page


def test_logged_in_switch_is_kept_on_the_account(client, auth, world):
    auth.login("dinsos")
    world.worker("DINSOS")
    assert _lang(client, "en", next="/antrian/").status_code == 303
    assert db.session.scalar(select(User.locale).where(User.username == "dinsos")) == "en"
    page = client.get("/antrian/").get_data(as_text=True)
    assert "Verification queue" in page and "Approve" in page and "Antrian verifikasi" not in page
    auth.logout()  # a new session: the account remembers the language
    auth.login("dinsos")
    assert "Verification queue" in client.get("/antrian/").get_data(as_text=True)
    assert _lang(client, "id", next="/antrian/").status_code == 303
    assert "Antrian verifikasi" in client.get("/antrian/").get_data(as_text=True)
    assert db.session.scalar(select(User.locale).where(User.username == "dinsos")) == "id"


def test_county_page_in_english(client, auth, world):
    world.worker("DINSOS", verification="approved")
    auth.login("supervisor")
    _lang(client, "en")
    page = client.get("/kabupaten/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Approved" in page and "Enrolled and approved" in page
    assert "Disetujui" not in page and "Terdaftar dan disetujui" not in page and "Cakupan" not in page


def test_english_numbers_and_messages(client, auth, world):
    auth.login("dinsos")
    _lang(client, "en")
    worker = world.worker("DINSOS")
    response = client.post(f"/antrian/{worker.id}/setujui", data={"version": worker.version})
    assert response.status_code == 303
    assert f"{worker.full_name}: Approved." in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("target, expected", [
    ("/kabupaten/?opd=DINSOS", "/kabupaten/?opd=DINSOS"),
    ("//evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("/keluar", "/"),  # a POST-only address: back home instead of a 405
])
def test_switch_goes_back_only_to_pages_of_this_site(client, world, target, expected):
    response = _lang(client, "en", next=target)
    assert response.status_code == 303 and response.headers["Location"] == expected


def test_switch_without_next_goes_back_to_the_referring_page(client, world):
    response = client.post("/bahasa", data={"lang": "en"}, headers={"Referer": "http://localhost/masuk?next=%2F"})
    assert response.headers["Location"] == "/masuk?next=%2F"
    response = client.post("/bahasa", data={"lang": "en"}, headers={"Referer": "http://evil.example/masuk"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("data", [{"lang": "fr"}, {"lang": ""}, {}])
def test_unknown_language_is_422_and_changes_nothing(client, world, data):
    response = client.post("/bahasa", data=data)
    assert response.status_code == 422
    assert "Bahasa tidak dikenal" in response.get_data(as_text=True)
    assert '<html lang="id">' in client.get("/masuk").get_data(as_text=True)


def test_switch_needs_a_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/bahasa", data={"lang": "en"}).status_code == 400
    assert '<html lang="id">' in client.get("/masuk").get_data(as_text=True)


def test_language_chosen_before_login_is_kept(client, world):
    client.post("/bahasa", data={"lang": "en", "next": "/masuk"})
    client.post("/masuk", data={"username": "dinsos", "password": "rahasia-uji-123"})
    from portal.core.models import User
    from portal.web.extensions import db
    assert db.session.get(User, world.users["dinsos"].id).locale == "en"


def test_berita_acara_stays_indonesian_while_its_menu_and_toolbar_follow_the_user(client, auth, world):
    world.worker("DINSOS", verification="approved")
    auth.login("dinsos")
    client.post("/bahasa", data={"lang": "en"})
    page = client.get("/berita-acara/dinsos").text
    document = re.search(r'<article class="ba" lang="id".*?</article>', page, re.S).group(0)
    tools = page[:page.index('<article class="ba"')]
    assert "BERITA ACARA VERIFIKASI" in document and "Disetujui (daftar B)" in document
    assert "Approved" not in document and "Queue" in tools and "Document date" in tools
    assert "Tanggal dokumen" not in tools and "Antrian" not in tools
    assert "Queue" in client.get("/antrian/").text or "queue" in client.get("/antrian/").text.lower()


def test_english_menu_says_claims_and_names_regions_in_english(client, auth, world):
    auth.login("admin")
    _lang(client, "en")
    page = client.get("/kabupaten/").text
    assert ">Claims</a>" in page and "By district (kecamatan)" in page
