"""Forms as a page rendered them, submitted as a browser would: hidden inputs included, the CSRF
token as the page gives it (a form's own field, or for htmx the `hx-headers` of the element or an
ancestor), the button pressed named in the body.

- `form(page, action, **typed)`: the fields of one form, to post by hand in a test;
- `parse(page)`: everything a page offers to click or submit (`Page`: every <form>, every element
  with hx-get/hx-post, the links, the visible messages);
- `Crawler`: a browser's walk through a role's pages, submitting every form and htmx element it
  meets with the values a `Filler` chooses, and recording what each answered;
- `portal_crawler(app, world, role)`: that walk on this portal, with what only its users know
  (passwords, a NIK on file, the files they upload) — tests/web/test_rendered_forms.py and
  tests/web/test_junk.py."""
from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pyotp
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from portal.auth import second_factor
from portal.core import clock, nik
from portal.core.models import Base, Event, Kecamatan, User, Worker
from portal.web.extensions import db
from tests.factories import PASSWORD

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CONTROLS = {"input", "select", "textarea", "button"}
BUTTON_TYPES = {"submit", "reset", "button", "image"}
# Where the portal says what went wrong: alerts, the flash of an error, a field's or a row's error.
MESSAGE_CLASSES = {"field-error", "row-msg", "error-page"}



def wib_today() -> date:
    """Today in the regency (WIB, UTC+7), written again here: from 17:00 UTC the server's own
    date is a day behind the portal's."""
    return datetime.now(timezone(timedelta(hours=7))).date()

@dataclass
class Control:
    """An input, select, textarea or button as rendered."""
    tag: str
    attrs: dict[str, str]
    options: list[tuple[str, bool, bool]] = field(default_factory=list)  # (value, selected, disabled)
    text: str = ""  # a textarea's content
    label: str = ""  # the text of its <label>

    @property
    def name(self) -> str:
        return self.attrs.get("name") or ""

    @property
    def type(self) -> str:
        if self.tag == "input":
            return (self.attrs.get("type") or "text").lower()
        if self.tag == "button":
            return (self.attrs.get("type") or "submit").lower()
        return self.tag

    @property
    def disabled(self) -> bool:
        return "disabled" in self.attrs

    @property
    def is_button(self) -> bool:
        return self.tag == "button" or self.type in BUTTON_TYPES

    @property
    def submits(self) -> bool:
        return self.type in ("submit", "image") and not self.disabled

    @property
    def visible(self) -> bool:
        """A field a person sees and fills in (not hidden, not a button)."""
        return self.type != "hidden" and not self.is_button

    @property
    def value(self) -> str:
        """What a browser sends for it untouched (a select: its selected, else first, option)."""
        if self.tag == "select":
            enabled = [o for o in self.options if not o[2]]
            chosen = [o for o in enabled if o[1]]
            return (chosen or enabled or [("", False, False)])[0][0]
        if self.tag == "textarea":
            return self.text
        if self.type in ("checkbox", "radio"):
            return self.attrs.get("value") or "on"
        return self.attrs.get("value") or ""

    @property
    def checked(self) -> bool:
        return "checked" in self.attrs

    @property
    def validates(self) -> bool:
        """Whether the page says this field checks what is typed (so a wrong value can be tried)."""
        if not self.visible or self.disabled or self.type in ("checkbox", "radio"):
            return False
        return self.tag == "select" or any(a in self.attrs for a in ("required", "maxlength", "pattern")) or \
            self.type in ("date", "number", "email")

    def describe(self) -> str:
        return self.label or self.name


@dataclass
class Element:
    """A <form>, or another element with hx-get/hx-post, as rendered."""
    tag: str
    attrs: dict[str, str]
    headers: dict[str, str]  # hx-headers of the element and its ancestors, the nearer one winning
    controls: list[Control] = field(default_factory=list)
    form: Element | None = None  # for an htmx element inside a form: that form

    @property
    def hx(self) -> tuple[str, str] | None:
        """The htmx request it makes: (method, URL)."""
        for verb in ("post", "get", "put", "patch", "delete"):
            if f"hx-{verb}" in self.attrs:
                return verb.upper(), self.attrs[f"hx-{verb}"] or ""
        return None

    @property
    def method(self) -> str:
        return (self.attrs.get("method") or "get").upper()

    @property
    def action(self) -> str:
        return self.attrs.get("action") or ""

    @property
    def fields(self) -> list[Control]:
        """The controls a submission of it sends (an htmx element outside a form sends none; inside
        one, a non-GET request sends the form's)."""
        if self.tag == "form":
            return self.controls
        if self.form is not None and self.hx and self.hx[0] != "GET":
            return self.form.controls
        return []

    def describe(self) -> str:
        target = self.hx[1] if self.hx and self.tag != "form" else self.action
        return f"<{self.tag}> {target}"


