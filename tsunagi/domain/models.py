"""Database models (SQLAlchemy 2, typed). Models never commit and never touch Flask."""
from __future__ import annotations

import secrets
from datetime import date, datetime, timezone
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, Boolean, Computed, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from tsunagi.domain.sealed import Sealed


class TZDateTime(TypeDecorator):
    """A timestamp that always comes back as an aware UTC datetime.

    PostgreSQL keeps `timestamptz`; SQLite keeps text without a zone and hands back naive
    datetimes. Values are written in UTC (a naive one is taken to be UTC already) and read
    back with the UTC zone, so no caller has to mend a naive datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# A row's time of creation, set by the database (never a default computed in Python).
CreatedAt = Annotated[datetime, mapped_column(server_default=func.now())]


def new_id() -> str:
    """Opaque identifier for rows that appear in URLs: random, so it reveals no counts."""
    return secrets.token_hex(12)


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
        datetime: TZDateTime(),
    }


class Municipality(Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[dict[str, Any]]
    has_welfare_office: Mapped[bool] = mapped_column(Boolean)
    emergency_contacts: Mapped[list[dict[str, Any]]]
    # Readings of local names for the furigana on Japanese pages: {word: reading}.
    furigana: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    loaded_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class District(Base):
    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[dict[str, Any]]
    position: Mapped[int] = mapped_column(Integer, default=0)


class Location(Base):
    """A place intakes come from: a kiosk at a library or hub, or an outreach team."""

    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[dict[str, Any]]
    district: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Provider(Base):
    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[dict[str, Any]]
    service: Mapped[str] = mapped_column(String(16), index=True)
    districts: Mapped[list[str]]
    municipality_wide: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list[str]]
    phone: Mapped[str] = mapped_column(String(32))
    hours: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The municipality's preference among providers that fit equally well: lower first.
    preference: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class User(Base):
    """A person (or a provider's system) who signs in to the provider side or the API."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    email: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the login session's identity: raising it (disable, password change) ends
    # every session the user has open.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[CreatedAt]

    provider: Mapped[Provider | None] = relationship()

    # The user protocol of Flask-Login, written here so models import no Flask.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"


# The worklist's filters as its partial indexes say them (tsunagi.domain.worklist says the
# same in its queries: a partial index serves a query whose condition has the same words).
INTAKE_OPEN = "status NOT IN ('closed', 'interrupted', 'not_shared')"
INTAKE_WAITING = "status IN ('received', 'returned', 'transferred')"


class Intake(Base):
    """One resident's answers, the routing decision and the case's status.

    `name`, `contact` and `free_text` are the identifying fields: they stay empty when the
    resident did not consent to sharing.
    """

    __tablename__ = "intake"
    # The waiting count of a notification (and the inbox's filters) read only the index.
    # The overdue count of the coordinator's dashboard reads waiting intakes by routing
    # time; its unique persons look up an earlier intake of the same contact.
    # The worklist (tsunagi.domain.worklist) reads a page along an index in its order: an
    # office's open cases, the coordinator's, an office's of one status; the board reads
    # the waiting intakes oldest first (migration 0016); the coordinator's routed intakes
    # of one status (0017).
    __table_args__ = (Index("ix_intake_provider_status", "provider_id", "status", "priority"),
                      Index("ix_intake_status_routed", "status", "priority", "routed_at", "provider_id", "created_at"),
                      Index("ix_intake_contact_created", "contact_key", "created_at"),
                      Index("ix_intake_worklist", "provider_id", "worklist_rank", "routed_at", "id",
                            sqlite_where=text(INTAKE_OPEN), postgresql_where=text(INTAKE_OPEN)),
                      Index("ix_intake_worklist_all", "worklist_rank", "routed_at", "id",
                            sqlite_where=text(INTAKE_OPEN), postgresql_where=text(INTAKE_OPEN)),
                      Index("ix_intake_worklist_status", "provider_id", "status", "worklist_rank", "routed_at", "id"),
                      Index("ix_intake_worklist_status_all", "status", "worklist_rank", "routed_at", "id",
                            sqlite_where=text("provider_id IS NOT NULL"),
                            postgresql_where=text("provider_id IS NOT NULL")),
                      Index("ix_intake_waiting", "created_at", "id", "priority", "routed_at", "provider_id",
                            sqlite_where=text(INTAKE_WAITING), postgresql_where=text(INTAKE_WAITING)))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    form_id: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(Sealed("intake.answers", document=True))
    area: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(Sealed("intake.name"))
    contact: Mapped[dict[str, Any] | None] = mapped_column(Sealed("intake.contact", document=True))
    free_text: Mapped[str | None] = mapped_column(Sealed("intake.free_text"))
    service: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    # The decision names the needs it saw (disability, abuse…): sealed like the answers.
    decision: Mapped[dict[str, Any]] = mapped_column(Sealed("intake.decision", document=True))
    rules_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="received")
    status_changed_at: Mapped[CreatedAt]
    # Keyed hash (HMAC, sealed.keyed_hash) of the normalized phone or email: finds probable
    # duplicates and answers a search without plaintext; cleared with the contact when
    # consent is withdrawn.
    contact_key: Mapped[str | None] = mapped_column(String(64), index=True)
    failed_contacts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    outcome: Mapped[str | None] = mapped_column(String(16))
    routed_at: Mapped[CreatedAt]
    # Urgent first (0), then the others (1): the worklist's first key, kept by the database.
    worklist_rank: Mapped[int] = mapped_column(Integer, Computed("CASE WHEN priority = 'urgent' THEN 0 ELSE 1 END",
                                                                 persisted=True))
    # When retention erased the identifying fields and the answers (tsunagi.domain.retention).
    erased_at: Mapped[datetime | None] = mapped_column()

    location: Mapped[Location] = relationship()
    provider: Mapped[Provider | None] = relationship()
    consent: Mapped[Consent | None] = relationship(back_populates="intake", uselist=False)
    events: Mapped[list[IntakeEvent]] = relationship(
        back_populates="intake", order_by="IntakeEvent.id"
    )


