"""Database tables as SQLAlchemy 2.0 typed mappings.

Plain SQLAlchemy (no Flask import) so rules modules and scripts can use the models with any
Session; Flask-SQLAlchemy binds this Base in `portal.web.extensions`.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.event import listens_for
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from portal.core import clock, names
from portal.core.states import ENROLMENT, ROLES, VERIFICATION

# Stable constraint names, so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, from the one clock (portal.core.clock), so a test that freezes it freezes every record."""
    return clock.now()


_DUMMY_HASHES: dict[str, str] = {}


def check_no_password(password: str, method: str) -> bool:
    """False, after the work of checking `password` against a hash of `method`: an unknown
    username then answers as slowly as a known one, so timing does not tell which exist."""
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method=method)
    check_password_hash(_DUMMY_HASHES[method], password)
    return False


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class OPD(Base):
    __tablename__ = "opd"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __repr__(self) -> str:
        return f"<OPD {self.code}>"


class Category(Base):
    """A kind of worker (marbot, relawan damkar, …); managed by an admin, not an enum."""
    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opd.id"))
    active: Mapped[bool] = mapped_column(default=True)
    opd: Mapped[OPD | None] = relationship()


class RejectReason(Base):
    """Why an OPD rejects a name; managed by an admin. `note_required` for 'lainnya'."""
    __tablename__ = "reject_reason"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    note_required: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(default=0)


class Kecamatan(Base):
    __tablename__ = "kecamatan"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # Kemendagri, e.g. 160901
    name: Mapped[str] = mapped_column(String(80))


class Desa(Base):
    __tablename__ = "desa"
    code: Mapped[str] = mapped_column(String(10), primary_key=True)  # Kemendagri, e.g. 1609011013
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))  # desa / kelurahan
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"), index=True)