@dataclass
class Page:
    """What a rendered page (or fragment) offers: elements to submit, links, visible messages."""
    elements: list[Element]
    links: list[str]
    messages: list[str]  # text of alerts, error flashes, field and row errors, error pages
    by_id: dict[str, str]  # text of every element with an id
    full: bool  # a whole page (a doctype), not a fragment

    def controls(self, name: str) -> list[Control]:
        return [c for e in self.elements for c in e.controls if c.name == name]


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[dict] = []  # open elements: tag, attrs, headers, text (a list when kept)
        self.elements: list[Element] = []
        self.forms_by_id: dict[str, Element] = {}
        self.owned: list[tuple[str, Control]] = []  # controls with form="id"
        self.links: list[str] = []
        self.messages: list[str] = []
        self.by_id: dict[str, str] = {}
        self.labels_for: dict[str, str] = {}
        self.form: Element | None = None
        self.select: Control | None = None
        self.option: dict | None = None  # the <option> being read: its attributes and text
        self.textarea: Control | None = None
        self.full = False

    def handle_decl(self, decl):
        self.full = self.full or decl.lower().startswith("doctype")

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        parent = self.stack[-1]["headers"] if self.stack else {}
        headers = dict(parent)
        if "hx-headers" in a:
            headers.update(json.loads(a["hx-headers"]))
        if tag == "form":
            self.form = Element("form", a, headers)
            self.elements.append(self.form)
            if a.get("id"):
                self.forms_by_id[a["id"]] = self.form
        elif any(k.startswith("hx-") and k[3:] in ("get", "post", "put", "patch", "delete") for k in a):
            self.elements.append(Element(tag, a, headers, form=self.form))
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in CONTROLS:
            control = Control(tag, a)
            if a.get("form"):
                self.owned.append((a["form"], control))
            elif self.form is not None:
                self.form.controls.append(control)
            labels = [e for e in self.stack if e["tag"] == "label"]
            if labels:
                labels[-1]["wraps"].append(control)
            if tag == "select":
                self.select = control
            if tag == "textarea":
                self.textarea = control
        if tag in ("option", "optgroup"):
            self._end_option()  # </option> may be left out
            if tag == "option" and self.select is not None:
                self.option = {"attrs": a, "text": []}
        if tag in VOID:
            return
        classes = set((a.get("class") or "").split())
        keep = bool(a.get("id")) or tag in ("label", "textarea") or a.get("role") == "alert" or \
            bool(classes & MESSAGE_CLASSES) or {"flash", "error"} <= classes
        self.stack.append({"tag": tag, "attrs": a, "headers": headers, "text": [] if keep else None,
                           "wraps": [], "message": a.get("role") == "alert" or bool(classes & MESSAGE_CLASSES)
                           or {"flash", "error"} <= classes})

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_data(self, data):
        for entry in self.stack:
            if entry["text"] is not None:
                entry["text"].append(data)
        if self.option is not None:
            self.option["text"].append(data)

    def _end_option(self) -> None:
        if self.option is not None and self.select is not None:
            a = self.option["attrs"]
            value = a["value"] if "value" in a else " ".join("".join(self.option["text"]).split())
            self.select.options.append((value, "selected" in a, "disabled" in a))
        self.option = None

    def handle_endtag(self, tag):
        if tag in ("option", "select"):
            self._end_option()
        if tag == "select":
            self.select = None
        if tag == "form":
            self.form = None
        if not any(e["tag"] == tag for e in self.stack):
            return
        while self.stack:
            entry = self.stack.pop()
            text = " ".join("".join(entry["text"]).split()) if entry["text"] is not None else ""
            if entry["attrs"].get("id"):
                self.by_id[entry["attrs"]["id"]] = text
            if entry["message"] and text:
                self.messages.append(text)
            if entry["tag"] == "textarea" and self.textarea is not None:
                self.textarea.text = "".join(entry["text"]).strip("\n")
            if entry["tag"] == "label":
                if entry["attrs"].get("for"):
                    self.labels_for[entry["attrs"]["for"]] = text
                for control in entry["wraps"]:
                    control.label = control.label or text
            if entry["tag"] == tag:
                break

    def page(self) -> Page:
        for form_id, control in self.owned:
            if form_id in self.forms_by_id:
                self.forms_by_id[form_id].controls.append(control)
        for element in self.elements:
            for control in element.controls:
                control.label = control.label or self.labels_for.get(control.attrs.get("id", ""), "")
        return Page(self.elements, self.links, self.messages, self.by_id, self.full)


