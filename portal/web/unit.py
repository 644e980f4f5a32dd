"""One unit of work per request: run a domain change, commit it, or roll all of it back on a
refusal. Views call `commit` (or `attempt` for a row action with a form) instead of writing
try / commit / except / rollback themselves."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

from flask import flash, redirect, url_for

from portal.core.errors import TransitionError
from portal.web.extensions import db
from portal.web.forms import first_error
from portal.web.htmx import is_htmx
from portal.web.text import describe

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """What a unit of work gave: its value, or the refusal that rolled it back."""
    value: T | None = None
    error: TransitionError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str | None:
        """The refusal in the user's language."""
        return describe(self.error) if self.error is not None else None

    @property
    def status(self) -> int:
        return self.error.status if self.error is not None else 200


def commit(work: Callable[[], T]) -> Outcome[T]:
    """Run `work()` and commit; a TransitionError rolls back everything it did."""
    try:
        value = work()
        db.session.commit()
    except TransitionError as error:
        db.session.rollback()
        return Outcome(error=error)
    return Outcome(value)


def attempt(worker, form, apply) -> tuple[object, str | None, int]:
    """Validate `form` and run `apply(worker, form)` (one domain transition) as a unit of work.
    Returns the worker as stored now, the refusal's message and the status to answer with."""
    if not form.validate():
        return worker, first_error(form), 422
    done = commit(lambda: apply(worker, form))
    if not done.ok:
        return db.session.get(type(worker), worker.id, populate_existing=True), done.message, done.status
    return worker, None, 200


def act(page, endpoint: str, work: Callable[[], object], done: str):
    """A page action as one unit of work: on a refusal the page again with its message
    (`page(message, status)`); on success the page with `done` for htmx, else `done` flashed and
    303 to `endpoint`."""
    outcome = commit(work)
    if not outcome.ok:
        return page(outcome.message, outcome.status)
    if is_htmx():
        return page(done)
    flash(done, "info")
    return redirect(url_for(endpoint), 303)

