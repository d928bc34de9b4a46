//! The SQLite event store (feature `sqlite`): replay to the same state, idempotency keys that
//! survive reopening, optimistic concurrency between two engines, all-or-nothing appends, and
//! storage errors instead of panics.
#![cfg(feature = "sqlite")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod storage_support;

use common::*;
use crm_core::agreement::LineAction;
use crm_core::*;
use storage_support::{TempDir, nth_command};

fn open(path: &std::path::Path) -> Crm {
    Crm::open(Box::new(SqliteStore::open(path).unwrap())).unwrap()
}

/// Runs the first `n` commands of the scenario on `crm`.
fn run_scenario(crm: &mut Crm, n: u64) {
    for i in 0..n {
        crm.execute_json(&nth_command(i))
            .unwrap_or_else(|e| panic!("command {i}: {e}\n{}", nth_command(i)));
    }
}

#[test]
fn a_reopened_store_replays_to_the_same_state_as_the_memory_engine() {
    let dir = TempDir::new("replay");
    let path = dir.file("crm.sqlite");
    let mut memory = Crm::new();
    let mut durable = open(&path);
    run_scenario(&mut memory, 60);
    run_scenario(&mut durable, 60);
    assert_eq!(state_json(&durable), state_json(&memory));
    assert_eq!(durable.events().unwrap(), memory.events().unwrap());
    drop(durable);

    let reopened = open(&path);
    assert_eq!(state_json(&reopened), state_json(&memory));
    assert_eq!(reopened.events().unwrap(), memory.events().unwrap());
    assert_eq!(reopened.state().last_seq, 60);
}

#[test]
fn typed_commands_work_on_a_store_in_memory() {
    let mut memory = engine_with_agreement();
    let mut sqlite = Crm::open(Box::new(SqliteStore::in_memory().unwrap())).unwrap();
    sqlite
        .execute(&env(
            "2026-01-01T09:00:00Z",
            Command::RegisterCustomer {
                customer: customer("C1"),
            },
        ))
        .unwrap();
    sqlite
        .execute(&env(
            "2026-01-01T09:00:00Z",
            Command::AddOffering {
                offering: mobile_offering(),
            },
        ))
        .unwrap();
    sqlite
        .execute(&create_agreement("A1", "C1", "L1", "2026-01-01T10:00:00Z"))
        .unwrap();
    let activate = env(
        "2026-01-01T11:00:00Z",
        Command::ChangeLineStatus {
            agreement: AgreementId::new("A1").unwrap(),
            line: LineId::new("L1").unwrap(),
            action: LineAction::RequestActivation,
            effective_at: None,
            asset: None,
            renew_until: None,
        },
    );
    memory.execute(&activate).unwrap();
    sqlite.execute(&activate).unwrap();
    assert_eq!(state_json(&sqlite), state_json(&memory));
    assert_eq!(
        Crm::replay(&sqlite.events().unwrap()).unwrap(),
        *sqlite.state()
    );
}

#[test]
fn idempotency_keys_survive_reopening() {
    let dir = TempDir::new("keys");
    let path = dir.file("crm.sqlite");
    let mut crm = open(&path);
    run_scenario(&mut crm, 12);
    let first = crm.events().unwrap();
    drop(crm);

    let mut crm = open(&path);
    let before = state_json(&crm);
    // Every command sent again with its key returns its first event and stores nothing.
    for i in 0..12 {
        let again = crm.execute_json(&nth_command(i)).unwrap();
        let again: Vec<EventEnvelope> = serde_json::from_str(&again).unwrap();
        assert_eq!(again, vec![first[i as usize].clone()]);
    }
    assert_eq!(state_json(&crm), before);
    assert_eq!(crm.events().unwrap().len(), 12);
    // The same key with other content is a conflict, after reopening as before.
    let other = nth_command(13).replace("\"k-13\"", "\"k-3\"");
    let err = crm.execute_json(&other).unwrap_err();
    assert!(
        matches!(err, Error::IdempotencyConflict { ref key } if key == "k-3"),
        "{err}"
    );
    assert_eq!(state_json(&crm), before);
    drop(crm);

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.first_seq_of_key("k-3").unwrap(), Some(4));
    assert_eq!(store.first_seq_of_key("never-used").unwrap(), None);
}

