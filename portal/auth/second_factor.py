"""The second factor: a TOTP app (RFC 6238, 30-second codes) and ten one-time recovery codes.

A secret is written when enrolment starts and counts only once the first code from the app
confirms it (`totp_enabled_at`). The secret is kept as it is: the app must compute the same codes
(recovery codes, which need not be computed, are kept as SHA-256 only)."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.core import N_, audit
from portal.core.errors import Invalid, NotAllowed
from portal.core.models import RecoveryCode, User, utcnow
from portal.core.roles import ADMINS

STEP = 30  # seconds per code
DRIFT = 1  # steps accepted either side, for a phone's clock a little off
RECOVERY_CODES = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread from paper
WRONG_CODE = N_("Kode salah atau sudah dipakai. Masukkan kode 6 angka yang sedang tampil di aplikasi, "
                "atau salah satu kode cadangan.")


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def must_enrol(user: User, roles: tuple[str, ...] | list[str]) -> bool:
    """Whether `user`'s role needs a second factor (`roles`, production's REQUIRE_TOTP_ROLES) and
    they have none yet."""
    return user.role in roles and not enabled(user)


def start(user: User) -> str:
    """The secret to enrol with: the one waiting for its first code, else a new one (nothing is
    switched on, so nothing is audited yet)."""
    if enabled(user):
        raise Invalid(N_("Verifikasi dua langkah sudah aktif."))
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def uri(user: User, issuer: str) -> str:
    """What the QR code holds: the otpauth:// address an authenticator app reads."""
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.username, issuer_name=issuer)


def _step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (within the drift) whose code is `code`, or None."""
    totp, current = pyotp.TOTP(secret), int(now.timestamp()) // STEP
    for step in range(current - DRIFT, current + DRIFT + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normal(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())[:40]


def _accept(session: Session, user: User, code: str, now: datetime) -> str | None:
    """Use `code` once: a TOTP code of a step later than the last one taken, or an unused
    recovery code. Returns "totp" or "recovery", or None."""
    code = _normal(code)
    if not user.totp_secret or not code:
        return None
    if len(code) == 6 and code.isdigit():
        step = _step(user.totp_secret, code, now)
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            return None
        user.totp_last_step = step
        return "totp"
    if not enabled(user):
        return None
    kept = session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                                     RecoveryCode.code_hash == _digest(code)))
    if kept is None:
        return None
    kept.used_at = now
    return "recovery"


def _new_codes(session: Session, user: User) -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(10))  # 50 bits
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_digest(raw)))
    return codes


def confirm(session: Session, user: User, code: str, now: datetime | None = None) -> list[str]:
    """Switch the second factor on with the first code from the app; returns the recovery codes,
    in clear this once."""
    if enabled(user):
        raise Invalid(N_("Verifikasi dua langkah sudah aktif."))
    if _accept(session, user, code, now or utcnow()) is None:
        raise Invalid(WRONG_CODE)
    user.totp_enabled_at = now or utcnow()
    codes = _new_codes(session, user)
    audit.record(session, action="totp_on", user_id=user.id,
                 detail=json.dumps({"username": user.username}, ensure_ascii=False))
    return codes


def unused_codes(session: Session, user: User) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                             RecoveryCode.used_at.is_(None))).all())


def second_step(session: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """The login's second step: True (and the login recorded) when `code` is accepted; a wrong
    code is recorded as a failed attempt."""
    kind = _accept(session, user, code, now or utcnow()) if enabled(user) else None
    if kind is None:
        audit.record(session, action="login_code_failed", user_id=user.id,
                     detail=json.dumps({"username": user.username}, ensure_ascii=False))
        return False
    user.last_login_at = now or utcnow()
    audit.record(session, action="login", user_id=user.id, detail=json.dumps({"factor": kind}))
    return True


def _clear(session: Session, user: User) -> int:
    """Forget the secret and the recovery codes; returns how many codes were still unused."""
    unused = unused_codes(session, user)
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    return unused


def disable(session: Session, user: User, code: str, now: datetime | None = None) -> None:
    """The user switches their own second factor off, proving it with a valid code."""
    if not enabled(user):
        raise Invalid(N_("Verifikasi dua langkah belum aktif."))
    if _accept(session, user, code, now or utcnow()) is None:
        raise Invalid(WRONG_CODE)
    unused = _clear(session, user)
    audit.record(session, action="totp_off", user_id=user.id,
                 detail=json.dumps({"username": user.username, "unused_codes": unused}, ensure_ascii=False))


def reset(session: Session, actor: User, user: User) -> None:
    """An admin takes a user's second factor away (a lost phone): the secret and recovery codes
    are forgotten and the user's sessions end; the user enrols again."""
    if actor.role not in ADMINS:
        raise NotAllowed(N_("Hanya administrator yang dapat mengelola pengguna."))
    if not user.totp_secret:
        raise Invalid(N_("%(u)s belum memakai verifikasi dua langkah."), u=user.username)
    was_on = enabled(user)
    unused = _clear(session, user)
    user.end_sessions()
    audit.record(session, action="totp_reset", user_id=actor.id,
                 detail=json.dumps({"username": user.username, "was_on": was_on, "unused_codes": unused},
                                   ensure_ascii=False))
