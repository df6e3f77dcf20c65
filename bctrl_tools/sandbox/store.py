"""SQLite persistence of invocations (stdlib sqlite3, WAL, synchronous=NORMAL).

All access happens on the event-loop thread: each statement takes tens of
microseconds, which is cheaper than handing it to a thread pool.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from bctrl_tools.sandbox.invocation import StoredInvocation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS invocations (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    runtime_id TEXT NOT NULL,
    space_id TEXT NOT NULL,
    sequence_no INTEGER NOT NULL,
    request_json TEXT NOT NULL,
    metadata_json TEXT,
    correlation_id TEXT,
    connector TEXT,
    outcome TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    dispatch_ms INTEGER NOT NULL,
    started_ms INTEGER NOT NULL,
    ends_ms INTEGER NOT NULL,
    cancel_requested_ms INTEGER,
    cancelled_ms INTEGER,
    idempotency_key TEXT,
    heartbeat_stop_ms INTEGER
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    runtime_id TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS invocations_idempotency
    ON invocations (runtime_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS invocations_runtime_sequence
    ON invocations (runtime_id, sequence_no);
CREATE INDEX IF NOT EXISTS invocations_run_sequence
    ON invocations (run_id, sequence_no);
"""

# Columns added after the first release, with the SQL that adds each to an older file.
_ADDED_COLUMNS = {
    "heartbeat_stop_ms": "ALTER TABLE invocations ADD COLUMN heartbeat_stop_ms INTEGER",
}

_COLUMNS = (
    "id, run_id, runtime_id, space_id, sequence_no, request_json, metadata_json,"
    " correlation_id, connector, outcome, created_ms, dispatch_ms, started_ms, ends_ms,"
    " cancel_requested_ms, cancelled_ms, heartbeat_stop_ms"
)

_SELECT = f"SELECT {_COLUMNS} FROM invocations"  # noqa: S608 - constant column list
_IN_RUN = f"{_SELECT} WHERE run_id = ? ORDER BY sequence_no"

# The sequence number is assigned inside the INSERT so it stays gap-free and
# unique per runtime even if two processes ever share one database file.
_INSERT = (
    f"INSERT INTO invocations ({_COLUMNS}, idempotency_key)"  # noqa: S608 - constant
    " SELECT ?, ?, ?, ?, COALESCE(MAX(sequence_no), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
    " FROM invocations WHERE runtime_id = ?"
)

# One conditional UPDATE is the whole cancel transition: however many requests
# race, only the first one that finds the invocation live changes the row.
_REQUEST_CANCEL = (
    "UPDATE invocations SET cancel_requested_ms = ?, cancelled_ms = ?"
    " WHERE id = ? AND cancel_requested_ms IS NULL AND ends_ms > ?"
)

# A runtime has one active run, made by its first invocation; OR IGNORE lets racing
# creators agree on whichever run was stored first.
_NEW_RUN = "INSERT OR IGNORE INTO runs (id, runtime_id, created_ms) VALUES (?, ?, ?)"
# Databases written before runs were stored still know their runs through invocations.
_RUN_EXISTS = "SELECT 1 FROM runs WHERE id = ? UNION ALL SELECT 1 FROM invocations WHERE run_id = ?"


class InvocationStore:
    """Reads and writes invocation rows; knows nothing about statuses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def open(cls, path: str) -> InvocationStore:
        # check_same_thread=False lets an app built in one thread be served from
        # another (test clients do this); the server itself uses one thread.
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=5000")
        connection.executescript(_SCHEMA)
        _add_missing_columns(connection)
        return cls(connection)

    def close(self) -> None:
        self._db.close()

    def get(self, invocation_id: str) -> StoredInvocation | None:
        row = self._db.execute(f"{_SELECT} WHERE id = ?", (invocation_id,)).fetchone()
        return None if row is None else _from_row(row)

    def find_by_idempotency_key(self, runtime_id: str, key: str) -> StoredInvocation | None:
        row = self._db.execute(
            f"{_SELECT} WHERE runtime_id = ? AND idempotency_key = ?", (runtime_id, key)
        ).fetchone()
        return None if row is None else _from_row(row)

    def insert(self, draft: StoredInvocation) -> StoredInvocation:
        """Store `draft` (its sequence_no is ignored) and return the stored row."""
        self._db.execute(_INSERT, _insert_params(draft))
        stored = self.get(draft.id)
        assert stored is not None
        return stored

    def active_run(self, runtime_id: str, new_run_id: str, now_ms: int) -> str:
        """The runtime's active run id, creating it as `new_run_id` if it has none."""
        self._db.execute(_NEW_RUN, (new_run_id, runtime_id, now_ms))
        row = self._db.execute("SELECT id FROM runs WHERE runtime_id = ?", (runtime_id,)).fetchone()
        run_id: str = row[0]
        return run_id

    def run_exists(self, run_id: str) -> bool:
        return self._db.execute(_RUN_EXISTS, (run_id, run_id)).fetchone() is not None

    def in_run(self, run_id: str, *, descending: bool) -> list[StoredInvocation]:
        """Every invocation of the run, in sequence order."""
        query = f"{_IN_RUN} DESC" if descending else _IN_RUN
        rows = self._db.execute(query, (run_id,)).fetchall()
        return [_from_row(row) for row in rows]

    def request_cancel(self, invocation_id: str, at_ms: int, grace_ms: int) -> bool:
        """Mark a still-live invocation as cancelling; True if this call made the change."""
        cursor = self._db.execute(_REQUEST_CANCEL, (at_ms, at_ms + grace_ms, invocation_id, at_ms))
        return cursor.rowcount == 1


def _insert_params(draft: StoredInvocation) -> tuple[object, ...]:
    return (
        draft.id,
        draft.run_id,
        draft.runtime_id,
        draft.space_id,
        json.dumps(draft.request, separators=(",", ":")),
        None if draft.metadata is None else json.dumps(draft.metadata, separators=(",", ":")),
        draft.correlation_id,
        draft.connector,
        draft.outcome,
        draft.created_ms,
        draft.dispatch_ms,
        draft.started_ms,
        draft.ends_ms,
        draft.cancel_requested_ms,
        draft.cancelled_ms,
        draft.heartbeat_stop_ms,
        draft.idempotency_key,
        draft.runtime_id,  # for the sequence-number subquery
    )


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    present = {row[1] for row in connection.execute("PRAGMA table_info(invocations)")}
    for column, statement in _ADDED_COLUMNS.items():
        if column not in present:
            connection.execute(statement)


def _from_row(row: tuple[Any, ...]) -> StoredInvocation:
    (id_, run_id, runtime_id, space_id, sequence_no, request_json, metadata_json, *rest) = row
    return StoredInvocation(
        id_,
        run_id,
        runtime_id,
        space_id,
        sequence_no,
        json.loads(request_json),
        None if metadata_json is None else json.loads(metadata_json),
        *rest,
    )