class User(Base):
    """A person who logs in. Implements the four attributes Flask-Login expects."""
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("role <> 'verifier' OR opd_id IS NOT NULL", name="verifier_has_opd"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12))
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opd.id"))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(String(5), default="id")  # the user's interface language
    # Part of the login session's id: a new token ends every session of this user.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The second factor (TOTP): a secret waiting for its first code until `totp_enabled_at` is
    # set; the last 30-second step accepted, so a code seen over a shoulder cannot be replayed.
    totp_secret: Mapped[str | None] = mapped_column(String(32))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    opd: Mapped[OPD | None] = relationship()

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Make every existing login session of this user invalid."""
        self.session_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class RecoveryCode(Base):
    """A one-time code that stands in for the TOTP app once; only its SHA-256 is kept."""
    __tablename__ = "recovery_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Worker(Base):
    """A pekerja rentan on an OPD's list. `version` is the optimistic-lock counter."""
    __tablename__ = "worker"
    __table_args__ = (
        CheckConstraint(_in("verification", VERIFICATION), name="verification"),
        CheckConstraint(_in("enrolment", ENROLMENT), name="enrolment"),
        CheckConstraint("length(nik) = 16", name="nik_length"),
        Index("ix_worker_queue", "opd_id", "verification", "sort_name"),
        Index("ix_worker_opd_name", "opd_id", "sort_name"),
        Index("ix_worker_opd_nik", "opd_id", "nik"),  # NIK-prefix search within an OPD
        Index("ix_worker_desk", "enrolment", "verification", "sort_name"),
        Index("ix_worker_birth", "birth_date", "sex"),  # duplicate candidates are blocked by these
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    nik: Mapped[str] = mapped_column(String(16), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # what lists sort by (names.sort_key): kept with the name, so an index can page by it
    sort_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    sex: Mapped[str] = mapped_column(String(1))  # L / P, from the NIK
    birth_date: Mapped[date] = mapped_column(Date)  # from the NIK
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"))
    desa_code: Mapped[str | None] = mapped_column(ForeignKey("desa.code"))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    verification: Mapped[str] = mapped_column(String(10), default="pending")
    reject_reason_id: Mapped[int | None] = mapped_column(ForeignKey("reject_reason.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    enrolment: Mapped[str] = mapped_column(String(12), default="not_enrolled")
    kpj: Mapped[str | None] = mapped_column(String(11), unique=True)
    enrolled_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))  # provenance

    opd: Mapped[OPD] = relationship()
    category: Mapped[Category] = relationship()
    kecamatan: Mapped[Kecamatan] = relationship()
    desa: Mapped[Desa | None] = relationship()
    reject_reason: Mapped[RejectReason | None] = relationship()

    # SQLAlchemy adds "AND version = :old" to every UPDATE and raises StaleDataError on a miss.
    __mapper_args__ = {"version_id_col": version}

    @validates("full_name")
    def _sorted_by(self, _key: str, value: str) -> str:
        self.sort_name = names.sort_key(value)
        return value


class ImportBatch(Base):
    """One uploaded list: previewed first (the file kept here until confirmed), then imported.
    The same file (by SHA-256) imported once into an OPD is never imported again."""
    __tablename__ = "import_batch"
    __table_args__ = (Index("ix_import_batch_hash", "opd_id", "file_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    file_name: Mapped[str] = mapped_column(String(200))
    file_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # dropped once imported or expired
    status: Mapped[str] = mapped_column(String(10), default="preview")  # preview / imported / expired
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rows_ok: Mapped[int] = mapped_column(Integer, default=0)
    rows_warning: Mapped[int] = mapped_column(Integer, default=0)
    rows_error: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    rows_claimed: Mapped[int] = mapped_column(Integer, default=0)
    opd: Mapped[OPD] = relationship()
    user: Mapped[User] = relationship()


class Claim(Base):
    """A name one OPD submitted that another OPD already holds (the same NIK): shown to both,
    resolved by an admin or supervisor who keeps one owner."""
    __tablename__ = "claim"
    __table_args__ = (Index("ix_claim_open", "status", "worker_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker.id"))
    claimant_opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    submitted: Mapped[str] = mapped_column(Text, default="")  # JSON: the row as the claimant typed it
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / kept / moved
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker: Mapped[Worker] = relationship()
    claimant: Mapped[OPD] = relationship()


class DuplicateReview(Base):
    """A decided pair of likely duplicates with different NIKs: dismissed (two people) or
    merged (the second rejected as data ganda). Pairs are stored lowest id first."""
    __tablename__ = "duplicate_review"
    first_id: Mapped[int] = mapped_column(ForeignKey("worker.id"), primary_key=True)
    second_id: Mapped[int] = mapped_column(ForeignKey("worker.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10))  # dismissed / merged
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Event(Base):
    """Append-only audit record: who did what to which worker, from which state to which,
    from which address; `hash` seals it to the event before it (see portal.core.audit)."""
    __tablename__ = "event"
    # ix_event_action_time: the full-NIK trace reads one action's events over a range of days
    __table_args__ = (Index("ix_event_worker", "worker_id", "id"), Index("ix_event_action_time", "action", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("worker.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str | None] = mapped_column(String(12))
    reason_code: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")  # JSON, e.g. old/new values of a correction
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45))
    hash: Mapped[str] = mapped_column(String(64))
    user: Mapped[User | None] = relationship()


class AuditHead(Base):
    """The one row that numbers events and holds the newest seal."""
    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


# The database itself refuses to change or remove an event, whatever code connects to it; on
# PostgreSQL TRUNCATE too (a statement trigger: row triggers do not see it).
APPEND_ONLY = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION event_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'event is append-only'; END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
           FOR EACH ROW EXECUTE FUNCTION event_append_only()""",
        """CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event
           FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()""",
    ],
    "sqlite": [
        "CREATE TRIGGER event_no_update BEFORE UPDATE ON event BEGIN SELECT RAISE(ABORT, 'event is append-only'); END",
        "CREATE TRIGGER event_no_delete BEFORE DELETE ON event BEGIN SELECT RAISE(ABORT, 'event is append-only'); END",
    ],
}
# The head only moves forward: moving it back (to hide a cut tail) or removing it is refused.
HEAD_FORWARD = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_head_forward() RETURNS trigger AS $$
           BEGIN
             IF TG_OP = 'UPDATE' AND NEW.seq >= OLD.seq THEN RETURN NEW; END IF;
             RAISE EXCEPTION 'audit_head only moves forward';
           END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head
           FOR EACH ROW EXECUTE FUNCTION audit_head_forward()""",
        """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
           FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward()""",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_head_no_back BEFORE UPDATE ON audit_head WHEN NEW.seq < OLD.seq "
        "BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END",
        "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END",
    ],
}


@listens_for(Event.__table__, "after_create")
def _append_only(table, connection, **_kw) -> None:
    for statement in APPEND_ONLY.get(connection.dialect.name, []):
        connection.execute(text(statement))


@listens_for(AuditHead.__table__, "after_create")
def _head_forward(table, connection, **_kw) -> None:
    for statement in HEAD_FORWARD.get(connection.dialect.name, []):
        connection.execute(text(statement))


class Tally(Base):
    """Kept count of workers per cell (OPD, category, kecamatan, verification, enrolment, reject
    reason; reason 0 for none), moved by every transition. Sparse and small: every breakdown on
    the dashboard sums these rows, never the workers."""
    __tablename__ = "tally"
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), primary_key=True)
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"), primary_key=True)
    verification: Mapped[str] = mapped_column(String(10), primary_key=True)
    enrolment: Mapped[str] = mapped_column(String(12), primary_key=True)
    reason_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: not rejected
    n: Mapped[int] = mapped_column(Integer, default=0)


class Snapshot(Base):
    """One OPD's figures at the end of one day, for the trend chart (`flask snapshot`)."""
    __tablename__ = "snapshot"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"), primary_key=True)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    approved: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    on_hold: Mapped[int] = mapped_column(Integer, default=0)
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    inactive: Mapped[int] = mapped_column(Integer, default=0)
    # NULL in rows stored before this count existed (migration 0002), until they are rebuilt
    enrolled_approved: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Target(Base):
    """The county's coverage target for the end of one year, in hundredths of a percent."""
    __tablename__ = "target"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    coverage_bp: Mapped[int] = mapped_column(Integer)  # 10000 = 100 %


class ContributionRate(Base):
    """BPU contribution per worker per month from a date on (JKK + JKM), in whole rupiah."""
    __tablename__ = "contribution_rate"
    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    jkk: Mapped[int] = mapped_column(Integer)
    jkm: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(200), default="")


class ApiToken(Base):
    """A read-only key for /api/summary; only its SHA-256 is stored."""
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(default=True)
