//! Crash test of the SQLite store: a child process appends commands and is killed with SIGKILL
//! at pseudo-random moments, many times. After each kill the store is reopened: every command
//! acknowledged before the kill is there, nothing is half written, and the state equals a
//! replay of the log (and the state of an engine in memory that ran the same commands).
//!
//! The child is this test binary itself, run again with `CRM_CRASH_DB` set (test `crash_child`).
//! It runs in one of two modes, alternating between rounds:
//! - `engine`: `Crm::open` on the file and `execute_json` of one command after the other;
//! - `batch`: several commands' events appended to the store in one `append`, so that a kill
//!   can land inside a multi-event transaction.
//!
//! The child prints `ack <seq>` after each append returned. The kill moments come from a seeded
//! generator: `CRM_CRASH_SEED` (default below) and `CRM_CRASH_ROUNDS` reproduce or lengthen a run.
#![cfg(all(unix, feature = "sqlite"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod storage_support;

use common::state_json;
use crm_core::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant as Clock};
use storage_support::{TempDir, nth_command};

const DB_ENV: &str = "CRM_CRASH_DB";
const MODE_ENV: &str = "CRM_CRASH_MODE";
const DEFAULT_SEED: u64 = 0x00C0_FFEE_2026;
const DEFAULT_ROUNDS: usize = 30;
/// A child that was never killed stops by itself after this many commands.
const CHILD_LIMIT: u64 = 200_000;

/// splitmix64: a small, seeded, reproducible generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// How many commands the batch child puts in the append that starts after `start` events.
fn batch_size(start: u64) -> u64 {
    1 + (start.wrapping_mul(7) % 4)
}

fn ack(seq: u64) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ack {seq}").unwrap();
    out.flush().unwrap();
}

/// The child: runs only when the parent started it (with `CRM_CRASH_DB` set).
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(DB_ENV) else {
        return;
    };
    let mode = std::env::var(MODE_ENV).unwrap_or_default();
    if mode == "batch" {
        let mut store = SqliteStore::open(&path).unwrap();
        let events = store.read(1, usize::MAX).unwrap();
        let mut memory = Crm::open(Box::new(InMemoryStore::from_events(events).unwrap())).unwrap();
        loop {
            let start = memory.state().last_seq;
            if start >= CHILD_LIMIT {
                return;
            }
            let mut batch = Vec::new();
            for i in start..start + batch_size(start) {
                let json = memory.execute_json(&nth_command(i)).unwrap();
                batch.extend(serde_json::from_str::<Vec<EventEnvelope>>(&json).unwrap());
            }
            store.append(start, &batch).unwrap();
            ack(memory.state().last_seq);
        }
    } else {
        let mut crm = Crm::open(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
        loop {
            let i = crm.state().last_seq;
            if i >= CHILD_LIMIT {
                return;
            }
            crm.execute_json(&nth_command(i)).unwrap();
            ack(crm.state().last_seq);
        }
    }
}

struct Round {
    /// The highest seq the child acknowledged before it died.
    acknowledged: u64,
    /// How many acknowledgements it printed.
    acks: u64,
}

/// Starts a child in `mode`, kills it after `delay` (counted from its first acknowledgement
/// when `after_first_ack`, else from the start) and returns what it acknowledged.
fn run_child(path: &std::path::Path, mode: &str, delay: Duration, after_first_ack: bool) -> Round {
    let mut child = Process::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(DB_ENV, path)
        .env(MODE_ENV, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (first_tx, first_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut acknowledged = 0;
        let mut acks = 0;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(seq) = line.strip_prefix("ack ") {
                acknowledged = seq.parse().unwrap();
                acks += 1;
                if acks == 1 {
                    let _ = first_tx.send(());
                }
            }
        }
        Round { acknowledged, acks }
    });
    if after_first_ack && first_rx.recv_timeout(Duration::from_secs(60)).is_err() {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "the child acknowledged nothing: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::thread::sleep(delay);
    // std's Child::kill is SIGKILL on Unix: no destructor, no flush, no SQLite close.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    if status.signal() != Some(9) {
        let mut stderr = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
        panic!("the child ended by itself ({status}) before the kill: {stderr}");
    }
    reader.join().unwrap()
}

#[test]
fn acknowledged_commands_survive_sigkill() {
    if std::env::var_os(DB_ENV).is_some() {
        return;
    }
    let seed = std::env::var("CRM_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let rounds = std::env::var("CRM_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_ROUNDS);
    let mut rng = Rng(seed);
    let dir = TempDir::new("crash");
    let path = dir.file("crm.sqlite");
    let started = Clock::now();

    // The same commands in memory: the log must always be a prefix of this engine's log.
    let mut reference = Crm::new();
    let mut len = 0;
    let mut total_acks = 0;
    for round in 0..rounds {
        let mode = if round % 2 == 0 { "engine" } else { "batch" };
        // Mostly killed while appending; every fifth round at any moment, start-up included.
        let after_first_ack = round % 5 != 4;
        let delay = Duration::from_millis(rng.below(if after_first_ack { 450 } else { 150 }));
        let Round { acknowledged, acks } = run_child(&path, mode, delay, after_first_ack);
        total_acks += acks;

        let store = SqliteStore::open(&path).unwrap();
        let events = store.read(1, usize::MAX).unwrap();
        let new_len = events.len() as u64;
        let context = format!(
            "seed {seed}, round {round} ({mode}, killed after {delay:?}): {acks} acks up to \
             {acknowledged}, log {len} -> {new_len}"
        );
        assert!(
            new_len >= acknowledged,
            "an acknowledged append was lost: {context}"
        );
        assert!(new_len >= len, "the log shrank: {context}");
        if mode == "batch" {
            // Only whole batches: the log ends at a batch boundary.
            let mut boundary = len;
            while boundary < new_len {
                boundary += batch_size(boundary);
            }
            assert_eq!(boundary, new_len, "a batch was half written: {context}");
        }
        while reference.state().last_seq < new_len {
            let i = reference.state().last_seq;
            reference.execute_json(&nth_command(i)).unwrap();
        }
        let expected = reference.events().unwrap();
        assert_eq!(
            events, expected,
            "the log differs from the commands: {context}"
        );

        let reopened = Crm::open(Box::new(store)).unwrap();
        let replayed = Crm::replay(&events).unwrap();
        assert_eq!(
            serde_json::to_string(&replayed).unwrap(),
            state_json(&reopened),
            "{context}"
        );
        assert_eq!(state_json(&reopened), state_json(&reference), "{context}");
        assert_eq!(reopened.state().keys.len() as u64, new_len, "{context}");
        len = new_len;
    }
    eprintln!(
        "crash test: seed {seed}, {rounds} SIGKILLs, {total_acks} acknowledged appends, {len} \
         commands in the log, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(len > 0);
}
