//! Decision-table JSON (`crm_core::policy::DecisionTable`).
//!
//! The first line of the input is a table; each further line is a set of facts (a JSON object)
//! to evaluate against it. A table that builds must survive its own JSON round trip, and the
//! analyses (overlaps, unreachable rules) and every evaluation must return, never panic.
#![no_main]

use crm_core::policy::{DecisionTable, Facts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (table, facts) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(table) = DecisionTable::from_json(table) else {
        return;
    };
    let json = table.to_json().expect("a built table serializes");
    let again = DecisionTable::from_json(&json).expect("a built table's JSON builds again");
    assert!(
        again.spec() == table.spec(),
        "the JSON round trip changed the table"
    );
    let _ = table.overlapping_rules();
    let _ = table.unreachable_rules();
    for line in facts.lines().take(8) {
        if let Ok(facts) = serde_json::from_str::<Facts>(line) {
            let _ = table.evaluate(&facts);
        }
    }
});
