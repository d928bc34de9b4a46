//! A durable event store in a SQLite file (cargo feature `sqlite`).
//!
//! [`SqliteStore`] keeps the engine's log in one table, one row per event, with the whole
//! envelope as JSON (the same JSON as the contract) beside the columns that the database
//! checks:
//!
//! - **append-only**: triggers refuse every `UPDATE` and `DELETE` of an event. The one
//!   exception is [`EventStore::redact`] (forgetting a customer): in the same transaction as
//!   the append it lifts the `UPDATE` trigger, rewrites the redacted rows (each checked with
//!   [`super::check_replacement`]) and puts the trigger back;
//! - **no erased bytes left behind**: the connection runs with `secure_delete = ON`, so SQLite
//!   overwrites the space that a rewritten row freed with zeros, and after a redaction the
//!   write-ahead log is checkpointed into the file and truncated (`wal_checkpoint(TRUNCATE)`),
//!   so the old text is neither in the database file nor in the `-wal` file. When another
//!   connection is reading at that instant the checkpoint cannot finish; SQLite finishes it
//!   with a later one;
//! - **one transaction per command**: [`EventStore::append`] writes all the events of one
//!   command in one `BEGIN IMMEDIATE` transaction, so a crash leaves all of them or none;
//! - **optimistic concurrency**: inside that transaction the log's length must still be the
//!   length the engine expects, else the append is [`Error::VersionConflict`] on the stream
//!   `store` and nothing is written (two engines on one file cannot interleave); the table also
//!   has `UNIQUE (stream, stream_version)` and `seq` as its primary key, so the database itself
//!   refuses a second event at a taken position;
//! - **idempotency keys persisted**: each envelope carries its command's key and fingerprint
//!   (and the key is a column with an index), so [`crate::Crm::open`] rebuilds them on replay;
//! - **durability**: the file is in WAL mode with `synchronous = FULL`: when `append` returns,
//!   the transaction is in the write-ahead log and that log was synced to disk. An append that
//!   was acknowledged survives the process being killed (SIGKILL: the written log is in the
//!   operating system already) and also a power cut or a kernel crash (the sync). An append
//!   that was not acknowledged is either whole or absent after the crash, never half written.
//!   `crm-core/tests/crash.rs` checks this by killing a writing process 30 times.
//!
//! Every failure of SQLite (a locked, read-only or corrupt file, a file that is no SQLite
//! database, an event that cannot be decoded) is [`Error::Storage`]; nothing here panics.

use super::event::EventEnvelope;
use super::store::EventStore;
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The version of the schema this code writes (SQLite's `user_version`).
const SCHEMA_VERSION: i64 = 1;

/// How long an append waits for another writer of the same file before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq             INTEGER PRIMARY KEY CHECK (seq >= 1),
    stream          TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL CHECK (stream_version >= 1),
    idempotency_key TEXT,
    envelope        TEXT    NOT NULL,
    UNIQUE (stream, stream_version)
) STRICT;
CREATE INDEX IF NOT EXISTS events_by_key ON events (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
";

/// The trigger that keeps rows from being updated; [`EventStore::redact`] lifts it inside its
/// transaction and creates it again before committing.
const NO_UPDATE_TRIGGER: &str = "
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
";

fn storage(context: &str, e: impl std::fmt::Display) -> Error {
    Error::Storage {
        message: format!("{context}: {e}"),
    }
}

fn to_sql_int(what: &str, n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| Error::Storage {
        message: format!("{what} {n} does not fit a SQLite integer"),
    })
}