#[test]
fn a_second_engine_with_a_stale_log_gets_a_conflict_not_a_corruption() {
    let dir = TempDir::new("two-writers");
    let path = dir.file("crm.sqlite");
    let mut a = open(&path);
    run_scenario(&mut a, 5);
    let mut b = open(&path);
    assert_eq!(state_json(&b), state_json(&a));

    // a writes; b's view is now stale
    a.execute_json(&nth_command(5)).unwrap();
    let b_before = state_json(&b);
    let err = b.execute_json(&nth_command(5)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(
        matches!(
            err,
            Error::VersionConflict { ref stream, expected: 5, actual: 6 } if stream == "store"
        ),
        "{err}"
    );
    assert_eq!(
        state_json(&b),
        b_before,
        "a failed append changed the state"
    );
    let other = nth_command(6);
    assert_eq!(
        b.execute_json(&other).unwrap_err().kind(),
        ErrorKind::Conflict
    );

    // The file holds a's log, whole; reopening b catches up and it can write again.
    drop(b);
    let mut b = open(&path);
    assert_eq!(state_json(&b), state_json(&a));
    b.execute_json(&nth_command(6)).unwrap();
    assert_eq!(b.events().unwrap().len(), 7);
    assert_eq!(
        Crm::replay(&b.events().unwrap()).unwrap(),
        *b.state(),
        "the log is still a valid history"
    );
}

#[test]
fn an_append_is_all_or_nothing() {
    let mut memory = Crm::new();
    run_scenario(&mut memory, 8);
    let events = memory.events().unwrap();
    let mut store = SqliteStore::in_memory().unwrap();
    store.append(0, &events[..3]).unwrap();

    // The third event of this batch takes a (stream, version) already stored: nothing of the
    // batch is written.
    let mut bad = events[3..6].to_vec();
    bad[2].stream = events[1].stream.clone();
    bad[2].stream_version = events[1].stream_version;
    let err = store.append(3, &bad).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
    assert!(err.to_string().contains("UNIQUE"), "{err}");
    assert_eq!(store.len().unwrap(), 3);

    // A batch whose seqs do not follow the log is refused before SQLite sees it.
    let err = store.append(3, &events[4..6]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
    // A stale expected length is a conflict.
    let err = store.append(2, &events[2..4]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(store.len().unwrap(), 3);

    store.append(3, &events[3..]).unwrap();
    assert_eq!(store.read(1, usize::MAX).unwrap(), events);
    assert_eq!(store.read(4, 2).unwrap(), events[3..5].to_vec());
    assert_eq!(store.read(0, 1).unwrap(), events[..1].to_vec());
    assert!(store.read(9, 10).unwrap().is_empty());
    assert!(store.append(8, &[]).is_ok());
}

#[test]
fn the_log_is_append_only_in_the_file() {
    let dir = TempDir::new("append-only");
    let path = dir.file("crm.sqlite");
    let mut crm = open(&path);
    run_scenario(&mut crm, 3);
    drop(crm);
    let raw = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE events SET envelope = '{}' WHERE seq = 1",
        "DELETE FROM events WHERE seq = 3",
    ] {
        let err = raw.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let journal: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn bad_files_are_storage_errors() {
    let dir = TempDir::new("bad-files");

    let text = dir.file("not-a-database.sqlite");
    std::fs::write(&text, vec![b'x'; 4096]).unwrap();
    let err = SqliteStore::open(&text).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");

    let missing_dir = dir.file("no/such/dir/crm.sqlite");
    let err = SqliteStore::open(&missing_dir).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");

    let newer = dir.file("newer.sqlite");
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let err = SqliteStore::open(&newer).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
    assert!(err.to_string().contains("schema version 99"), "{err}");

    // A row that does not decode is a storage error when the engine replays it.
    let corrupt = dir.file("corrupt.sqlite");
    let mut crm = open(&corrupt);
    run_scenario(&mut crm, 2);
    drop(crm);
    rusqlite::Connection::open(&corrupt)
        .unwrap()
        .execute(
            "INSERT INTO events (seq, stream, stream_version, envelope)
             VALUES (3, 'customer/X', 1, '{\"seq\": 3, \"not\": \"an event\"}')",
            [],
        )
        .unwrap();
    let err = Crm::open(Box::new(SqliteStore::open(&corrupt).unwrap())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
    assert!(err.to_string().contains("event 3"), "{err}");
}

const FORGET_FIXTURE: &str = include_str!("../../tests/fixtures/forget_customer.json");

/// The fixture's setup run on `crm`; returns the texts that forgetting must erase.
fn run_forget_setup(crm: &mut Crm) -> Vec<String> {
    let fixture: serde_json::Value = serde_json::from_str(FORGET_FIXTURE).unwrap();
    for cmd in fixture["setup"].as_array().unwrap() {
        crm.execute_json(&cmd.to_string())
            .unwrap_or_else(|e| panic!("{e}\n{cmd}"));
    }
    fixture["erased"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_lowercase())
        .collect()
}

fn forget_command() -> String {
    let fixture: serde_json::Value = serde_json::from_str(FORGET_FIXTURE).unwrap();
    fixture["forget"].to_string()
}

/// The erased texts found in the bytes of the database file and its write-ahead log.
fn leaks_in_files(path: &std::path::Path, erased: &[String]) -> Vec<String> {
    let mut bytes = std::fs::read(path).unwrap();
    let wal = path.with_extension("sqlite-wal");
    if let Ok(more) = std::fs::read(&wal) {
        bytes.extend(more);
    }
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    erased
        .iter()
        .filter(|s| text.contains(s.as_str()))
        .cloned()
        .collect()
}

#[test]
fn forgetting_a_customer_leaves_no_personal_bytes_in_the_file() {
    let dir = TempDir::new("forget");
    let path = dir.file("crm.sqlite");
    let mut memory = Crm::new();
    let mut durable = open(&path);
    let erased = run_forget_setup(&mut memory);
    run_forget_setup(&mut durable);
    // Without the redaction every text is on disk (so the check below can fail).
    assert_eq!(leaks_in_files(&path, &erased), erased);

    memory.execute_json(&forget_command()).unwrap();
    durable.execute_json(&forget_command()).unwrap();
    assert_eq!(state_json(&durable), state_json(&memory));
    assert_eq!(leaks_in_files(&path, &erased), Vec::<String>::new());
    drop(durable);

    let mut reopened = open(&path);
    assert_eq!(state_json(&reopened), state_json(&memory));
    assert_eq!(reopened.events().unwrap(), memory.events().unwrap());
    let events = serde_json::to_string(&reopened.events().unwrap())
        .unwrap()
        .to_lowercase();
    assert!(erased.iter().all(|s| !events.contains(s.as_str())));
    // The same key after reopening: the first result, nothing new.
    let n = reopened.events().unwrap().len();
    reopened.execute_json(&forget_command()).unwrap();
    assert_eq!(reopened.events().unwrap().len(), n);
    drop(reopened);
    assert_eq!(leaks_in_files(&path, &erased), Vec::<String>::new());

    // The redaction put the append-only triggers back.
    let raw = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE events SET envelope = '{}' WHERE seq = 1",
        "DELETE FROM events WHERE seq = 1",
    ] {
        let e = raw.execute(sql, []).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
}

#[test]
fn a_refused_redaction_changes_nothing_in_the_file() {
    let dir = TempDir::new("forget-refused");
    let path = dir.file("crm.sqlite");
    let mut crm = open(&path);
    run_forget_setup(&mut crm);
    let log = crm.events().unwrap();
    drop(crm);

    let mut store = SqliteStore::open(&path).unwrap();
    let mut moved = log[1].clone();
    moved.stream = "customer/elsewhere".into();
    let mut forgotten = log[1].clone();
    forgotten.seq = log.len() as u64 + 1;
    forgotten.stream_version = 1_000;
    forgotten.event = Event::CustomerForgotten {
        customer: CustomerId::new("C-7").unwrap(),
    };
    let e = store
        .redact(
            log.len() as u64,
            std::slice::from_ref(&forgotten),
            std::slice::from_ref(&moved),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert_eq!(store.read(1, usize::MAX).unwrap(), log);
    // The trigger came back with the rollback.
    let raw = rusqlite::Connection::open(&path).unwrap();
    let e = raw
        .execute("UPDATE events SET envelope = '{}' WHERE seq = 1", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
}
