//! Process-definition JSON (`crm_core::process::ProcessDefinition`).
//!
//! A definition that decodes (and so passed validation) must draw as Mermaid and DOT and
//! survive its JSON round trip unchanged.
#![no_main]

use crm_core::process::ProcessDefinition;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(definition) = serde_json::from_str::<ProcessDefinition>(text) else {
        return;
    };
    let _ = definition.to_mermaid();
    let _ = definition.to_dot();
    let json = serde_json::to_string(&definition).expect("a definition serializes");
    let again: ProcessDefinition =
        serde_json::from_str(&json).expect("a valid definition's JSON decodes again");
    let json_again = serde_json::to_string(&again).expect("a definition serializes");
    assert_eq!(
        json, json_again,
        "the JSON round trip changed the definition"
    );
});
