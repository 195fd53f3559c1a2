"""Leader election: one holder at a time, handed over on release or when the holder's connection dies."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from bot.db import make_engine
from bot.leader import AdvisoryLockElection, FileLockElection, election_for


def test_the_advisory_lock_has_one_holder_and_is_handed_over(postgres_url: str) -> None:
    first_engine, second_engine = make_engine(postgres_url), make_engine(postgres_url)
    first, second = (
        AdvisoryLockElection(first_engine, key=4242),
        AdvisoryLockElection(second_engine, key=4242),
    )
    try:
        assert first.is_leader()
        assert first.is_leader()  # still
        assert not second.is_leader()
        _assert_no_open_transaction(first_engine)
        first.release()
        assert second.is_leader()
        assert not first.is_leader()
    finally:
        first.release()
        second.release()
        first_engine.dispose()
        second_engine.dispose()


def test_a_dead_leader_connection_frees_the_lock(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    leader, follower = AdvisoryLockElection(engine, key=4343), AdvisoryLockElection(engine, key=4343)
    try:
        assert leader.is_leader()
        assert not follower.is_leader()
        with engine.connect() as admin:  # the leader's backend killed, as when its process dies
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND objid = 4343 AND granted"
                )
            )
        assert follower.is_leader()
        assert not leader.is_leader()  # it notices the lost connection and steps down
    finally:
        leader.release()
        follower.release()
        engine.dispose()


def test_the_file_lock_has_one_holder(tmp_path: Path) -> None:
    first, second = FileLockElection(tmp_path / "db.leader"), FileLockElection(tmp_path / "db.leader")
    assert first.is_leader()
    assert not second.is_leader()
    first.release()
    assert second.is_leader()
    second.release()


def test_sqlite_databases_get_a_file_lock_beside_them(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        election = election_for(engine)
        assert isinstance(election, FileLockElection)
        assert election.is_leader()
        assert (tmp_path / "bot.sqlite3.leader").exists()
        election.release()
    finally:
        engine.dispose()


def _assert_no_open_transaction(engine: Engine) -> None:
    with engine.connect() as connection:
        states = connection.execute(
            text(
                "SELECT a.state FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                "WHERE l.locktype = 'advisory' AND l.objid = 4242 AND l.granted"
            )
        ).scalars()
        assert list(states) == ["idle"]
