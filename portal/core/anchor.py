"""The audit chain's head, anchored outside the database.

Every committed transaction that wrote events appends its new head, `<time> head <seq> <hash>`,
to an append-only file (AUDIT_ANCHOR_PATH, 0600, opened O_APPEND) and, when configured, to
syslog. Someone who can rewrite the database but not that file cannot cut the chain's tail, wipe
it or reseal it unseen: `audit-verify` compares the database with the newest anchored head.

The line is written only after the commit, so the anchor never runs ahead of committed data. A
crash between commit and append leaves the database a few events ahead of the anchor, which the
next commit's line closes; the verifier reports that as a note, not a cut. A restore that
legitimately replaces the data writes a reset line (`note_reset`) first; heads before the last
reset no longer bind.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
from typing import NamedTuple

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.core import clock

_PENDING = "audit_anchor"  # session.info key: the head this transaction will commit
_log = logging.getLogger("portal.audit")
_syslog = logging.getLogger("portal.audit.anchor")
_syslog.propagate = False
_config: dict[str, str | None] = {"path": None}


class Anchored(NamedTuple):
    """What the anchor file says since its last reset: every anchored seq with its seal, the
    newest head, the reset line (if any) and how many lines could not be read."""
    path: str
    heads: dict[int, str]
    top: tuple[int, str] | None
    reset: str | None
    unreadable: int


def configure(path: str, syslog: str | None = None) -> None:
    """Anchor heads to `path`, and to the syslog at `syslog` ("/dev/log" or "host:port") if set."""
    _config["path"] = path
    for handler in list(_syslog.handlers):
        _syslog.removeHandler(handler)
        handler.close()
    if syslog:
        host, _, port = syslog.rpartition(":")
        address: str | tuple[str, int] = (host, int(port)) if host and port.isdigit() else syslog
        _syslog.addHandler(logging.handlers.SysLogHandler(address=address))
        _syslog.setLevel(logging.INFO)


def path() -> str | None:
    """The anchor file heads are appended to (None before `configure`)."""
    return _config["path"]


def pending(session: Session, seq: int, seal: str) -> None:
    """Remember the head this transaction moves to; it is anchored once the commit succeeds."""
    session.info[_PENDING] = (seq, seal)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    head = session.info.pop(_PENDING, None)
    if head is not None:
        _append(f"head {head[0]} {head[1]}")


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous) -> None:
    # A head that was rolled back (even to a savepoint) must never be anchored: it would look
    # like a cut tail. Dropping it only leaves the anchor behind until the next commit.
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction) -> None:
    if transaction.parent is None:  # closed without commit (after_commit has popped it otherwise)
        session.info.pop(_PENDING, None)


def note_reset(head: tuple[int, str] | None, reason: str, replaced: tuple[int, str] | None = None) -> None:
    """Record that the chain now legitimately ends at `head` (seq, seal; None for an empty
    trail), e.g. after a restore replaced the data whose head was `replaced`. Call it once the
    new data is in place and before writing any event on it."""
    seq, seal = head or (0, "-")
    was = f"{replaced[0]} {replaced[1]}" if replaced else "- -"
    _append(f"reset {seq} {seal} replaced {was} {' '.join(reason.split())}", strict=True)


def _append(body: str, strict: bool = False) -> None:
    line = f"{clock.now().isoformat(timespec='seconds')} {body}\n"
    target = _config["path"]
    try:
        if target is None:
            raise OSError("AUDIT_ANCHOR_PATH is not configured")
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())  # one write: lines of concurrent writers never interleave
        finally:
            os.close(fd)
    except OSError:
        if strict:
            raise
        # The data is committed; failing the request now would not undo it. The next commit's
        # line closes the gap, and audit-verify reports the database ahead of its anchor.
        _log.exception("audit anchor not written")
    if _syslog.handlers:
        _syslog.info("portal audit %s", body)


def read() -> Anchored | None:
    """The anchor file's heads since its last reset; None when there is no file or no head."""
    target = _config["path"]
    if target is None or not os.path.exists(target):
        return None
    heads: dict[int, str] = {}
    reset, unreadable = None, 0
    with open(target, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split(maxsplit=7)
            try:
                kind, seq = parts[1], int(parts[2])
                seal = parts[3]
            except (IndexError, ValueError):
                unreadable += 1  # e.g. a line torn by a full disk
                continue
            if kind == "reset":
                heads, reset = ({seq: seal} if seq else {}), line.strip()
            elif kind == "head" and len(seal) == 64:
                heads[seq] = seal
            else:
                unreadable += 1
    if not heads and reset is None:
        return None
    top = max(heads.items()) if heads else None
    return Anchored(target, heads, top, reset, unreadable)
