//! One engine shared by many threads: the history stays serializable. Writers that read a
//! version and then write with it race; the losers get a typed conflict, never a lost update,
//! and the log replays to the same state.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{customer, env, state_json};
use crm_core::party::{Channel, ConsentGrant, Purpose};
use crm_core::*;
use std::sync::{Arc, Mutex};

#[test]
fn racing_writers_get_conflicts_not_lost_updates() {
    let mut crm = Crm::new();
    crm.execute(&env(
        "2026-01-01T00:00:00Z",
        Command::RegisterCustomer {
            customer: customer("C1"),
        },
    ))
    .unwrap();
    let crm = Arc::new(Mutex::new(crm));
    let stream = "customer/C1";
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let crm = Arc::clone(&crm);
            std::thread::spawn(move || {
                let (mut ok, mut conflicts) = (0u32, 0u32);
                for i in 0..50 {
                    // read the version, let the others run, then write expecting it
                    let seen = crm.lock().unwrap().state().stream_version(stream);
                    std::thread::yield_now();
                    let mut cmd = env(
                        "2026-01-02T00:00:00Z",
                        Command::SetConsent {
                            customer: CustomerId::new("C1").unwrap(),
                            grant: ConsentGrant {
                                purpose: Purpose::Marketing,
                                channel: Channel::Email,
                                granted: (t + i) % 2 == 0,
                            },
                        },
                    );
                    cmd.meta = cmd.meta.expecting(seen);
                    match crm.lock().unwrap().execute(&cmd) {
                        Ok(events) => {
                            assert_eq!(events.len(), 1);
                            assert_eq!(events[0].stream_version, seen + 1);
                            ok += 1;
                        }
                        Err(e) => {
                            assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
                            conflicts += 1;
                        }
                    }
                }
                (ok, conflicts)
            })
        })
        .collect();
    let (mut ok, mut conflicts) = (0, 0);
    for t in threads {
        let (o, c) = t.join().unwrap();
        ok += o;
        conflicts += c;
    }
    assert_eq!(ok + conflicts, 400);
    let crm = crm.lock().unwrap();
    // every acknowledged write is in the log once, in order, without gaps
    assert_eq!(crm.state().stream_version(stream), 1 + u64::from(ok));
    let events = crm.events().unwrap();
    assert_eq!(events.len() as u64, 1 + u64::from(ok));
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
        assert_eq!(e.stream_version, i as u64 + 1);
    }
    let replayed = Crm::replay(&events).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
}

#[test]
fn idempotent_retries_from_many_threads_record_once() {
    let crm = Arc::new(Mutex::new(Crm::new()));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let crm = Arc::clone(&crm);
            std::thread::spawn(move || {
                let mut cmd = env(
                    "2026-01-01T00:00:00Z",
                    Command::RegisterCustomer {
                        customer: customer("C7"),
                    },
                );
                cmd.meta = cmd.meta.with_key("register-C7");
                crm.lock().unwrap().execute(&cmd).unwrap()
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(
        results.windows(2).all(|w| w[0] == w[1]),
        "every retry sees the first result"
    );
    assert_eq!(crm.lock().unwrap().events().unwrap().len(), 1);
}
