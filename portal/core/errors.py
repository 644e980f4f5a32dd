"""The errors every feature raises: a refused change (`TransitionError` and its kinds, each with
the HTTP status a view answers with) and one thing wrong with a value (`Problem`)."""
from __future__ import annotations

from dataclasses import dataclass, field


class TransitionError(Exception):
    """A refused transition. `message` (Indonesian, marked for translation) takes `params`;
    `status` is the HTTP status a view should answer with."""
    status = 400

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.message, self.params = message, params


class NotAllowed(TransitionError):
    status = 403


class NotFound(TransitionError):
    status = 404


class WrongState(TransitionError):
    status = 409


class Stale(TransitionError):
    status = 409


class Invalid(TransitionError):
    status = 422


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a value: a stable `code`, an Indonesian `message` (marked for
    translation, %-style `params`) and a `level`: error (refused) or warning (to check)."""
    code: str
    message: str
    params: dict = field(default_factory=dict)
    level: str = "error"

    def text(self) -> str:
        """The message with its values filled in (untranslated Indonesian)."""
        return self.message % self.params if self.params else self.message
