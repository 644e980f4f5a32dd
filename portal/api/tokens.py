"""Read-only API tokens for /api/summary: made and revoked by an admin (audited), and the bearer
token of a request turned back into its ApiToken.

Only the token's SHA-256 is stored; the plain token exists once, in the value `create` returns.
A token is a lookup key of 256 random bits, so finding it by its hash is as safe as a
constant-time comparison: nothing about a stored hash leaks through timing of a lookup.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import N_, audit
from portal.core.errors import Invalid, NotAllowed, WrongState
from portal.core.models import ApiToken, User, utcnow
from portal.core.roles import ADMINS

NAME_MAX = 80
PLAIN_MAX = 200  # token_urlsafe(32) is 43 characters; anything much longer is not ours
# last_used_at is a hint for the admin, not a log: one write a minute is enough.
TOUCH_EVERY = timedelta(minutes=1)


def digest(plain: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(plain.encode()).hexdigest()


def _admin(actor: User) -> None:
    if actor.role not in ADMINS:
        raise NotAllowed(N_("Hanya administrator yang dapat mengelola token API."))


def _name(name: str | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise Invalid(N_("Tulis nama token (1–80 karakter), misalnya pemakainya: \u201cDasbor Bapperida\u201d."))
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise Invalid(N_("Nama token tidak boleh memuat karakter kendali."))
    return name


def create(session: Session, actor: User, name: str) -> tuple[ApiToken, str]:
    """A new active token named `name`, audited; returns it with the plain token, which is not
    stored anywhere and cannot be shown again."""
    _admin(actor)
    name = _name(name)
    plain = secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=digest(plain), created_by_id=actor.id)
    session.add(token)
    session.flush()
    audit.record(session, action="token_create", user_id=actor.id,
                 detail=json.dumps({"token_id": token.id, "name": name}, ensure_ascii=False))
    return token, plain


def revoke(session: Session, actor: User, token: ApiToken) -> None:
    """Make `token` unusable from now on, audited. A revoked token stays listed and cannot be
    restored: the admin makes a new one instead."""
    _admin(actor)
    if not token.active:
        raise WrongState(N_("Token %(name)s sudah dicabut."), name=token.name)
    token.active = False
    audit.record(session, action="token_revoke", user_id=actor.id,
                 detail=json.dumps({"token_id": token.id, "name": token.name}, ensure_ascii=False))


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def authenticate(session: Session, plain: str | None, now: datetime | None = None) -> ApiToken | None:
    """The active token whose plain value is `plain`, or None. Notes when it was last used (at
    most once a minute); the caller commits."""
    if not plain or len(plain) > PLAIN_MAX:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(plain)))
    if token is None or not token.active:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - _aware(token.last_used_at) >= TOUCH_EVERY:
        token.last_used_at = now
    return token


def listing(session: Session) -> list[tuple[ApiToken, str]]:
    """Every token with the username of the admin who made it; active ones first, newest first."""
    stmt = (select(ApiToken, User.username).join(User, User.id == ApiToken.created_by_id)
            .order_by(ApiToken.active.desc(), ApiToken.id.desc()))
    return [(token, username) for token, username in session.execute(stmt)]