class Consent(Base):
    """What the resident agreed to, with the exact text version they were shown."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[str] = mapped_column(ForeignKey("intake.id"), unique=True)
    text_id: Mapped[str] = mapped_column(String(64))
    text_version: Mapped[int] = mapped_column(Integer)
    text_hash: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    share_with_provider: Mapped[bool] = mapped_column(Boolean)
    multi_agency_meeting: Mapped[bool] = mapped_column(Boolean)
    contact_methods: Mapped[list[str]]
    channel: Mapped[str] = mapped_column(String(16))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    mode: Mapped[str] = mapped_column(String(16), default="self")
    witness_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    contact_time: Mapped[str | None] = mapped_column(Sealed("consent.contact_time"))
    proxy_relationship: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[CreatedAt]
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    withdrawn_via: Mapped[str | None] = mapped_column(String(16))  # follow_up | provider
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The resident agreed to the 重層的支援会議 later, to an office (verbal, witnessed by the
    # staff member who records it): when, who, how.
    meeting_agreed_at: Mapped[datetime | None] = mapped_column()
    meeting_agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    meeting_agreed_mode: Mapped[str | None] = mapped_column(String(16))

    intake: Mapped[Intake] = relationship(back_populates="consent")


class IntakeEvent(Base):
    """A step in the case's lifecycle: who moved it, from what, to what, and why."""

    __tablename__ = "intake_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[str] = mapped_column(ForeignKey("intake.id"), index=True)
    at: Mapped[CreatedAt]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    reason: Mapped[str | None] = mapped_column(Sealed("intake_event.reason"))  # staff's own words
    # What happened, as codes a page translates (no personal data): the action, and e.g. the
    # meeting kind and decision, the offices involved, why it was returned. Older events
    # have none and show `reason` alone.
    action: Mapped[str | None] = mapped_column(String(24))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The office the intake was with before this event (set when it moved): the referring
    # office keeps seeing how the case went (実施要綱 L5100-5104).
    from_provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)

    intake: Mapped[Intake] = relationship(back_populates="events")


