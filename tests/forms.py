"""Forms as a page rendered them: a test submits what the browser would, hidden inputs included."""
from __future__ import annotations

from html.parser import HTMLParser


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._open = {}
            self.forms.append((a.get("action") or "", self._open))
        elif tag in ("input", "textarea", "select") and self._open is not None and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._open.setdefault(a["name"], a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def form(page: str, action: str, **typed) -> dict[str, str]:
    """The fields of the form posting to `action` as rendered in `page`, with `typed` filled in;
    fails when the page has no such form or a typed field is not in it."""
    parser = _Forms()
    parser.feed(page)
    found = [fields for target, fields in parser.forms if target == action]
    assert found, f"no form posts to {action}"
    fields = dict(found[0])
    missing = set(typed) - set(fields)
    assert not missing, f"the form to {action} has no field {sorted(missing)}"
    return {**fields, **typed}
