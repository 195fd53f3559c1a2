"""Leader election: of several bot processes sharing one database, exactly one polls.

The leader polls the feeds and, in long-polling mode, Telegram's updates (Telegram allows one
`getUpdates` consumer per bot); every process delivers alerts, since outbox rows are claimed with
`FOR UPDATE SKIP LOCKED`.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a connection of its
  own. When the leader dies, its connection closes and the server frees the lock at once; a
  follower that asks next (every `check_interval` seconds) becomes the leader. A leader checks its
  connection on every call, so a leader cut off from the database steps down.
- SQLite: one machine, one file: an exclusive `flock` on `<database>.leader` does the same.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
from pathlib import Path
from typing import Final, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# Any constant 64-bit key: "SYRIALRT" in ASCII. Every process of one deployment uses the same one.
LOCK_KEY: Final = int.from_bytes(b"SYRIALRT", "big") & 0x7FFF_FFFF_FFFF_FFFF


class Election(Protocol):
    """Who leads: `is_leader` tries to become the leader and says whether this process is it."""

    def is_leader(self) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLockElection:
    """Leadership as a PostgreSQL advisory lock held on a dedicated connection."""

    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._connection: Connection | None = None

    def is_leader(self) -> bool:
        """True while this process holds the lock (taking it when free)."""
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                log.warning("leader: lost the database connection; stepping down")
                self._drop()
        try:
            # Autocommit: the lock is held by the session, and no transaction stays open between
            # checks ("idle in transaction" would hold back VACUUM and may be killed by a timeout).
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as exc:
            log.warning("leader: cannot reach the database: %s", exc.orig)
            return False
        try:
            acquired = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar()
            )
        except DBAPIError:
            connection.close()
            return False
        if not acquired:
            connection.close()
            return False
        self._connection = connection
        log.info("leader: this process (pid %d) now polls the feeds", os.getpid())
        return True

    def release(self) -> None:
        """Give up leadership (at shut-down)."""
        if self._connection is None:
            return
        with contextlib.suppress(DBAPIError):
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except DBAPIError:
                pass
        self._connection = None


class FileLockElection:
    """Leadership as an exclusive `flock` on a file beside the SQLite database."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: int | None = None

    def is_leader(self) -> bool:
        """True while this process holds the lock (taking it when free)."""
        if self._handle is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            return False
        self._handle = handle
        log.info("leader: this process (pid %d) now polls the feeds", os.getpid())
        return True

    def release(self) -> None:
        """Give up leadership (at shut-down)."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            os.close(self._handle)
            self._handle = None


def election_for(engine: Engine) -> Election:
    """The election that fits the database: an advisory lock on PostgreSQL, a file lock on SQLite."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLockElection(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        return FileLockElection(Path(tempfile.gettempdir()) / f"syria-alerts-{os.getpid()}.leader")
    return FileLockElection(Path(f"{database}.leader"))
