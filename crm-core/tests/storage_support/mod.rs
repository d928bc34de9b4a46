//! Helpers of the storage tests: a temporary directory, and a scenario of commands.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A directory under the system's temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("crm-core-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `i`-th command of an endless, always valid sequence (offerings, customers, agreements,
/// line moves, commitments, entitlement uses), each with the idempotency key `k-<i>`, as JSON.
/// Each command produces exactly one event, so after `n` commands the log holds `n` events.
pub fn nth_command(i: u64) -> String {
    let at = format!(
        "2026-01-01T{:02}:{:02}:{:02}Z",
        (i / 3600) % 24,
        (i / 60) % 60,
        i % 60
    );
    let day = 1 + (i / 86_400) % 28;
    let at = at.replacen("-01T", &format!("-{day:02}T"), 1);
    let meta = format!(
        r#""meta": {{"at": "{at}", "actor": "crash-{}", "idempotency_key": "k-{i}"}}"#,
        i % 7
    );
    if i == 0 {
        return format!(
            r#"{{{meta}, "command": {{"type": "add_offering", "offering": {{"id": "MOBILE", "name": "Mobile plan",
               "kind": {{"type": "service"}},
               "entitlements": [{{"code": "repair", "kind": {{"type": "quota", "uses": 1000000,
                                  "window": {{"type": "rolling_days", "days": 365}}}}}}]}}}}}}"#
        );
    }
    // A group of five commands per customer g: register, sign, request activation, activate,
    // and then either a commitment or a use of the repair entitlement.
    let g = (i - 1) / 5;
    let step = (i - 1) % 5;
    let command = match step {
        0 => format!(
            r#"{{"type": "register_customer", "customer": {{"id": "C-{g}", "name": "Customer {g}"}}}}"#
        ),
        1 => format!(
            r#"{{"type": "create_agreement", "agreement": "A-{g}", "customer": "C-{g}",
                "sold_through": {{"type": "direct"}},
                "term": {{"start": "2026-01-01", "end": "2027-12-31", "auto_renew": false}},
                "lines": [{{"id": "L-{g}", "offering": "MOBILE", "quantity": 1}}],
                "signature": {{"channel": "branch", "at": "{at}"}}}}"#
        ),
        2 => format!(
            r#"{{"type": "change_line_status", "agreement": "A-{g}", "line": "L-{g}", "action": "request_activation"}}"#
        ),
        3 => format!(
            r#"{{"type": "change_line_status", "agreement": "A-{g}", "line": "L-{g}", "action": "activate"}}"#
        ),
        _ if g.is_multiple_of(2) => format!(
            r#"{{"type": "make_commitment", "commitment": {{"id": "P-{g}", "customer": "C-{g}",
                "agreement": "A-{g}", "description": "call back",
                "made_by": {{"type": "customer", "customer": "C-{g}"}},
                "responsible": {{"type": "customer", "customer": "C-{g}"}},
                "due_at": "2026-12-31T00:00:00Z"}}}}"#
        ),
        _ => format!(
            r#"{{"type": "consume_entitlement", "usage": "U-{g}",
                "request": {{"customer": "C-{g}", "code": "repair", "channel": "phone"}}}}"#
        ),
    };
    format!(r#"{{{meta}, "command": {command}}}"#)
}
