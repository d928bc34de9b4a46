//! JSON commands decoded and executed against an engine.
//!
//! The input is JSON Lines: each line is given to `Crm::execute_json` on an engine that starts
//! from the hostile catalogue's setup (customers, an agreement with an active line, quotas and
//! allowances, a calendar, a process instance). A failed command must change nothing; at the
//! end, replaying the log must rebuild the same state.
#![no_main]

use crm_core::{Crm, EventEnvelope, InMemoryStore};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const CATALOGUE: &str = include_str!("../../tests/hostile/catalogue.json");
const MAX_COMMANDS: usize = 16;

fn setup_events() -> &'static [EventEnvelope] {
    static EVENTS: OnceLock<Vec<EventEnvelope>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let catalogue: serde_json::Value = serde_json::from_str(CATALOGUE).expect("the catalogue");
        let mut crm = Crm::new();
        for command in catalogue["setup"].as_array().expect("a setup list") {
            crm.execute_json(&command.to_string())
                .expect("a setup command");
        }
        crm.events().expect("the setup events")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let store = InMemoryStore::from_events(setup_events().to_vec()).expect("a store");
    let mut crm = Crm::open(Box::new(store)).expect("an engine");
    for line in text.split('\n').take(MAX_COMMANDS) {
        let before = crm.state().clone();
        if crm.execute_json(line).is_err() {
            assert!(crm.state() == &before, "a failed command changed the state");
        }
    }
    let events = crm.events().expect("the events");
    let replayed = Crm::replay(&events).expect("a replay");
    assert!(
        &replayed == crm.state(),
        "the replay differs from the state"
    );
});
