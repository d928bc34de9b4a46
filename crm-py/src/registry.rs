//! The record types a Python constructor checks against crm-core: one line per type, naming
//! the core type whose serde form (and rules) the record's data must satisfy.
//!
//! A record class of `crm_core.records` names its entry (`_core = "Customer"`); its constructor
//! sends its data here, the core decodes it (every rule and message is the core's) and the
//! record keeps the core's own JSON form of it. Output-only records need no entry.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn roundtrip<T: DeserializeOwned + Serialize>(v: Value) -> crm_core::Result<Value> {
    let t: T = serde_json::from_value(v)?;
    Ok(serde_json::to_value(&t)?)
}

/// A process definition is built from its spec, so a malformed graph is an
/// `InvalidDefinitionError` listing every problem (serde would fold it into a JSON error).
fn definition(v: Value) -> crm_core::Result<Value> {
    let spec: crm_core::process::DefinitionSpec = serde_json::from_value(v)?;
    Ok(serde_json::to_value(&spec.build()?)?)
}

macro_rules! registry {
    ($($name:literal => $ty:ty),* $(,)?) => {
        /// Checks `v` as the core type registered under `name` and returns the core's form.
        pub fn check(name: &str, v: Value) -> crm_core::Result<Value> {
            match name {
                "ProcessDefinition" => definition(v),
                $($name => roundtrip::<$ty>(v),)*
                other => Err(crm_core::Error::validation(
                    "record type",
                    other,
                    "no core type of that name is registered",
                )),
            }
        }

        /// Every registered name.
        #[cfg(test)]
        pub const NAMES: &[&str] = &["ProcessDefinition", $($name),*];
    };
}

registry! {
    "Metadata" => crm_core::engine::Metadata,
    "Command" => crm_core::engine::Command,
    "EventEnvelope" => crm_core::engine::EventEnvelope,
    "Customer" => crm_core::party::Customer,
    "ContactPoint" => crm_core::party::ContactPoint,
    "ConsentGrant" => crm_core::party::ConsentGrant,
    "Consent" => crm_core::party::Consent,
    "Partner" => crm_core::party::Partner,
    "Offering" => crm_core::catalog::Offering,
    "EntitlementTemplate" => crm_core::entitlement::EntitlementTemplate,
    "EntitlementConditions" => crm_core::entitlement::EntitlementConditions,
    "Term" => crm_core::agreement::Term,
    "NewLine" => crm_core::agreement::NewLine,
    "NewCommitment" => crm_core::engine::NewCommitment,
    "Exception" => crm_core::agreement::Exception,
    "EntitlementRequest" => crm_core::entitlement::EntitlementRequest,
    "CustomerStanding" => crm_core::entitlement::CustomerStanding,
    "BusinessCalendar" => crm_core::calendar::BusinessCalendar,
    "StartProcess" => crm_core::engine::StartProcess,
    "SlaTargets" => crm_core::process::SlaTargets,
    "PartyRef" => crm_core::agreement::PartyRef,
    "SoldThrough" => crm_core::agreement::SoldThrough,
    "OfferingKind" => crm_core::catalog::OfferingKind,
    "Window" => crm_core::entitlement::Window,
    "EntitlementKind" => crm_core::entitlement::EntitlementKind,
    "ExceptionScope" => crm_core::agreement::ExceptionScope,
    "ExceptionEffect" => crm_core::agreement::ExceptionEffect,
    "AmendmentChange" => crm_core::agreement::AmendmentChange,
    "Performer" => crm_core::process::Performer,
    "SlaSource" => crm_core::process::SlaSource,
    "Scope" => crm_core::obligation::Scope,
    "CustomerMeasures" => crm_core::policy::CustomerMeasures,
    "TieringInput" => crm_core::policy::TieringInput,
    "CompensationCap" => crm_core::policy::CompensationCap,
    "CapPeriod" => crm_core::policy::CapPeriod,
    "Value" => crm_core::policy::table::Value,
    "FeeWaiver" => crm_core::policy::FeeWaiver,
    "Complaint" => crm_core::policy::Complaint,
    "CustomerFacts" => crm_core::policy::CustomerFacts,
    "CompensationGranted" => crm_core::policy::CompensationGranted,
    "PaymentPlan" => crm_core::obligation::PaymentPlan,
    "Periodicity" => crm_core::obligation::Periodicity,
    "Frequency" => crm_core::obligation::Frequency,
    "AllocationRule" => crm_core::obligation::AllocationRule,
    "Charge" => crm_core::obligation::Charge,
    "Payment" => crm_core::obligation::Payment,
    "Credit" => crm_core::obligation::Credit,
    "ScheduleInput" => crm_core::obligation::ScheduleInput,
    "CollectionPolicy" => crm_core::obligation::CollectionPolicy,
    "CollectionStep" => crm_core::obligation::CollectionStep,
    "Adjustment" => crm_core::obligation::Adjustment,
    "WriteOff" => crm_core::obligation::WriteOff,
    "HostFacts" => crm_core::engine::HostFacts,
    "StartOptions" => crm_core::engine::StartOptions,
    "Interaction" => crm_core::interaction::Interaction,
    "Feedback" => crm_core::interaction::Feedback,
    "InteractionUpdate" => crm_core::engine::InteractionUpdate,
    "MeasureFilter" => crm_core::measures::MeasureFilter,
    // enumerations, so the tests can check every `crm_core.enums` member against the core
    "Channel" => crm_core::party::Channel,
    "Purpose" => crm_core::party::Purpose,
    "PartnerKind" => crm_core::party::PartnerKind,
    "CommitmentState" => crm_core::agreement::CommitmentState,
    "DecisionOutcome" => crm_core::entitlement::DecisionOutcome,
    "StepKind" => crm_core::process::StepKind,
    "SlaState" => crm_core::process::SlaState,
    "Direction" => crm_core::interaction::Direction,
    "InteractionOutcome" => crm_core::interaction::InteractionOutcome,
    "Severity" => crm_core::audit::Severity,
    "FindingKind" => crm_core::audit::FindingKind,
    "CollectionStepKind" => crm_core::obligation::CollectionStepKind,
    "CommitmentStanding" => crm_core::accountability::Standing,
}

/// The tags serde accepts for a tagged core enumeration (`Command`, `Event`), read from the
/// decoder's own "expected one of" list, so the tests can check that every core tag has its
/// Python class and fail the moment the core gains a command or an event without one.
pub fn variant_tags(name: &str) -> crm_core::Result<Vec<String>> {
    let probe = serde_json::json!({ "type": "\u{1}" });
    let message = match name {
        "Command" => serde_json::from_value::<crm_core::engine::Command>(probe).err(),
        "Event" => serde_json::from_value::<crm_core::engine::Event>(probe).err(),
        other => {
            return Err(crm_core::Error::validation(
                "enumeration",
                other,
                "must be Command or Event",
            ));
        }
    }
    .map(|e| e.to_string())
    .unwrap_or_default();
    let list = message.split("expected one of").nth(1).unwrap_or_default();
    Ok(list
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_unknown_names_are_refused() {
        for (i, n) in NAMES.iter().enumerate() {
            assert!(!NAMES.iter().skip(i + 1).any(|o| o == n), "{n}");
        }
        assert!(check("NoSuchType", Value::Null).is_err());
    }
}
