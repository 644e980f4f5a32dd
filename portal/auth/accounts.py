"""User accounts: the password rule, and the admin's changes to accounts — each audited."""
from __future__ import annotations

import json
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import N_, audit, name_rule
from portal.core.errors import Invalid, NotAllowed
from portal.core.models import OPD, User, check_no_password, utcnow
from portal.core.roles import ADMINS
from portal.core.states import ROLES

MIN_LENGTH = 10
COMMON = {"password123", "1234567890", "qwertyuiop", "bismillah123", "indonesia123", "rahasia123",
          "admin12345", "okuselatan", "muaradua123", "passw0rd123", "0123456789"}
USERNAME = re.compile(r"^[a-z0-9._-]{3,40}$")


def authenticate(session: Session, username: str, password: str, method: str) -> User | None:
    """The active user with these credentials, or None; either way an audit event (a failed
    attempt records the name typed, never the password). A password is hashed once whether or
    not the account exists or is active (`method`: the configured hasher), so the answer takes
    as long. A user with a second factor is only past the password step ("login_password"); the
    login is recorded when the code is (`second_factor.second_step`)."""
    username = (username or "").strip().lower()
    user = session.scalar(select(User).where(User.username == username))
    matches = user.check_password(password) if user is not None else check_no_password(password, method)
    if user is None or not matches or not user.active:
        audit.record(session, action="login_failed", user_id=user.id if user else None,
                     detail=json.dumps({"username": username[:40]}, ensure_ascii=False))
        return None
    if user.totp_enabled_at is not None:
        audit.record(session, action="login_password", user_id=user.id)
        return user
    user.last_login_at = utcnow()
    audit.record(session, action="login", user_id=user.id)
    return user


def password_problems(password: str, username: str) -> list[str]:
    """Why `password` is too weak for `username` (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(N_("Kata sandi paling sedikit 10 karakter."))
    if len(password) > 200:
        problems.append(N_("Kata sandi paling banyak 200 karakter."))
    lowered = password.lower()
    if username and username.lower() in lowered:
        problems.append(N_("Kata sandi tidak boleh memuat nama pengguna."))
    if lowered in COMMON or len(set(password)) < 4:
        problems.append(N_("Kata sandi ini terlalu mudah ditebak."))
    return problems


def temporary_password() -> str:
    """A one-time password an admin hands over; the user must change it at first login."""
    return secrets.token_urlsafe(9)


def _admin(actor: User) -> None:
    if actor.role not in ADMINS:
        raise NotAllowed(N_("Hanya administrator yang dapat mengelola pengguna."))


def _audit(session: Session, actor: User, action: str, target: User, **detail) -> None:
    audit.record(session, action=action, user_id=actor.id,
                 detail=json.dumps({"username": target.username, **detail}, ensure_ascii=False))


def create(session: Session, actor: User, username: str, full_name: str, role: str,
           opd: OPD | None, method: str) -> tuple[User, str]:
    """A new account with a temporary password (returned once, never stored in clear); its full
    name passes the rule of every written name (`name_rule.clean`)."""
    _admin(actor)
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise Invalid(N_("Nama pengguna 3–40 karakter: huruf kecil, angka, titik, garis bawah atau tanda minus."))
    if session.scalar(select(User).where(User.username == username)):
        raise Invalid(N_("Nama pengguna %(username)s sudah dipakai."), username=username)
    if role not in ROLES:
        raise Invalid(N_("Peran tidak dikenal."))
    if (role == "verifier") != (opd is not None):
        raise Invalid(N_("Verifikator wajib punya OPD; peran lain tanpa OPD."))
    full_name, problem = name_rule.clean(full_name)
    if problem is not None:  # the rule every written name passes (an empty full name is allowed)
        raise Invalid(problem.message, **problem.params)
    password = temporary_password()
    user = User(username=username, full_name=full_name[:120], role=role, opd=opd,
                must_change_password=True)
    user.set_password(password, method)
    session.add(user)
    session.flush()
    _audit(session, actor, "user_create", user, role=role, opd=opd.code if opd else None)
    return user, password


def reset_password(session: Session, actor: User, user: User, method: str) -> str:
    """A new temporary password; the user's sessions end and a change is forced at next login."""
    _admin(actor)
    password = temporary_password()
    user.set_password(password, method)
    user.must_change_password = True
    _audit(session, actor, "password_reset", user)
    return password


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Deactivate (sessions end at once) or reactivate an account; never deleted."""
    _admin(actor)
    if user.id == actor.id and not active:
        raise Invalid(N_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    if user.active == active:
        return
    user.active = active
    user.end_sessions()
    _audit(session, actor, "user_on" if active else "user_off", user)


def assign_opd(session: Session, actor: User, user: User, opd: OPD) -> None:
    """Move a verifier to another OPD; the change of access takes effect on their next request."""
    _admin(actor)
    if user.role != "verifier":
        raise Invalid(N_("Hanya verifikator yang ditugaskan ke OPD."))
    if user.opd_id == opd.id:
        return
    before = user.opd.code if user.opd else None
    user.opd = opd
    _audit(session, actor, "user_opd", user, opd=[before, opd.code])


def change_own_password(session: Session, user: User, current: str, new: str, method: str) -> None:
    """The user's own change: the current password, then a new one that passes the rule."""
    if not user.check_password(current):
        raise Invalid(N_("Kata sandi sekarang salah."))
    problems = password_problems(new, user.username)
    if problems:
        raise Invalid(problems[0])
    if user.check_password(new):
        raise Invalid(N_("Kata sandi baru harus berbeda dari yang sekarang."))
    user.set_password(new, method)
    user.must_change_password = False
    _audit(session, user, "password_change", user)