/// An event store in a SQLite database (a file, or memory). See the module documentation for
/// its guarantees.
pub struct SqliteStore {
    conn: Connection,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the store in the file at `path`, creating the file and its schema when they do
    /// not exist. The file is put in WAL mode with `synchronous = FULL`.
    ///
    /// A file that is no SQLite database, or holds a schema newer than this code knows, is
    /// [`Error::Storage`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let conn = Connection::open(path)
            .map_err(|e| storage(&format!("cannot open {}", path.display()), e))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|e| storage("cannot set WAL mode", e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Storage {
                message: format!(
                    "{} cannot use WAL mode (journal mode {mode})",
                    path.display()
                ),
            });
        }
        Self::init(conn, Some(path.to_path_buf()))
    }

    /// An empty store in memory (gone when dropped): the SQLite schema and checks without a
    /// file, for tests.
    pub fn in_memory() -> Result<Self> {
        let conn =
            Connection::open_in_memory().map_err(|e| storage("cannot open a memory store", e))?;
        Self::init(conn, None)
    }

    /// The file the store lives in (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Self> {
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| storage("cannot set synchronous = FULL", e))?;
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(|e| storage("cannot set secure_delete = ON", e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| storage("cannot set the busy timeout", e))?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| storage("cannot start the schema transaction", e))?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| storage("cannot read the schema version", e))?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA)
                    .map_err(|e| storage("cannot create the schema", e))?;
                tx.execute_batch(NO_UPDATE_TRIGGER)
                    .map_err(|e| storage("cannot create the schema", e))?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                    .map_err(|e| storage("cannot set the schema version", e))?;
            }
            SCHEMA_VERSION => {}
            other => {
                return Err(Error::Storage {
                    message: format!(
                        "the store has schema version {other}; this code knows {SCHEMA_VERSION}"
                    ),
                });
            }
        }
        tx.commit()
            .map_err(|e| storage("cannot commit the schema", e))?;
        Ok(SqliteStore { conn, path })
    }

    /// The seq of the first event stored with this idempotency key, if any (the engine keeps
    /// keys in its state; this reads them straight from the file).
    pub fn first_seq_of_key(&self, key: &str) -> Result<Option<u64>> {
        let seq: Option<i64> = self
            .conn
            .query_row(
                "SELECT MIN(seq) FROM events WHERE idempotency_key = ?1",
                params![key],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| storage("cannot look the key up", e))?
            .flatten();
        seq.map(|s| {
            u64::try_from(s).map_err(|_| Error::Storage {
                message: format!("negative seq {s} in the store"),
            })
        })
        .transpose()
    }
}

/// The rows of `events`, which must follow a log of `expected_len` events.
fn encode_rows(expected_len: u64, events: &[EventEnvelope]) -> Result<Vec<(i64, i64, String)>> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let want = expected_len.saturating_add(i as u64).saturating_add(1);
            if e.seq != want {
                return Err(Error::Storage {
                    message: format!("event seq {} does not follow {}", e.seq, want - 1),
                });
            }
            let json = serde_json::to_string(e)
                .map_err(|err| storage(&format!("cannot encode event {}", e.seq), err))?;
            Ok((
                to_sql_int("seq", e.seq)?,
                to_sql_int("stream version", e.stream_version)?,
                json,
            ))
        })
        .collect()
}

/// Inside `tx`: checks that the log still holds `expected_len` events and inserts `rows`.
fn insert_rows(
    tx: &rusqlite::Transaction<'_>,
    expected_len: u64,
    rows: &[(i64, i64, String)],
    events: &[EventEnvelope],
) -> Result<()> {
    let len: i64 = tx
        .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |row| {
            row.get(0)
        })
        .map_err(|e| storage("cannot read the log length", e))?;
    let actual = u64::try_from(len).unwrap_or(0);
    if actual != expected_len {
        // The transaction rolls back when dropped; nothing was written.
        return Err(Error::VersionConflict {
            stream: "store".into(),
            expected: expected_len,
            actual,
        });
    }
    let mut insert = tx
        .prepare(
            "INSERT INTO events (seq, stream, stream_version, idempotency_key, envelope)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(|e| storage("cannot prepare the append", e))?;
    for ((seq, version, json), e) in rows.iter().zip(events) {
        insert
            .execute(params![
                seq,
                e.stream,
                version,
                e.idempotency_key.as_deref(),
                json
            ])
            .map_err(|err| {
                storage(
                    &format!(
                        "cannot append event {} ({} version {})",
                        e.seq, e.stream, e.stream_version
                    ),
                    err,
                )
            })?;
    }
    Ok(())
}