def parse(html: str) -> Page:
    """Everything `html` offers to submit or follow, and the messages it shows."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page()


def form(page: str, action: str, **typed) -> dict[str, str]:
    """The fields of the form posting to `action` as rendered in `page`, with `typed` filled in;
    fails when the page has no such form or a typed field is not in it."""
    found = [e for e in parse(page).elements if e.tag == "form" and e.action == action]
    assert found, f"no form posts to {action}"
    fields = {}
    for c in found[0].controls:
        if c.name and not c.is_button and not c.disabled and (c.type not in ("checkbox", "radio") or c.checked):
            fields.setdefault(c.name, c.value)
    missing = set(typed) - set(fields)
    assert not missing, f"the form to {action} has no field {sorted(missing)}"
    return {**fields, **typed}


# ---- filling in and sending ------------------------------------------------------------------

class Filler:
    """The values a person would type: a valid one for each visible field (by its type, name and
    the limits the page states), and a wrong one for a field that validates. A test adds what only
    it knows (a password, a NIK, a file to upload) through `values` ({name: value}, or
    {(target endpoint, name): value} for one form only) or by overriding `file`."""
    NEW_PASSWORD = "Sungai-Selabung-77"
    # Names that say what they hold; {n} makes a value that must be unique new each time.
    NAMES = {"username": "pengguna-uji-{n}", "code": "UJI_{n}", "year": "2027", "phone": "0812 3456 7890"}

    def __init__(self, values: dict | None = None, today: date | None = None):
        self.values = values or {}
        self.today = today or wib_today()
        self.serial = 0

    def known(self, control: Control, target: str) -> str | None:
        return self.values.get((target, control.name), self.values.get(control.name))

    def valid(self, control: Control, target: str) -> str:
        """A valid value for a visible field of a form sent to `target`."""
        a = control.attrs
        self.serial += 1
        if (value := self.known(control, target)) is not None:
            pass
        elif control.tag == "select":
            value = next((v for v, _s, disabled in control.options if v and not disabled), control.value)
        elif control.name in self.NAMES:
            value = self.NAMES[control.name].format(n=self.serial)
        elif control.type == "date":
            value = a.get("value") or a.get("max") or a.get("min") or self.today.isoformat()
        elif control.type == "password":
            value = self.NEW_PASSWORD
        elif "pattern" in a and (m := re.fullmatch(r"\[0-9\]\{(\d+)\}", a["pattern"])):
            value = str(self.serial).rjust(int(m.group(1)), "7")  # digits, new each time
        elif control.type == "number" or a.get("inputmode") in ("numeric", "decimal"):
            value = "1"
        elif control.type == "email":
            value = "uji@example.org"
        else:
            value = "Uji " + (control.name or "isian").replace("_", " ")
        if a.get("maxlength", "").isdigit():
            value = value[: int(a["maxlength"])]
        return value

    def invalid(self, control: Control) -> tuple[str, str] | None:
        """A value the page itself says is wrong for this field, and what is wrong with it."""
        a = control.attrs
        if "required" in a:
            return "", "left empty"
        if a.get("maxlength", "").isdigit():
            return "1" * (int(a["maxlength"]) + 1), "too long"
        if control.tag == "select":
            return "bukan-pilihan", "not one of the options"
        if "pattern" in a:
            return "x!", "against its pattern"
        if control.type in ("date", "number", "email"):
            return "bukan-isian", f"not a {control.type}"
        return None

    def file(self, control: Control, target: str) -> tuple[bytes, str]:
        """The file chosen for a file input of a form sent to `target`."""
        return b"", "kosong.txt"


@dataclass
class Request:
    method: str
    url: str
    data: MultiDict
    headers: dict[str, str]
    files: bool = False

    def send(self, client):
        if self.method == "GET":
            base = self.url.split("?", 1)[0] if self.data else self.url
            query = urlencode(list(self.data.items(multi=True)))
            return client.open(f"{base}?{query}" if query else base, method="GET", headers=self.headers)
        if self.files:
            return client.open(self.url, method=self.method, data=self.data, headers=self.headers,
                               content_type="multipart/form-data")
        return client.open(self.url, method=self.method, data=self.data, headers=self.headers)


def request(element: Element, mode: str, page_url: str, target: str, filler: Filler, how: str,
            broken: Control | None = None, wrong: str = "") -> Request:
    """The request a browser (`mode` "form") or htmx (`mode` "htmx") makes for `element`, whose
    URL is the endpoint `target`.

    `how` is "filled" (every visible field given a valid value: selects their first non-empty
    option, the first box of each group ticked) or "as rendered" (only empty required fields
    filled); `broken` gets `wrong` instead."""
    if mode == "form":
        method, url, headers = element.method, element.action or page_url, {}
    else:
        method, url = element.hx
        url = url or page_url
        headers = {"HX-Request": "true", "HX-Current-URL": page_url, **element.headers}
    data, files, ticked = MultiDict(), False, set()
    controls = element.fields
    submitter = next((c for c in controls if c.submits), None)
    for c in controls:
        if not c.name or c.disabled or (c.is_button and c is not submitter):
            continue
        if c is broken:
            data.add(c.name, wrong)
        elif c.type == "file":
            content, name = filler.file(c, target)
            data.add(c.name, (io.BytesIO(content), name))
            files = True
        elif c.type in ("checkbox", "radio"):
            group = [x for x in controls if x.name == c.name and not x.disabled]
            pick = how == "filled" and not any(x.checked for x in group) and c.name not in ticked
            if c.checked or pick:
                data.add(c.name, c.value)
                ticked.add(c.name)
        elif not c.visible:
            data.add(c.name, c.value)
        elif how == "filled" and c.tag == "select":
            keep = filler.known(c, target) is None and any(o[1] for o in c.options) and c.value
            data.add(c.name, c.value if keep else filler.valid(c, target))
        elif how == "filled" and filler.known(c, target) is not None:
            data.add(c.name, filler.valid(c, target))
        elif c.value or (how == "as rendered" and "required" not in c.attrs):
            data.add(c.name, c.value)
        else:
            data.add(c.name, filler.valid(c, target))
    return Request(method, urljoin(page_url, url), data, headers, files)


# ---- the crawl -------------------------------------------------------------------------------

DOWNLOADS = (".csv", ".xlsx", ".pdf", ".zip")


@dataclass
class Outcome:
    """One submission and what it answered; `problem` is None when the answer was acceptable."""
    page: str  # the endpoint of the page it was on
    target: str  # the endpoint it was sent to
    mode: str  # form (a browser without JavaScript) / htmx
    attempt: str  # filled / as rendered / wrong <field> (<how>)
    status: int
    message: str
    problem: str | None = None

    def __str__(self) -> str:
        return (f"{self.page} → {self.target} [{self.mode}, {self.attempt}]: {self.status} "
                f"{self.message[:120]!r}" + (f" — {self.problem}" if self.problem else ""))


@dataclass
class Visit:
    """A page of the walk; `load` fetches it afresh and gives (final URL, response)."""
    url: str
    depth: int
    endpoint: str
    load: Callable[[], tuple[str, object]]
    replayed: bool = False  # the answer to a POST, fetched again by repeating that POST


class Crawler:
    """Walks a client through its pages as a person with a browser would, from `start`: follows
    same-site links and the options of filter forms up to `depth` clicks (at most `per_endpoint`
    URLs of one endpoint by links and `per_choice` by the options of each select, `max_pages`
    pages, no downloads),
    and on each page sends every form and htmx element once per (page endpoint, target endpoint,
    way of sending: a plain form or htmx), each time from the page loaded afresh:

    - for a POST, once for each field that validates, with a wrong value in that field: a 4xx
      with a visible message naming the field, and `stored()` the same before and after;
    - with valid values ("filled"; if refused, again "as rendered"): never a 5xx, never a 4xx
      without a visible message, and one of the two must succeed (2xx/3xx), so a form that cannot
      be submitted as the page rendered it fails. An htmx answer is a fragment holding the `#id`
      it replaces. Where a success leads (a redirect, or the page a plain POST answered) is the
      next click.

    `skip(endpoint, view_args)` keeps out what would end the session (logout, one's own account).
    `sent` keeps the first request each endpoint accepted (tests/web/test_junk.py starts from it)."""

    def __init__(self, app, client, filler: Filler, stored: Callable[[], object],
                 skip: Callable[[str, dict], bool] = lambda endpoint, args: False,
                 depth: int = 3, per_endpoint: int = 2, per_choice: int = 4, max_pages: int = 80, wrong: bool = True):
        self.client, self.filler, self.stored, self.skip = client, filler, stored, skip
        self.depth, self.per_endpoint, self.per_choice, self.max_pages = depth, per_endpoint, per_choice, max_pages
        self.wrong = wrong  # also try a wrong value in each field that validates
        self.adapter = app.url_map.bind("localhost")
        self.outcomes: list[Outcome] = []
        self.visited: list[Visit] = []
        self.untried: list[str] = []  # elements the page no longer offered when their turn came
        self.sent: dict[str, Request] = {}  # the first request each endpoint accepted, as the page made it
        self._done: set[tuple[str, str, str]] = set()
        self._queued: dict[str, int] = {}  # visits queued per endpoint (links) or endpoint and select
        self._seen: set[str] = set()

    # -- routing and fetching
    def route(self, method: str, url: str) -> tuple[str, dict] | None:
        """(endpoint, view arguments) of a URL of this site, or None (another site, no route)."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.scheme not in ("", "http", "https"):
            return None
        try:
            return self.adapter.match(parts.path, method=method)
        except RequestRedirect as redirect:
            return self.route(method, redirect.new_url)
        except HTTPException:
            return None

    def follow(self, response, url: str) -> tuple[str, object]:
        """Follow redirects as a browser does (a GET after 301/302/303)."""
        for _ in range(5):
            if response.status_code not in (301, 302, 303):
                break
            url = urljoin(url, response.headers["Location"])
            response = self.client.get(url)
        return url, response

    def get(self, url: str) -> tuple[str, object]:
        return self.follow(self.client.get(url), url)

    # -- the walk
    def crawl(self, start: str = "/") -> None:
        url, _response = self.get(start)
        route = self.route("GET", url)
        assert route, f"{start} lands on {url}, which has no route"
        queue = [Visit(url, 0, route[0], lambda: self.get(url))]
        self._seen.add(url)
        while queue and len(self.visited) < self.max_pages:
            visit = queue.pop(0)
            final, response = visit.load()
            landed = self.route("GET", final)
            if response.status_code != 200 or "text/html" not in response.content_type or landed is None or \
                    (final != visit.url and not visit.replayed and final in {v.url for v in self.visited}):
                continue
            if not visit.replayed:  # a redirect (/ → /antrian/): the page is where it landed
                visit.url, visit.endpoint = final, landed[0]
            self.visited.append(visit)
            page = parse(response.text)
            queue += self._send_all(visit, final, page)
            if visit.depth < self.depth:
                queue += [v for href in page.links if (v := self._link(visit, final, href))]
                queue += [v for element in page.elements for name, href in self._choices(element, final)
                          if (v := self._link(visit, final, href, choice=name))]

    def _link(self, visit: Visit, url: str, href: str, choice: str = "") -> Visit | None:
        link = urljoin(url, href.split("#", 1)[0])
        if not href or href.startswith("#") or urlsplit(link).path.endswith(DOWNLOADS):
            return None
        route = self.route("GET", link)
        if route is None or self.skip(*route):
            return None
        return self._queue(Visit(link, visit.depth + 1, route[0], lambda: self.get(link)), choice)

    def _choices(self, element: Element, url: str) -> list[tuple[str, str]]:
        """The pages a filter form (a GET form) shows for each option of its selects, as a person
        picks them: a tab, a status, an OPD (each is a click, like a link)."""
        if element.tag != "form" or element.method != "GET" or \
                urlsplit(urljoin(url, element.action or url)).path.endswith(DOWNLOADS):
            return []
        base = request(element, "form", url, "", self.filler, "as rendered")
        found = []
        for box in (c for c in element.controls if c.tag == "select" and c.name and not c.disabled):
            for value, _selected, disabled in box.options:
                if not disabled and value != box.value:
                    data = base.data.copy()
                    data.setlist(box.name, [value])
                    found.append((box.name, f"{base.url.split('?', 1)[0]}?{urlencode(list(data.items(multi=True)))}"))
        return found

    def _queue(self, visit: Visit, choice: str = "") -> Visit | None:
        """`visit`, if it is new and within the bounds (the options of each select have their own)."""
        key = f"{visit.endpoint} {choice}"
        if visit.url in self._seen or visit.depth > self.depth or \
                self._queued.get(key, 0) >= (self.per_choice if choice else self.per_endpoint):
            return None
        self._seen.add(visit.url)
        self._queued[key] = self._queued.get(key, 0) + 1
        return visit

    @staticmethod
    def _ways(element: Element) -> list[tuple[str, str, str]]:
        """(mode, method, URL) of each way the element can be sent."""
        ways = [("form", element.method, element.action)] if element.tag == "form" else []
        return ways + ([("htmx", *element.hx)] if element.hx else [])

    def _send_all(self, visit: Visit, url: str, page: Page) -> list[Visit]:
        later = []
        for element in page.elements:
            for mode, method, target in self._ways(element):
                full = urljoin(url, target or url)
                route = self.route(method, full)
                if route is None:
                    if urlsplit(full).netloc in ("", "localhost"):
                        self._record(visit, "?", mode, "filled", 0, "", f"{method} {full} has no route")
                    continue
                endpoint, args = route
                key = (visit.endpoint, endpoint, mode)
                if key in self._done or self.skip(endpoint, args) or \
                        (visit.replayed and any(k[1:] == key[1:] for k in self._done)):
                    continue
                self._done.add(key)
                later += self._drive(visit, element, mode, method, endpoint, key)
        return later

    def _fresh(self, visit: Visit, element: Element, mode: str, method: str, endpoint: str):
        """The page loaded again and the element to send on it: the one with the same URL if it is
        still there, else another one sending to the same endpoint the same way."""
        url, response = visit.load()
        if response.status_code >= 400 or "text/html" not in response.content_type:
            return url, None
        wanted = element.action if mode == "form" else element.hx[1]
        same = similar = None
        for candidate in parse(response.text).elements:
            for m, verb, target in self._ways(candidate):
                route = self.route(verb, urljoin(url, target or url)) if (m, verb) == (mode, method) else None
                if route and route[0] == endpoint:
                    same = same or (candidate if target == wanted else None)
                    similar = similar or candidate
        return url, same or similar

    def _drive(self, visit: Visit, element: Element, mode: str, method: str, endpoint: str,
               key: tuple[str, str, str]) -> list[Visit]:
        if method != "GET" and self.wrong:
            self._wrong(visit, element, mode, method, endpoint)
        outcome = None
        for how in ("filled", "as rendered"):
            url, fresh = self._fresh(visit, element, mode, method, endpoint)
            if fresh is None:  # an earlier submission took it away (the row was decided): the next page may offer it
                self._done.discard(key)
                self.untried.append(f"{visit.endpoint} → {endpoint} [{mode}, {how}] ({element.describe()})")
                return []
            req = request(fresh, mode, url, endpoint, self.filler, how)
            response = req.send(self.client)
            outcome = self._judge(visit, endpoint, mode, how, fresh, response)
            if response.status_code < 400:
                self.sent.setdefault(endpoint, req)
                return self._next(visit, fresh, mode, url, how, endpoint, response)
        self._record(visit, endpoint, mode, "either", outcome.status, outcome.message,
                     "cannot be submitted as rendered: refused filled and as rendered")
        return []

    def _next(self, visit: Visit, element: Element, mode: str, url: str, how: str, endpoint: str,
              response) -> list[Visit]:
        """Where a successful plain POST leads: the page it redirects to, or the page it answered
        (loaded again by repeating the POST from a fresh page)."""
        if mode != "form" or element.method == "GET" or visit.depth >= self.depth:
            return []
        if response.status_code in (301, 302, 303):
            target = urljoin(url, response.headers["Location"])
            route = self.route("GET", target)
            if route is None or self.skip(*route) or urlsplit(target).path.endswith(DOWNLOADS):
                return []
            made = self._queue(Visit(target, visit.depth + 1, route[0], lambda: self.get(target)))
            return [made] if made else []
        if response.status_code != 200 or "text/html" not in response.content_type:
            return []

        def replay():
            again_url, fresh = self._fresh(visit, element, mode, element.method, endpoint)
            if fresh is None:
                return again_url, response
            return again_url, request(fresh, mode, again_url, endpoint, self.filler, how).send(self.client)
        made = self._queue(Visit(f"{element.method} {endpoint} from {visit.url}", visit.depth + 1, endpoint,
                                 replay, replayed=True))
        return [made] if made else []

    def _wrong(self, visit: Visit, element: Element, mode: str, method: str, endpoint: str) -> None:
        for name in dict.fromkeys(c.name for c in element.fields if c.name and c.validates and self.filler.invalid(c)):
            url, fresh = self._fresh(visit, element, mode, method, endpoint)
            control = next((c for c in fresh.fields if c.name == name), None) if fresh else None
            if control is None or not (bad := self.filler.invalid(control)):
                continue
            wrong, how = bad
            before = self.stored()
            response = request(fresh, mode, url, endpoint, self.filler, "filled", control, wrong).send(self.client)
            outcome = self._judge(visit, endpoint, mode, f"wrong {control.describe()!r} ({how})", fresh, response)
            if outcome.problem:
                continue
            if response.status_code < 400:
                outcome.problem = "accepted"
            elif not self._names(control, parse(response.text)):
                outcome.problem = f"no visible message naming {control.describe()!r}"
            elif self.stored() != before:
                outcome.problem = "refused, but something was stored"

    @staticmethod
    def _names(control: Control, answer: Page) -> bool:
        """The answer says which field is wrong: its label is in a visible message, or the field
        is shown again marked invalid and described by a message."""
        label = re.sub(r"[\s:?*]+$", "", control.label).casefold()
        if label and any(label in m.casefold() for m in answer.messages):
            return True
        for again in answer.controls(control.name):
            ids = again.attrs.get("aria-describedby", "").split()
            if again.attrs.get("aria-invalid") == "true" and any(answer.by_id.get(i) for i in ids):
                return True
        return False

    def _judge(self, visit: Visit, endpoint: str, mode: str, attempt: str, element: Element, response) -> Outcome:
        status, html = response.status_code, "text/html" in response.content_type
        answer = parse(response.text) if html else None
        message = " | ".join(answer.messages) if answer else ""
        problem = None
        if status >= 500:
            problem = "server error"
        elif status >= 400 and not message and not (status == 401 and "HX-Redirect" in response.headers):
            problem = "refused without a visible message"
        elif mode == "htmx" and answer and status < 300 and "HX-Redirect" not in response.headers:
            target = response.headers.get("HX-Retarget") or element.attrs.get("hx-target", "")
            swap = response.headers.get("HX-Reswap") or element.attrs.get("hx-swap", "innerHTML")
            if answer.full:
                problem = "htmx got a whole page, not a fragment"
            elif target.startswith("#") and swap.startswith("outerHTML") and target[1:] not in answer.by_id:
                problem = f"the fragment has no {target} to replace it"
        return self._record(visit, endpoint, mode, attempt, status, message, problem)

    def _record(self, visit: Visit, endpoint: str, mode: str, attempt: str, status: int, message: str,
                problem: str | None) -> Outcome:
        outcome = Outcome(visit.endpoint, endpoint, mode, attempt, status, message, problem)
        self.outcomes.append(outcome)
        return outcome

    @property
    def problems(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.problem]

    @property
    def missed(self) -> list[str]:
        """Elements the walk met but could never send (each time, an earlier submission had taken
        them off the page)."""
        sent = {(o.page, o.target, o.mode) for o in self.outcomes}
        return [u for u in self.untried if tuple(re.match(r"(\S+) → (\S+) \[(\w+)", u).groups()) not in sent]


# ---- this portal -----------------------------------------------------------------------------

READS = ("nik_view", "export", "subject_report", "subject_export")  # events that record a look, not a change


def stored():
    """Rows per table, the events that record a change, and the sum of worker versions: what a
    refused submission must leave as it was (a refusal may still show, and log, a full NIK)."""
    counts = tuple(db.session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables
                   if t.name not in ("event", "audit_head"))
    changes = db.session.scalar(select(func.count()).select_from(Event).where(Event.action.not_in(READS)))
    versions = db.session.scalar(select(func.coalesce(func.sum(Worker.version), 0)))
    db.session.rollback()  # end the read, so the next one sees what requests committed
    return counts, changes, versions


SECOND_FACTOR_FORMS = ("auth.totp_confirm", "auth.totp_disable", "auth.login_code")


class PortalFiller(Filler):
    """What only this portal's user knows: their password, a NIK on file, the files they upload."""

    def __init__(self, client, username: str):
        worker = db.session.scalars(select(Worker).order_by(Worker.id)).first()
        super().__init__({("auth.login", "username"): username, ("auth.login", "password"): PASSWORD,
                          "current": PASSWORD, "nik": worker.nik}, today=clock.today())
        self.client, self.username = client, username

    def known(self, control: Control, target: str) -> str | None:
        if control.name == "code" and target in SECOND_FACTOR_FORMS:
            return self._totp()
        return super().known(control, target)

    def _totp(self) -> str | None:
        """The code the user's authenticator app shows: the first step not yet used."""
        user = db.session.scalar(select(User).where(User.username == self.username))
        secret, last = (user.totp_secret, user.totp_last_step) if user else (None, None)
        db.session.rollback()
        if not secret:
            return None
        now = int(time.time()) // second_factor.STEP
        return pyotp.TOTP(secret).generate_otp(max(now, (last or 0) + 1))

    def file(self, control: Control, target: str) -> tuple[bytes, str]:
        if target == "queue.sheet_upload":  # the workbook the page offers, with one decision typed in
            book = load_workbook(io.BytesIO(self.client.get("/antrian/unduh.xlsx").data))
            sheet = book["Antrian"]
            sheet.protection.sheet = False
            sheet.cell(row=2, column=7, value="Setujui")
            out = io.BytesIO()
            book.save(out)
            return out.getvalue(), "keputusan.xlsx"
        out = io.StringIO()
        if target == "bpjs.file_upload":  # BPJS's report: an approved name is now a participant
            approved = db.session.scalars(select(Worker).where(Worker.verification == "approved",
                                                               Worker.enrolment == "not_enrolled")).first()
            csv.writer(out).writerows([["NIK", "No KPJ", "Status", "Tanggal Kepesertaan"],
                                       [approved.nik, "26999999901", "Aktif", "2025-03-01"]])
        else:  # an OPD's list: one new name
            kecamatan = db.session.scalars(select(Kecamatan).order_by(Kecamatan.code)).first()
            csv.writer(out).writerows([["NIK", "Nama"], [nik.compose(kecamatan.code, date(1975, 3, 12), "L", 777),
                                                         "Nama Dari Berkas"]])
        db.session.rollback()
        return out.getvalue().encode(), "daftar.csv"


def portal_crawler(app, world, role: str, **options) -> Crawler:
    """A crawler for `role` (a username of `world`, or "anonymous") on this portal, starting
    logged out: it logs in through the login form."""
    client = app.test_client()
    me = world.users[role].id if role in world.users else None

    def skip(endpoint: str, args: dict) -> bool:
        """What would end this session or make it someone else's."""
        return endpoint == "auth.logout" or (role == "anonymous" and endpoint == "auth.login") or \
            (endpoint.startswith("admin.") and args.get("user_id") == me)
    return Crawler(app, client, PortalFiller(client, role), stored, skip, **options)
