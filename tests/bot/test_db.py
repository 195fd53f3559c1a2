"""The database edge: migrations against real SQLite and PostgreSQL, engine settings, column types."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import (
    MIGRATIONS_DIR,
    SQLITE_BUSY_TIMEOUT_MS,
    ArticleRow,
    Base,
    FeedRow,
    SchemaNotCurrentError,
    alembic_config,
    check_schema,
    head_revision,
    make_engine,
    schema_revision,
    session_factory,
    upgrade,
)

TABLES = {"feeds", "articles", "events", "places", "event_places", "subscribers", "subscriptions", "outbox"}


def schema_diff(engine: Engine) -> list[object]:
    """What Alembic's autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_of_an_empty_database_gives_the_models_schema(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini in the working directory: the package carries it all
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        assert schema_diff(engine) == []
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert schema_revision(engine) == head_revision()
        check_schema(engine)
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        assert schema_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_downgrade_to_base_then_upgrade_again(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            command.downgrade(alembic_config(connection), "base")
            connection.commit()
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert schema_revision(engine) is None
    finally:
        engine.dispose()
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        assert schema_diff(engine) == []
    finally:
        engine.dispose()


def test_check_schema_refuses_a_database_that_was_never_migrated(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        with pytest.raises(SchemaNotCurrentError, match=r"none \(empty\).*bot\.db\.upgrade"):
            check_schema(engine)
    finally:
        engine.dispose()


def test_the_migrations_ship_inside_the_package() -> None:
    assert MIGRATIONS_DIR.parent == Path(__file__).resolve().parents[2] / "bot"
    assert (MIGRATIONS_DIR / "env.py").is_file()
    newest = max(path.name.partition("_")[0] for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
    assert head_revision() == newest


def test_sqlite_engine_sets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "bot.sqlite3"  # the directory is created on demand
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert path.is_file()
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["postgresql://bot@db.invalid/bot", "postgres://bot@db.invalid/bot"])
def test_postgresql_urls_use_psycopg_3(url: str) -> None:
    engine = make_engine(url)  # no connection is made until one is needed
    try:
        assert engine.url.drivername == "postgresql+psycopg"
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(
            ArticleRow(
                feed_id="no-such-feed",
                identity="url:https://example.org/a",
                title="t",
                fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
                summary=[],
                syria_related=False,
                relevance=0.0,
            )
        )


def test_datetimes_come_back_timezone_aware_utc(sessions: sessionmaker[Session]) -> None:
    damascus = timezone(timedelta(hours=3))
    fetched = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=damascus)
    with sessions.begin() as session:
        session.add(FeedRow(id="f", name="F", url="https://example.org/feed", language="ar"))
        session.flush()  # no relationship() ties the two: the unit of work does not order them
        session.add(
            ArticleRow(
                feed_id="f",
                identity="guid:1",
                title="t",
                fetched_at=fetched,
                summary=["one", "two"],
                syria_related=True,
                relevance=0.5,
                fingerprint=[1, 2**32 - 1],
                analysis={"places": [{"id": "gov:idlib"}]},
            )
        )
    with session_factory(sessions.kw["bind"])() as session:
        article = session.scalars(select(ArticleRow)).one()
        assert article.fetched_at == fetched
        assert article.fetched_at.tzinfo is UTC
        assert article.fetched_at.hour == 6
        assert article.summary == ["one", "two"]
        assert article.fingerprint == [1, 2**32 - 1]
        assert article.analysis == {"places": [{"id": "gov:idlib"}]}
        # Comparisons happen in UTC on both backends (SQLite compares text).
        later = datetime(2026, 3, 1, 6, 30, 16, tzinfo=UTC)
        assert session.scalar(select(ArticleRow.id).where(ArticleRow.fetched_at < later)) == article.id


def test_naive_datetimes_are_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as session:
        session.add(
            FeedRow(
                id="f",
                name="F",
                url="https://example.org/feed",
                language="ar",
                last_fetch_at=datetime(2026, 1, 1),
            )
        )


def test_sessions_keep_rows_readable_after_commit(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        feed = FeedRow(id="f", name="F", url="https://example.org/feed", language="en")
        session.add(feed)
    assert feed.url == "https://example.org/feed"  # no DetachedInstanceError: expire_on_commit=False


def test_check_constraints_guard_the_enumerations(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subscribers (chat_id, kind, language, created_at) "
                "VALUES (1, 'forum', 'ar', '2026-01-01 00:00:00')"
            )
        )


@pytest.mark.parametrize(("ci", "outcome"), [("", "1 skipped"), ("true", "1 error")])
def test_an_unreachable_postgresql_skips_locally_and_fails_under_ci(ci: str, outcome: str) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "CI": ci,
        "TEST_POSTGRES_ADMIN_URL": "postgresql+psycopg://postgres@127.0.0.1:1/postgres",
    }
    test = "tests/bot/test_store.py::test_sync_feeds_is_idempotent[postgresql]"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", test],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert outcome in result.stdout, result.stdout + result.stderr
    assert (
        "PostgreSQL at postgresql+psycopg://postgres@127.0.0.1:1/postgres is not reachable" in result.stdout
    )
    if ci:
        assert "CI is set: PostgreSQL must be tested" in result.stdout


def test_processes_starting_together_migrate_once(postgres_admin: Engine) -> None:
    """Three bot processes upgrading one new PostgreSQL database at once: no error, one schema."""
    import threading

    from tests.bot.db_fixtures import _create_database, _database_url, _drop_database

    name = _create_database(postgres_admin)
    url = _database_url(postgres_admin, name)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            upgrade(url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        engine = make_engine(url)
        try:
            assert schema_revision(engine) == head_revision()
        finally:
            engine.dispose()
    finally:
        _drop_database(postgres_admin, name)