/// Inside `tx`: replaces the stored events with the seqs of `replacements` by them, each
/// checked against the event it replaces.
fn rewrite_rows(tx: &rusqlite::Transaction<'_>, replacements: &[EventEnvelope]) -> Result<()> {
    tx.execute_batch("DROP TRIGGER events_no_update")
        .map_err(|e| storage("cannot lift the append-only trigger", e))?;
    {
        let mut select = tx
            .prepare("SELECT envelope FROM events WHERE seq = ?1")
            .map_err(|e| storage("cannot prepare the redaction", e))?;
        let mut update = tx
            .prepare("UPDATE events SET envelope = ?2 WHERE seq = ?1")
            .map_err(|e| storage("cannot prepare the redaction", e))?;
        for new in replacements {
            let seq = to_sql_int("seq", new.seq)?;
            let json: Option<String> = select
                .query_row(params![seq], |row| row.get(0))
                .optional()
                .map_err(|e| storage(&format!("cannot read event {}", new.seq), e))?;
            let json = json.ok_or_else(|| Error::Storage {
                message: format!("no stored event {} to redact", new.seq),
            })?;
            let old: EventEnvelope = serde_json::from_str(&json)
                .map_err(|err| storage(&format!("event {} cannot be decoded", new.seq), err))?;
            super::store::check_replacement(&old, new)?;
            let json = serde_json::to_string(new)
                .map_err(|err| storage(&format!("cannot encode event {}", new.seq), err))?;
            update
                .execute(params![seq, json])
                .map_err(|e| storage(&format!("cannot redact event {}", new.seq), e))?;
        }
    }
    tx.execute_batch(NO_UPDATE_TRIGGER)
        .map_err(|e| storage("cannot restore the append-only trigger", e))
}

impl EventStore for SqliteStore {
    fn append(&mut self, expected_len: u64, events: &[EventEnvelope]) -> Result<()> {
        let rows = encode_rows(expected_len, events)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| storage("cannot start the append", e))?;
        insert_rows(&tx, expected_len, &rows, events)?;
        tx.commit()
            .map_err(|e| storage("cannot commit the append", e))
    }

    fn redact(
        &mut self,
        expected_len: u64,
        events: &[EventEnvelope],
        replacements: &[EventEnvelope],
    ) -> Result<()> {
        let rows = encode_rows(expected_len, events)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| storage("cannot start the redaction", e))?;
        insert_rows(&tx, expected_len, &rows, events)?;
        if !replacements.is_empty() {
            rewrite_rows(&tx, replacements)?;
        }
        tx.commit()
            .map_err(|e| storage("cannot commit the redaction", e))?;
        if !replacements.is_empty() {
            // The redaction is committed and durable in the write-ahead log; moving it into the
            // file and truncating the log removes the old frames. A reader holding the log
            // stops the checkpoint early and SQLite's next checkpoint completes it; an error
            // here cannot undo the committed redaction, so it is not reported as its failure.
            let _checkpoint = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                    row.get::<_, i64>(0)
                })
                .ok();
        }
        Ok(())
    }

    fn read(&self, from_seq: u64, limit: usize) -> Result<Vec<EventEnvelope>> {
        let from = i64::try_from(from_seq.max(1)).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare("SELECT seq, envelope FROM events WHERE seq >= ?1 ORDER BY seq LIMIT ?2")
            .map_err(|e| storage("cannot prepare the read", e))?;
        let rows = stmt
            .query_map(params![from, limit], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(|e| storage("cannot read events", e))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, json) = row.map_err(|e| storage("cannot read an event", e))?;
            let e: EventEnvelope = serde_json::from_str(&json)
                .map_err(|err| storage(&format!("event {seq} cannot be decoded"), err))?;
            if i64::try_from(e.seq).ok() != Some(seq) {
                return Err(Error::Storage {
                    message: format!("the row at seq {seq} holds event {}", e.seq),
                });
            }
            out.push(e);
        }
        Ok(out)
    }

    fn len(&self) -> Result<u64> {
        let len: i64 = self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |row| {
                row.get(0)
            })
            .map_err(|e| storage("cannot read the log length", e))?;
        u64::try_from(len).map_err(|_| Error::Storage {
            message: format!("negative log length {len}"),
        })
    }
}