class CaseOffice(Base):
    """A cooperating office on a case, beside its lead office (Intake.provider): named by
    the lead or the coordinator, it reads the case only while the resident's consent covers
    sharing among the offices of the 重層的支援会議 (tsunagi.domain.case_team)."""

    __tablename__ = "case_office"
    __table_args__ = (Index("ix_case_office_intake_provider", "intake_id", "provider_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[str] = mapped_column(ForeignKey("intake.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    added_at: Mapped[CreatedAt]
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    provider: Mapped[Provider] = relationship()


class ContactEntry(Base):
    """One contact staff made or tried (continued contact, 実施要綱 L1461-1532): when, how,
    how it went, and the next planned contact. The note is sealed like every staff note.

    An outreach worker's contact with someone who has not consented yet has no intake:
    only `person_ref`, an opaque random reference the outreach app made (who it is stays on
    the worker's phone), and the outreach `location`; never a note. It joins the case
    (`intake_id` set) when that person's intake is taken with the reference."""

    __tablename__ = "contact_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[str | None] = mapped_column(ForeignKey("intake.id"), index=True)
    person_ref: Mapped[str | None] = mapped_column(String(32), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    contacted_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Sealed("contact_entry.note"))
    next_contact_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[CreatedAt]

    location: Mapped[Location | None] = relationship()


class FollowUp(Base):
    """The resident's way back to the case. Only hashes of the token and code are kept."""

    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[str] = mapped_column(ForeignKey("intake.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    intake: Mapped[Intake] = relationship()


class ReportTally(Base):
    """How many intakes received on `day` (Japan time) have `value` in `dimension`: the
    coordinator's counts, kept current as intakes are submitted and move through the
    lifecycle (tsunagi.domain.reports). Counts only; no row points to an intake."""

    __tablename__ = "report_tally"
    # On SQLite the rows are stored in key order: a period is one range read, not a lookup per row.
    __table_args__ = {"sqlite_with_rowid": False}

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(24), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ReportTallyMonth(Base):
    """The same counts summed over a month (`month` is its first day), kept beside the days
    in the same upsert: a fiscal year is read as twelve months of rows, a number that stops
    growing once every value has been seen in a month, however many days have been filled."""

    __tablename__ = "report_tally_month"
    __table_args__ = {"sqlite_with_rowid": False}

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(24), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class AuditEvent(Base):
    """Who read or did what to which intake, and from where. Never the data itself."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(32))
    intake_id: Mapped[str | None] = mapped_column(String(32), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class KioskDevice(Base):
    """A browser enrolled as one place's kiosk. The coordinator adds it and gets a one-time
    code; typed at the kiosk (`/k/enrol`), the code becomes a device token kept only in that
    browser's HttpOnly cookie. Both are stored as hashes."""

    __tablename__ = "kiosk_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    label: Mapped[str] = mapped_column(String(80))
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime | None] = mapped_column()
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[CreatedAt]
    enrolled_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    location: Mapped[Location] = relationship()


class KioskDraft(Base):
    """Answers of a resident still at the kiosk, held server-side (never in the browser).

    The browser's session cookie holds only a random key; the row is deleted when the
    resident finishes, quits or the kiosk resets.
    """

    __tablename__ = "kiosk_draft"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(Sealed("kiosk_draft.answers", document=True))
    urgent_seen: Mapped[bool] = mapped_column(Boolean, default=False)
    intake_id: Mapped[str | None] = mapped_column(ForeignKey("intake.id"))
    # The follow-up secrets are kept only until the receipt has been shown and the
    # resident leaves; afterwards only their hashes exist (FollowUp).
    receipt: Mapped[dict[str, Any] | None] = mapped_column(Sealed("kiosk_draft.receipt", document=True))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class TriageRules(Base):
    """Every version of the triage rules that decided an intake, as written."""

    __tablename__ = "triage_rules"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[CreatedAt]


class ConsentText(Base):
    """Every consent text the product showed, as rendered in its language, by its SHA-256:
    an intake taken offline under an older text is still accepted, and records which."""

    __tablename__ = "consent_text"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    text_id: Mapped[str] = mapped_column(String(64))
    text_version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(16))
    paragraphs: Mapped[list[str]]
    first_served_at: Mapped[CreatedAt]


class FormVersion(Base):
    """Every version of a form spec the product served, as written: an intake answered
    offline with it is accepted after the form changed, even if no archive file was kept."""

    __tablename__ = "form_version"

    form_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    first_served_at: Mapped[CreatedAt]


def insert_or_ignore(session, model: type[Base], **values: Any) -> None:
    """Insert a row unless one with its key exists, without racing another writer (the
    database's ON CONFLICT DO NOTHING, in SQLite and PostgreSQL alike)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())


# Rows written once and never changed nor deleted (a rules version, a consent text, a form
# version): once a read found one, this process does not ask its database again.
_FOUND: WeakKeyDictionary[Any, set[tuple[type, Any]]] = WeakKeyDictionary()


def is_stored(session, model: type[Base], key: Any) -> bool:
    """Whether the write-once row of `model` under `key` exists (asked of the database until
    it is found, then remembered per database for the life of the process)."""
    found = _FOUND.setdefault(session.get_bind(), set())
    if (model, key) in found:
        return True
    if session.get(model, key) is None:
        return False
    found.add((model, key))
    return True


class IntakeRead(Base):
    """Read state per provider: one provider opening a case does not mark it read for another."""

    __tablename__ = "intake_read"

    intake_id: Mapped[str] = mapped_column(ForeignKey("intake.id"), primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), primary_key=True)
    first_read_at: Mapped[CreatedAt]


class ResidentMessage(Base):
    """A message the resident sent from the follow-up page to the provider."""

    __tablename__ = "resident_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[str] = mapped_column(ForeignKey("intake.id"), index=True)
    body: Mapped[str | None] = mapped_column(Sealed("resident_message.body"))
    created_at: Mapped[CreatedAt]


class OutboxMessage(Base):
    """A notification email: sent through SMTP when configured, kept for the demo outbox."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
    sent_at: Mapped[datetime | None] = mapped_column()


class IdempotencyRecord(Base):
    """One `Idempotency-Key` of one API user: the request's hash and, once done, the
    response, encrypted with a key derived from the Idempotency-Key itself (which only the
    client holds), because it carries the resident's follow-up secrets."""

    __tablename__ = "idempotency_record"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # in_flight | done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class SessionToken(Base):
    """A short-lived bearer token issued when a worker signs in to the outreach app
    (POST /api/v1/tokens). Only its hash is kept; signing out revokes it, and raising the
    user's `session_epoch` (disable, password change) ends it like a provider's session."""

    __tablename__ = "session_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Tokens go with their user when demo setup re-creates the accounts.
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    session_epoch: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class DataKey(Base):
    """A data key (by its id, never the key) that sealed values in this database may use.

    The app refuses to start when one of them is missing from TSUNAGI_DATA_KEYS; `flask keys
    rotate` removes the old ones once nothing is sealed with them any more.
    """

    __tablename__ = "data_key"

    kid: Mapped[str] = mapped_column(String(8), primary_key=True)
    first_used_at: Mapped[CreatedAt]


class DataSecret(Base):
    """Secrets the product keeps for itself, sealed under the data keys (the hash pepper)."""

    __tablename__ = "data_secret"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Sealed("data_secret.value"))


class JobLock(Base):
    """One scheduled job (`flask jobs run`): when it is due next, and who holds it until when.

    Claimed with one conditional UPDATE (due and not held), so with several servers each
    job runs once per interval; a runner that dies lets its lease run out."""

    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    due_at: Mapped[datetime] = mapped_column()
    holder: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column()
    last_run_at: Mapped[datetime | None] = mapped_column()


class IntakeNotice(Base):
    """A notification already given about an intake's current routing: counted in its
    office's digest, an overdue reminder (to the office), an escalation (to the
    coordinator). A return or transfer routes the intake anew, and its notices start over."""

    __tablename__ = "intake_notice"

    intake_id: Mapped[str] = mapped_column(ForeignKey("intake.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # digest | reminder | escalation
    routed_at: Mapped[datetime] = mapped_column(primary_key=True)
    sent_at: Mapped[CreatedAt]


class Webhook(Base):
    """An office's own system, told of each event on its intakes by a signed POST."""

    __tablename__ = "webhook"

    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    # The HMAC key the office verifies the signature with: sealed like personal data.
    secret: Mapped[str] = mapped_column(Sealed("webhook.secret"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    provider: Mapped[Provider] = relationship()


class WebhookDelivery(Base):
    """One event for one office's webhook and how its delivery went (the delivery log).

    `body` is the exact JSON sent (no personal data: ids, status, times)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "delivered_at", "gave_up_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_status: Mapped[int | None] = mapped_column(Integer)  # the HTTP status, none when unreachable
    last_error: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None] = mapped_column()
    gave_up_at: Mapped[datetime | None] = mapped_column()

    provider: Mapped[Provider] = relationship()
