"""The database edge: engine and session setup, the ORM models, and the schema's migrations.

SQLite by default (a file in WAL mode, foreign keys on, a busy timeout); PostgreSQL through a
`postgresql+psycopg://` URL. The schema belongs to Alembic (`bot/migrations`): `upgrade(url)` brings
a database to the head revision and `check_schema(engine)` refuses a database that is behind.
Datetimes go in as timezone-aware values, are stored as UTC and come back timezone-aware UTC.
Nothing here connects at import time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    false,
    text,
    true,
)
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS: Final = 15_000
"""How long an SQLite writer waits for another writer's lock before "database is locked"."""

OUTBOX_STATUSES: Final = ("pending", "sending", "sent", "failed", "dead")
CHAT_KINDS: Final = ("private", "group", "supergroup", "channel")
NO_THREAD: Final = 0
"""`outbox.message_thread_id` for "no forum topic": NULLs would be distinct in the unique key."""

# Deterministic constraint names, so migrations can refer to them and PostgreSQL and SQLite agree.
NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class SchemaNotCurrentError(RuntimeError):
    """The database's schema revision is not the code's head revision."""


# --- Engine and sessions ---------------------------------------------------------------------------


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """An engine for `database_url`: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (psycopg 3).

    `postgresql://` and `postgres://` URLs get the psycopg 3 driver; an SQLite file's directory is
    created if missing.
    """
    url = _normalise_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on `engine`. Rows stay readable after commit (`expire_on_commit=False`)."""
    return sessionmaker(engine, expire_on_commit=False)


def _normalise_url(database_url: str) -> URL:
    url = make_url(database_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    # The driver's default (legacy) transaction handling is kept on purpose: a transaction starts at
    # its first write, so readers never hold a snapshot that a later write would have to upgrade
    # (in WAL mode that fails at once with SQLITE_BUSY instead of waiting for the busy timeout).
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes of the process in WAL
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


# --- Migrations ------------------------------------------------------------------------------------


MIGRATION_LOCK_KEY = int.from_bytes(b"SYRIAMIG", "big") & 0x7FFF_FFFF_FFFF_FFFF


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the bundled migrations; `connection` is the one to migrate."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at `database_url` to `revision` (default: the head), in one transaction."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # pysqlite opens no transaction before DDL; an explicit BEGIN makes a failed
                # migration roll back as a whole instead of leaving half a schema behind.
                connection.exec_driver_sql("BEGIN")
            else:
                # Several bot processes starting together: one migrates, the others wait, then find
                # nothing to do. A transaction-level lock, released at commit.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            command.upgrade(alembic_config(connection), revision)
            connection.commit()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The revision the code's models correspond to."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise SchemaNotCurrentError(f"no migration found in {MIGRATIONS_DIR}")
    return head


def schema_revision(engine: Engine) -> str | None:
    """The database's current revision, or None for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_schema(engine: Engine) -> None:
    """Raise `SchemaNotCurrentError` unless the database is at the head revision."""
    current, head = schema_revision(engine), head_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        raise SchemaNotCurrentError(
            f"database {where} is at schema revision {current or 'none (empty)'}, the code needs {head}: "
            "migrate it with bot.db.upgrade(DATABASE_URL)"
        )


# --- Column types ----------------------------------------------------------------------------------


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC (SQLite has no time zones: naive UTC text there)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; convert to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: the database takes timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Always hand back timezone-aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- Models ----------------------------------------------------------------------------------------


