//! The hostile input catalogue (`tests/hostile/catalogue.json`, shared with the Python and
//! Kotlin tests): every input fed to `Crm::execute_json` on one engine built from the
//! catalogue's `setup` fails with the expected error kind and changes neither the state nor
//! the event log. The format is described in the file's `about` field and in docs/errors.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use crm_core::*;
use serde_json::Value;
use std::panic::{AssertUnwindSafe, catch_unwind};

fn catalogue() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/hostile/catalogue.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn repeat(spec: &serde_json::Map<String, Value>) -> String {
    let s = spec["$repeat"].as_str().expect("$repeat takes a string");
    let times = spec["times"].as_u64().expect("times is a count");
    s.repeat(times as usize)
}

fn substitute(template: &Value, i: usize) -> Value {
    match template {
        Value::String(s) => Value::String(s.replace("{i}", &i.to_string())),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, i)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, i)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Replaces the generators inside a JSON value.
fn expand(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.contains_key("$repeat") => Value::String(repeat(map)),
        Value::Object(map) if map.contains_key("$array") => {
            let times = map["times"].as_u64().expect("times is a count") as usize;
            Value::Array(
                (0..times)
                    .map(|i| expand(&substitute(&map["$array"], i)))
                    .collect(),
            )
        }
        Value::Object(map) => {
            assert!(
                !map.keys().any(|k| k.starts_with('$')),
                "unknown generator in {map:?}"
            );
            Value::Object(map.iter().map(|(k, v)| (k.clone(), expand(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(expand).collect()),
        other => other.clone(),
    }
}

/// The text an input stands for.
fn render(input: &Value) -> String {
    if let Some(parts) = input.as_object().and_then(|m| m.get("$text")) {
        return parts
            .as_array()
            .expect("$text takes a list")
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                Value::Object(m) if m.contains_key("$repeat") => repeat(m),
                other => panic!("not a text part: {other}"),
            })
            .collect();
    }
    serde_json::to_string(&expand(input)).unwrap()
}

fn kind_tag(kind: ErrorKind) -> String {
    serde_json::to_value(kind)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_catalogue_has_at_least_fifty_distinct_cases() {
    let cat = catalogue();
    let cases = cat["cases"].as_array().unwrap();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let mut names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "case names must be unique");
}

#[test]
fn hostile_inputs_are_typed_errors_that_change_nothing() {
    let cat = catalogue();
    let mut crm = Crm::new();
    for (i, command) in cat["setup"].as_array().unwrap().iter().enumerate() {
        crm.execute_json(&render(command))
            .unwrap_or_else(|e| panic!("setup command {i} failed: {e}"));
    }
    let state = serde_json::to_string(crm.state()).unwrap();
    let events = serde_json::to_string(&crm.events().unwrap()).unwrap();

    let mut failures = Vec::new();
    for case in cat["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let expect = case["expect"].as_str().unwrap();
        let text = render(&case["input"]);
        let outcome = catch_unwind(AssertUnwindSafe(|| crm.execute_json(&text)));
        match outcome {
            Err(_) => failures.push(format!("{name}: PANICKED")),
            Ok(Ok(out)) => failures.push(format!("{name}: succeeded: {:.200}", out)),
            Ok(Err(e)) => {
                let got = kind_tag(e.kind());
                if std::env::var_os("CRM_HOSTILE_VERBOSE").is_some() {
                    eprintln!("{name}: {got}: {e:.300}");
                }
                if got != expect {
                    failures.push(format!("{name}: expected {expect}, got {got}: {e}"));
                }
                let message = e.to_string();
                if message.len() > 2_000 {
                    failures.push(format!(
                        "{name}: the message is {} bytes long",
                        message.len()
                    ));
                }
            }
        }
        if serde_json::to_string(crm.state()).unwrap() != state {
            failures.push(format!("{name}: the state changed"));
            break;
        }
        if serde_json::to_string(&crm.events().unwrap()).unwrap() != events {
            failures.push(format!("{name}: the event log changed"));
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cat["cases"].as_array().unwrap().len(),
        failures.join("\n")
    );
}
