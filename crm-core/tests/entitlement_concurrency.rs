//! Many threads race for the last unit of one quota through one engine behind a mutex:
//! exactly one wins, and the losers are refused with reasons and record nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod entitlement_support;

use crm_core::party::Channel;
use crm_core::*;
use entitlement_support::*;
use std::sync::{Arc, Barrier, Mutex};

#[test]
fn exactly_one_thread_takes_the_last_unit() {
    let mut crm = engine();
    let r = req("device_replacement", Channel::Branch);
    consume(&mut crm, "FIRST", &r, "2026-03-01T00:00:00Z").unwrap();
    let crm = Arc::new(Mutex::new(crm));
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let crm = Arc::clone(&crm);
            let barrier = Arc::clone(&barrier);
            let r = r.clone();
            std::thread::spawn(move || {
                barrier.wait();
                // check first (as a service screen would), then consume: the check may say
                // yes to many, the consume re-checks under the lock
                let looked = crm
                    .lock()
                    .unwrap()
                    .check_entitlement(&r, t("2026-03-02T00:00:00Z"))
                    .unwrap()
                    .is_granted();
                let got = consume(
                    &mut crm.lock().unwrap(),
                    &format!("T{i}"),
                    &r,
                    "2026-03-02T00:00:00Z",
                );
                (looked, got)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let wins = results.iter().filter(|(_, g)| g.is_ok()).count();
    assert_eq!(wins, 1);
    for (_, g) in &results {
        if let Err(e) = g {
            assert_eq!(e.kind(), ErrorKind::NotEntitled, "{e}");
        }
    }
    let crm = crm.lock().unwrap();
    let uses = crm
        .usage_of(&EntitlementId::new("L1.device_replacement").unwrap())
        .unwrap();
    assert_eq!(uses.len(), 2);
}
