//! Every JSON example in docs/json-contract.md still means what the page says.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use crm_core::{Crm, Error, EventEnvelope};

const PAGE: &str = include_str!("../../docs/json-contract.md");

/// (marker, json) for every fenced json block that follows an HTML-comment marker.
fn blocks() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    let mut lines = PAGE.lines();
    while let Some(line) = lines.next() {
        let l = line.trim();
        if let Some(m) = l.strip_prefix("<!--").and_then(|r| r.strip_suffix("-->")) {
            marker = Some(m.trim().to_string());
        } else if l == "```json" {
            let mut body = String::new();
            for b in lines.by_ref() {
                if b.trim() == "```" {
                    break;
                }
                body.push_str(b);
                body.push('\n');
            }
            let m = marker.take().expect("every json block has a marker");
            out.push((m, body));
        }
    }
    out
}

#[test]
fn every_example_runs_as_documented() {
    let mut crm = Crm::new();
    let mut last_events: Option<Vec<EventEnvelope>> = None;
    let mut last_error: Option<Error> = None;
    let mut counted = 0;
    for (marker, json) in blocks() {
        counted += 1;
        match marker.as_str() {
            "command" => {
                let out = crm
                    .execute_json(&json)
                    .unwrap_or_else(|e| panic!("{e}\n{json}"));
                last_events = Some(serde_json::from_str(&out).unwrap());
                last_error = None;
            }
            "events" => {
                let documented: Vec<EventEnvelope> = serde_json::from_str(&json).unwrap();
                assert_eq!(Some(documented), last_events, "{json}");
            }
            "error" => {
                let documented: Error = serde_json::from_str(&json).unwrap();
                assert_eq!(Some(documented), last_error, "{json}");
            }
            m if m.starts_with("command-error:") => {
                let kind = m.trim_start_matches("command-error:").trim();
                let before = serde_json::to_string(crm.state()).unwrap();
                let e = crm.execute_json(&json).unwrap_err();
                let k = serde_json::to_value(&e).unwrap()["kind"].clone();
                assert_eq!(k.as_str(), Some(kind), "{e}\n{json}");
                assert_eq!(serde_json::to_string(crm.state()).unwrap(), before);
                last_error = Some(e);
            }
            other => panic!("unknown marker {other:?}"),
        }
    }
    assert!(counted >= 15, "only {counted} examples found");
}

#[test]
fn repeating_the_keyed_sale_returns_its_first_events() {
    let mut crm = Crm::new();
    let mut sale = None;
    for (marker, json) in blocks() {
        if marker == "command" {
            let out = crm.execute_json(&json).unwrap();
            if json.contains("sale-7781") {
                sale = Some((json, out));
            }
        }
    }
    let (json, first) = sale.unwrap();
    assert_eq!(crm.execute_json(&json).unwrap(), first);
}