class Base(DeclarativeBase):
    """Declarative base of the bot's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 - SQLAlchemy's own class attribute


class FeedRow(Base):
    """A feed of feeds.yaml and its fetch health (HTTP validators, errors, backoff, disabling)."""

    __tablename__ = "feeds"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)  # the header's value, sent back verbatim
    last_fetch_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    disabled_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]


class ArticleRow(Base):
    """One entry of one feed, with its text and analysis.

    A near-duplicate of an article from another outlet is its own row with `duplicate_of` set to
    the first article of the story (never to another duplicate), and the same `event_id`: the sources
    of a story are the root article and the rows pointing at it.
    """

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("feed_id", "identity"),
        Index(None, "published_at"),
        Index(None, "fetched_at"),
        Index(None, "canonical_url"),
        Index(None, "duplicate_of"),
        Index(None, "event_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id"))
    identity: Mapped[str] = mapped_column(Text)  # "guid:...", "url:..." or "hash:..." (bot.identity)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]
    summary: Mapped[list[str]] = mapped_column(JSON)  # the summary's sentences, in document order
    text: Mapped[str | None] = mapped_column(Text)  # the full text
    teaser: Mapped[str | None] = mapped_column(Text)  # the feed's description
    syria_related: Mapped[bool] = mapped_column(Boolean)
    relevance: Mapped[float] = mapped_column(Float)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # summarizer.Analysis.to_json()
    fingerprint: Mapped[list[int] | None] = mapped_column(JSON)  # for near-duplicate search
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))


class EventRow(Base):
    """One real-world event: the articles about it, its best-known facts, and a version.

    `version` grows by one on every material change (a new source, a revised toll, new places), so
    alerts already sent can be edited. `place_*`, `lat`, `lon` and `precision` are the primary place;
    every place is in `places`.
    """

    __tablename__ = "events"
    __table_args__ = (Index(None, "first_seen_at"), Index(None, "updated_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    occurred_at: Mapped[datetime | None]  # best estimate: the earliest publication time of a source
    event_types: Mapped[list[str]] = mapped_column(JSON)
    sub_event_types: Mapped[list[str]] = mapped_column(JSON)
    governorates: Mapped[list[str]] = mapped_column(JSON)
    place_id: Mapped[str | None] = mapped_column(String(64))
    place_name: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    precision: Mapped[int | None] = mapped_column(SmallInteger)
    killed: Mapped[int | None] = mapped_column(Integer)
    injured: Mapped[int | None] = mapped_column(Integer)
    source_count: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # use_alter: articles and events refer to each other; PostgreSQL adds this key after both exist.
    representative_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL", use_alter=True)
    )
    fingerprint: Mapped[list[int] | None] = mapped_column(JSON)

    places: Mapped[list[EventPlaceRow]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EventPlaceRow.position",
        lazy="selectin",
    )


class PlaceRow(Base):
    """A gazetteer place that some event happened at: where the nearby search starts.

    A few thousand rows at most, so a bounding box on (lat, lon) and a haversine over what it
    finds are cheap however many events there are.
    """

    __tablename__ = "places"
    __table_args__ = (Index(None, "lat", "lon"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # gazetteer id: "gn:170794"
    name: Mapped[str] = mapped_column(Text)
    governorate: Mapped[str] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(128))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class EventPlaceRow(Base):
    """A place of an event, for queries by place, district, governorate and time.

    `first_seen_at` repeats the event's, so "the newest events at X" reads the first entries of one
    index range, already in order.
    """

    __tablename__ = "event_places"
    __table_args__ = (
        Index(None, "place_id", "first_seen_at", "event_id"),
        Index(None, "governorate", "first_seen_at", "event_id"),
        Index(None, "district", "first_seen_at", "event_id"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    place_id: Mapped[str] = mapped_column(ForeignKey("places.id"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)  # 0 is the primary place
    name: Mapped[str] = mapped_column(Text)
    governorate: Mapped[str] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(128))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    precision: Mapped[int] = mapped_column(SmallInteger)  # ACLED: 1 the place, 2 near it, 3 region
    first_seen_at: Mapped[datetime]

    event: Mapped[EventRow] = relationship(back_populates="places")


class SubscriberRow(Base):
    """A chat that talks to the bot: a user, a group, a supergroup or a channel."""

    __tablename__ = "subscribers"
    __table_args__ = (
        CheckConstraint("kind IN ('private', 'group', 'supergroup', 'channel')", name="kind"),
        CheckConstraint(
            "digest_hour IS NULL OR (digest_hour >= 0 AND digest_hour <= 23)", name="digest_hour"
        ),
    )

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    muted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    digest_hour: Mapped[int | None] = mapped_column(SmallInteger)  # UTC hour; None: instant alerts
    radius_km: Mapped[int] = mapped_column(Integer, default=25, server_default=text("25"))
    message_thread_id: Mapped[int | None] = mapped_column(BigInteger)  # forum topic of the chat
    created_at: Mapped[datetime]
    deactivated_at: Mapped[datetime | None]  # when Telegram said the chat is gone (403, not found)
    last_digest_at: Mapped[datetime | None]  # when the last daily digest was sent (digest readers)


class SubscriptionRow(Base):
    """One filter of a subscriber: every field set must match (None matches anything)."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index(None, "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("subscribers.chat_id", ondelete="CASCADE"))
    place_id: Mapped[str | None] = mapped_column(String(64))  # a town or site of the gazetteer
    governorate: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(128))
    event_category: Mapped[str | None] = mapped_column(String(64))  # ACLED event type or sub-type
    keyword: Mapped[str | None] = mapped_column(Text)  # plain words, matched normalised
    min_killed: Mapped[int | None] = mapped_column(Integer)
    message_thread_id: Mapped[int | None] = mapped_column(BigInteger)  # forum topic for these alerts
    created_at: Mapped[datetime]


class OutboxRow(Base):
    """One alert for one chat (and topic): its delivery state and the message it became.

    Unique per (event, chat, topic): an event is sent once per chat; a newer event version updates
    `event_version` and, once sent, sets `needs_edit` so the message is edited instead of re-sent.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_id", "chat_id", "message_thread_id"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "chat_id"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'dead')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    event_version: Mapped[int] = mapped_column(Integer)  # the version the chat should see
    sent_version: Mapped[int | None] = mapped_column(Integer)  # the version the chat's message shows
    chat_id: Mapped[int] = mapped_column(ForeignKey("subscribers.chat_id", ondelete="CASCADE"))
    message_thread_id: Mapped[int] = mapped_column(
        BigInteger, default=NO_THREAD, server_default=text(str(NO_THREAD))
    )
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default=text("'pending'"))
    needs_edit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
