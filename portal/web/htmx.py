"""Request and response helpers for htmx: one URL, two representations."""
from __future__ import annotations

from flask import render_template, request
from jinja2_fragments.flask import render_block, render_blocks


def is_htmx() -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and \
        request.headers.get("HX-History-Restore-Request") != "true"


def page_or_block(template: str, block: str, **context) -> str:
    """The whole page, or for htmx only `block` of it."""
    if is_htmx():
        return render_block(template, block, **context)
    return render_template(template, **context)


def blocks(template: str, names: list[str], **context) -> str:
    """Several blocks of one page in one response (the first swaps, the rest are out-of-band)."""
    return render_blocks(template, names, oob=True, **context)
