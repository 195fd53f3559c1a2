"""Database fixtures: real SQLite files and a real PostgreSQL database, migrated with Alembic.

`database_url` is parametrised over both backends and hands each test an empty, migrated database.
PostgreSQL (127.0.0.1:5432, trust auth, user postgres; `TEST_POSTGRES_ADMIN_URL` overrides) gets a
database of its own per test session, created through the maintenance database and dropped at the
end, so parallel runs do not clash. When the server cannot be reached its tests skip with the
reason, except under CI (`CI` set), where they fail: CI must test PostgreSQL for real.

Registered as a plugin by the root conftest (`pytest_plugins`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import Base, make_engine, session_factory, upgrade

DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", "postgresql"]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _admin_engine() -> Engine:
    url = os.environ.get("TEST_POSTGRES_ADMIN_URL") or DEFAULT_POSTGRES_ADMIN_URL
    return create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def _database_url(admin: Engine, name: str) -> str:
    return admin.url.set(database=name).render_as_string(hide_password=False)


def _create_database(admin: Engine) -> str:
    name = f"bot_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return name


def _drop_database(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the PostgreSQL maintenance database; skips (fails under CI) if down."""
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        where = make_url(str(admin.url)).render_as_string(hide_password=True)
        reason = f"PostgreSQL at {where} is not reachable: {str(exc.orig).strip().splitlines()[0]}"
        if _in_ci():
            pytest.fail(f"{reason} (CI is set: PostgreSQL must be tested, not skipped)")
        pytest.skip(f"{reason} (start it, e.g. pg_ctlcluster 15 main start; CI fails here)")
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_database(postgres_admin: Engine) -> Iterator[str]:
    """URL of a migrated PostgreSQL database private to this test session."""
    name = _create_database(postgres_admin)
    try:
        url = _database_url(postgres_admin, name)
        upgrade(url)
        yield url
    finally:
        _drop_database(postgres_admin, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that tests copy (faster than migrating each one)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "bot.sqlite3"
    upgrade(f"sqlite:///{path}")  # disposes its engine: the WAL is checkpointed into the file
    return path


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """URL of the session's PostgreSQL database, emptied for this test."""
    _truncate_all(postgres_database)
    return postgres_database


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database at the head revision: an SQLite file, or the session's PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "bot.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a database with no schema at all (a new SQLite file, or a new PostgreSQL database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = _create_database(admin)
    try:
        yield _database_url(admin, name)
    finally:
        _drop_database(admin, name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url`, disposed after the test."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory the bot would use on `engine`."""
    return session_factory(engine)
