//! Interactions: every contact with a customer, inbound or outbound, on any channel.
//!
//! An [`Interaction`] records when, on which channel and in which direction the organisation
//! and a customer met, what it was about (its `kind`, which the process catalog maps to a
//! process definition, and a summary), who handled it, how it ended, the sentiment the host
//! measured, the feedback the customer gave, and the process instance and commitments it
//! started or touched. [`Interaction::validate`] refuses contradictory records with typed
//! errors; [`check_outbound_consent`] refuses an outbound contact the customer did not agree
//! to. The record is the input of [`crate::measures`].
//!
//! The channel is recorded, and measured, but never changes an answer: what a customer is
//! entitled to or owes comes from the agreement, whatever the channel.
//!
//! ## Personal data
//!
//! The summary is free text written by whoever handled the contact and may well contain
//! personal data ("new address is ..."). `Debug` output and validation errors therefore show
//! only its length; the JSON form carries it in full (it is the record).

use crate::Instant;
use crate::error::{Error, Result};
use crate::ids::{ActorId, CommitmentId, CustomerId, InstanceId, InteractionId, validate_id};
use crate::party::{Channel, Customer, Purpose, validate_personal_text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The lowest customer-satisfaction (CSAT) score.
pub const CSAT_MIN: i64 = 1;
/// The highest customer-satisfaction (CSAT) score.
pub const CSAT_MAX: i64 = 5;
/// The lowest net-promoter (NPS) answer ("how likely are you to recommend us", 0 to 10).
pub const NPS_MIN: i64 = 0;
/// The highest net-promoter (NPS) answer.
pub const NPS_MAX: i64 = 10;

/// Who started the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The customer contacted the organisation.
    Inbound,
    /// The organisation contacted the customer.
    Outbound,
}

impl Direction {
    /// The snake_case name used in JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a contact ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionOutcome {
    /// The customer's matter was resolved in this one contact (one-touch resolution).
    ResolvedFirstContact,
    /// Handed to another queue or person who took over while the contact stayed open.
    TransferredWarm,
    /// Handed over by ending the contact and passing the case on (the customer waits again).
    TransferredCold,
    /// The contact ended before anybody answered it (the caller hung up in the queue).
    Abandoned,
    /// The contact ended with something still to do (a callback, a visit, a reply).
    FollowUpNeeded,
}

impl InteractionOutcome {
    /// The snake_case name used in JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            InteractionOutcome::ResolvedFirstContact => "resolved_first_contact",
            InteractionOutcome::TransferredWarm => "transferred_warm",
            InteractionOutcome::TransferredCold => "transferred_cold",
            InteractionOutcome::Abandoned => "abandoned",
            InteractionOutcome::FollowUpNeeded => "follow_up_needed",
        }
    }

    /// True for a warm or a cold transfer.
    pub fn is_transfer(self) -> bool {
        matches!(
            self,
            InteractionOutcome::TransferredWarm | InteractionOutcome::TransferredCold
        )
    }
}

impl fmt::Display for InteractionOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the customer said about the contact, when asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    /// Customer satisfaction, [`CSAT_MIN`] (very dissatisfied) to [`CSAT_MAX`] (very satisfied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<i64>,
    /// Likelihood to recommend, [`NPS_MIN`] to [`NPS_MAX`]: 9 and 10 are promoters, 7 and 8
    /// passives, 0 to 6 detractors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<i64>,
}

impl Feedback {
    /// No feedback given.
    pub fn is_empty(&self) -> bool {
        self.csat.is_none() && self.nps.is_none()
    }

    /// Checks both scores against their scales.
    pub fn validate(&self) -> Result<()> {
        if let Some(c) = self.csat
            && !(CSAT_MIN..=CSAT_MAX).contains(&c)
        {
            return Err(Error::validation(
                "feedback csat",
                c,
                format!("must be between {CSAT_MIN} and {CSAT_MAX}"),
            ));
        }
        if let Some(n) = self.nps
            && !(NPS_MIN..=NPS_MAX).contains(&n)
        {
            return Err(Error::validation(
                "feedback nps",
                n,
                format!("must be between {NPS_MIN} and {NPS_MAX}"),
            ));
        }
        Ok(())
    }
}

/// One contact with a customer.
///
/// Times: `started_at` is when the contact began (a call entered the queue, an e-mail
/// arrived, the organisation dialled); `answered_at` when a person or bot of the organisation
/// took it up (for an outbound contact: when the customer was reached); `ended_at` when it
/// ended. `answered_at` and `ended_at` are `None` while that has not happened yet: an
/// interaction may be recorded while it is still open.
///
/// See [`Interaction::validate`] for the rules a record keeps.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interaction {
    /// The host's id.
    pub id: InteractionId,
    /// The customer.
    pub customer: CustomerId,
    /// The channel of the contact.
    pub channel: Channel,
    /// Who started it.
    pub direction: Direction,
    /// What an outbound contact is for (service or marketing): decides which consent it
    /// needs. Required for outbound contacts; informational for inbound ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    /// What it was about, e.g. `complaint`: the interaction kind the process catalog maps to
    /// a process definition. Follows the rules of ids.
    pub kind: String,
    /// When the contact began.
    pub started_at: Instant,
    /// When the organisation took it up (or, outbound, reached the customer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<Instant>,
    /// When it ended; `None` while open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Instant>,
    /// What was said and done, as written by whoever handled it. May hold personal data.
    pub summary: String,
    /// Who handled it (an employee, a bot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performer: Option<ActorId>,
    /// The queue it came through, e.g. `first_line`. Follows the rules of ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// The sentiment the host measured, from -1 (negative) to 1 (positive), exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Decimal>,
    /// What the customer said about it.
    #[serde(default, skip_serializing_if = "Feedback::is_empty")]
    pub feedback: Feedback,
    /// How it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<InteractionOutcome>,
    /// The process instance it started or advanced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<InstanceId>,
    /// The commitments made or touched in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commitments: Vec<CommitmentId>,
}

impl fmt::Debug for Interaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interaction")
            .field("id", &self.id)
            .field("customer", &self.customer)
            .field("channel", &self.channel)
            .field("direction", &self.direction)
            .field("purpose", &self.purpose)
            .field("kind", &self.kind)
            .field("started_at", &self.started_at)
            .field("answered_at", &self.answered_at)
            .field("ended_at", &self.ended_at)
            .field(
                "summary",
                &format_args!("<redacted: {} bytes>", self.summary.len()),
            )
            .field("performer", &self.performer)
            .field("queue", &self.queue)
            .field("sentiment", &self.sentiment)
            .field("feedback", &self.feedback)
            .field("outcome", &self.outcome)
            .field("process", &self.process)
            .field("commitments", &self.commitments)
            .finish()
    }
}

fn rfc(at: Instant) -> String {
    at.to_rfc3339()
}

impl Interaction {
    /// Checks the record. Each rule broken is a [`Error::Validation`] naming the field:
    ///
    /// - `kind` and `queue` follow the rules of ids; `summary` is non-blank free text of at
    ///   most [`crate::party::MAX_TEXT_LEN`] bytes without control characters;
    /// - `answered_at` and `ended_at` are not before `started_at`; `ended_at` is not before
    ///   `answered_at`;
    /// - `sentiment` lies in -1..=1; `feedback` scores lie on their scales;
    /// - an outbound contact states its `purpose`;
    /// - outcome `abandoned` means ended and never answered, and an inbound contact that
    ///   ended unanswered has outcome `abandoned` (so every finished inbound contact is
    ///   either answered or abandoned);
    /// - no commitment is listed twice.
    pub fn validate(&self) -> Result<()> {
        validate_id("interaction kind", &self.kind)?;
        validate_personal_text("interaction summary", &self.summary, true)?;
        if let Some(q) = &self.queue {
            validate_id("queue", q)?;
        }
        if let Some(a) = self.answered_at
            && a < self.started_at
        {
            return Err(Error::validation(
                "answered_at",
                rfc(a),
                format!(
                    "is before the interaction started ({})",
                    rfc(self.started_at)
                ),
            ));
        }
        if let Some(e) = self.ended_at {
            if e < self.started_at {
                return Err(Error::validation(
                    "ended_at",
                    rfc(e),
                    format!(
                        "is before the interaction started ({})",
                        rfc(self.started_at)
                    ),
                ));
            }
            if let Some(a) = self.answered_at
                && e < a
            {
                return Err(Error::validation(
                    "ended_at",
                    rfc(e),
                    format!("is before the interaction was answered ({})", rfc(a)),
                ));
            }
        }
        if let Some(s) = self.sentiment
            && !(-Decimal::ONE..=Decimal::ONE).contains(&s)
        {
            return Err(Error::validation(
                "sentiment",
                s,
                "must be between -1 and 1",
            ));
        }
        self.feedback.validate()?;
        if self.direction == Direction::Outbound && self.purpose.is_none() {
            return Err(Error::validation(
                "purpose",
                "none",
                "an outbound contact must state its purpose (service or marketing)",
            ));
        }
        if self.outcome == Some(InteractionOutcome::Abandoned) {
            if let Some(a) = self.answered_at {
                return Err(Error::validation(
                    "outcome",
                    InteractionOutcome::Abandoned,
                    format!("the contact was answered at {}", rfc(a)),
                ));
            }
            if self.ended_at.is_none() {
                return Err(Error::validation(
                    "outcome",
                    InteractionOutcome::Abandoned,
                    "an abandoned contact must have ended (ended_at)",
                ));
            }
        }
        if self.direction == Direction::Inbound
            && self.ended_at.is_some()
            && self.answered_at.is_none()
            && self.outcome != Some(InteractionOutcome::Abandoned)
        {
            return Err(Error::validation(
                "outcome",
                self.outcome.map_or("none", InteractionOutcome::as_str),
                "an inbound contact that ended without an answer must have outcome abandoned",
            ));
        }
        let mut seen = BTreeSet::new();
        for c in &self.commitments {
            if !seen.insert(c) {
                return Err(Error::validation("commitments", c, "listed twice"));
            }
        }
        Ok(())
    }

    /// True while the contact has not ended.
    pub fn is_open(&self) -> bool {
        self.ended_at.is_none()
    }

    /// True once the organisation took the contact up (outbound: reached the customer).
    pub fn is_answered(&self) -> bool {
        self.answered_at.is_some()
    }

    /// True for an inbound contact that ended before anybody answered it.
    pub fn is_abandoned(&self) -> bool {
        self.direction == Direction::Inbound
            && self.answered_at.is_none()
            && self.ended_at.is_some()
    }

    /// How long the customer waited for an answer (`answered_at - started_at`), once answered.
    pub fn wait(&self) -> Option<chrono::TimeDelta> {
        self.answered_at.map(|a| a - self.started_at)
    }

    /// How long the contact was handled (`ended_at - answered_at`), once answered and ended.
    pub fn handling(&self) -> Option<chrono::TimeDelta> {
        match (self.answered_at, self.ended_at) {
            (Some(a), Some(e)) => Some(e - a),
            _ => None,
        }
    }
}

/// Refuses an outbound contact the customer did not agree to, on the interaction's channel:
///
/// - an inbound contact needs no consent;
/// - an outbound **marketing** contact needs the customer's marketing consent on that channel
///   ([`Customer::has_consent`]: a pair not listed is not consented);
/// - an outbound **service** contact (a notice, a reminder, a callback) rests on the
///   agreement and needs no opt-in, but an explicit refusal of service contacts on that
///   channel (a grant with `granted: false`) is respected.
///
/// Errors: the customer is not the interaction's (validation); an outbound contact without a
/// purpose (validation); a contact without the consent it needs
/// ([`Error::ConsentRequired`]).
pub fn check_outbound_consent(customer: &Customer, interaction: &Interaction) -> Result<()> {
    if customer.id != interaction.customer {
        return Err(Error::validation(
            "customer",
            &customer.id,
            format!(
                "interaction {} is with customer {}",
                interaction.id, interaction.customer
            ),
        ));
    }
    if interaction.direction == Direction::Inbound {
        return Ok(());
    }
    let Some(purpose) = interaction.purpose else {
        return Err(Error::validation(
            "purpose",
            "none",
            "an outbound contact must state its purpose (service or marketing)",
        ));
    };
    let channel = interaction.channel;
    let allowed = match purpose {
        Purpose::Marketing => customer.has_consent(Purpose::Marketing, channel),
        Purpose::Service => !customer
            .consents
            .iter()
            .any(|c| c.purpose == Purpose::Service && c.channel == channel && !c.granted),
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::ConsentRequired {
            what: format!(
                "outbound {purpose} contact {} on {channel} with customer {}",
                interaction.id, customer.id
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::party::{ConsentGrant, MAX_TEXT_LEN};

    fn at(s: &str) -> Instant {
        s.parse().unwrap()
    }

    fn call() -> Interaction {
        Interaction {
            id: InteractionId::new("I-1").unwrap(),
            customer: CustomerId::new("C-1").unwrap(),
            channel: Channel::Phone,
            direction: Direction::Inbound,
            purpose: None,
            kind: "complaint".into(),
            started_at: at("2026-03-02T09:00:00Z"),
            answered_at: Some(at("2026-03-02T09:00:30Z")),
            ended_at: Some(at("2026-03-02T09:05:30Z")),
            summary: "Phone broken; new address is 12 Elm Street".into(),
            performer: Some(ActorId::new("agent-7").unwrap()),
            queue: Some("first_line".into()),
            sentiment: Some(Decimal::new(-25, 2)),
            feedback: Feedback {
                csat: Some(4),
                nps: Some(9),
            },
            outcome: Some(InteractionOutcome::ResolvedFirstContact),
            process: None,
            commitments: vec![],
        }
    }

    fn customer(consents: Vec<ConsentGrant>) -> Customer {
        Customer {
            id: CustomerId::new("C-1").unwrap(),
            name: "Ada".into(),
            contact_points: vec![],
            consents,
        }
    }

    fn refused(i: &Interaction, field: &str) {
        match i.validate() {
            Err(Error::Validation { field: f, .. }) => assert_eq!(f, field, "{i:?}"),
            other => panic!("expected a validation error on {field}, got {other:?}"),
        }
    }

    #[test]
    fn a_good_call_validates_and_measures_its_times() {
        let i = call();
        i.validate().unwrap();
        assert_eq!(i.wait(), Some(chrono::TimeDelta::seconds(30)));
        assert_eq!(i.handling(), Some(chrono::TimeDelta::seconds(300)));
        assert!(i.is_answered() && !i.is_abandoned() && !i.is_open());
    }

    #[test]
    fn the_summary_never_reaches_debug_output() {
        let dbg = format!("{:?}", call());
        assert!(!dbg.contains("Elm Street"), "{dbg}");
        assert!(dbg.contains("<redacted: 42 bytes>"), "{dbg}");
    }

    #[test]
    fn json_uses_stable_snake_case_tags_and_round_trips() {
        let mut i = call();
        i.outcome = Some(InteractionOutcome::TransferredWarm);
        i.channel = Channel::MessagingApp;
        i.commitments = vec![CommitmentId::new("CM-1").unwrap()];
        let json = serde_json::to_string(&i).unwrap();
        for tag in [
            r#""channel":"messaging_app""#,
            r#""direction":"inbound""#,
            r#""outcome":"transferred_warm""#,
            r#""sentiment":"-0.25""#,
            r#""feedback":{"csat":4,"nps":9}"#,
        ] {
            assert!(json.contains(tag), "{tag} in {json}");
        }
        let back: Interaction = serde_json::from_str(&json).unwrap();
        assert_eq!(back, i);
        // Optional fields are left out, and unknown fields are refused.
        let mut bare = call();
        bare.feedback = Feedback::default();
        bare.sentiment = None;
        let json = serde_json::to_string(&bare).unwrap();
        assert!(
            !json.contains("feedback") && !json.contains("sentiment"),
            "{json}"
        );
        let extra = json.replacen('{', r#"{"mood":"ok","#, 1);
        assert!(serde_json::from_str::<Interaction>(&extra).is_err());
    }

    #[test]
    fn every_bad_field_is_a_typed_validation_error() {
        let mut i = call();
        i.ended_at = Some(at("2026-03-02T08:59:00Z"));
        refused(&i, "ended_at");
        let mut i = call();
        i.ended_at = Some(at("2026-03-02T09:00:10Z"));
        refused(&i, "ended_at");
        let mut i = call();
        i.answered_at = Some(at("2026-03-02T08:00:00Z"));
        refused(&i, "answered_at");
        for s in [Decimal::new(101, 2), Decimal::new(-1001, 3)] {
            let mut i = call();
            i.sentiment = Some(s);
            refused(&i, "sentiment");
        }
        for s in [Decimal::ONE, -Decimal::ONE, Decimal::ZERO] {
            let mut i = call();
            i.sentiment = Some(s);
            i.validate().unwrap();
        }
        for c in [0, 6, -1] {
            let mut i = call();
            i.feedback.csat = Some(c);
            refused(&i, "feedback csat");
        }
        for n in [-1, 11] {
            let mut i = call();
            i.feedback.nps = Some(n);
            refused(&i, "feedback nps");
        }
        let mut i = call();
        i.summary = " ".into();
        refused(&i, "interaction summary");
        let mut i = call();
        i.summary = "x".repeat(MAX_TEXT_LEN + 1);
        refused(&i, "interaction summary");
        let mut i = call();
        i.kind = String::new();
        refused(&i, "interaction kind");
        let mut i = call();
        i.queue = Some(" first_line".into());
        refused(&i, "queue");
        let mut i = call();
        i.direction = Direction::Outbound;
        refused(&i, "purpose");
        let mut i = call();
        i.outcome = Some(InteractionOutcome::Abandoned);
        refused(&i, "outcome");
        let mut i = call();
        i.answered_at = None;
        refused(&i, "outcome");
        i.outcome = Some(InteractionOutcome::Abandoned);
        i.validate().unwrap();
        assert!(i.is_abandoned());
        i.ended_at = None;
        refused(&i, "outcome");
        let mut i = call();
        let cm = CommitmentId::new("CM-1").unwrap();
        i.commitments = vec![cm.clone(), cm];
        refused(&i, "commitments");
    }

    #[test]
    fn messages_are_the_documented_ones() {
        let msg = |i: &Interaction| i.validate().unwrap_err().to_string();
        let mut i = call();
        i.sentiment = Some(Decimal::new(15, 1));
        assert_eq!(
            msg(&i),
            r#"invalid sentiment: must be between -1 and 1 (got "1.5")"#
        );
        let mut i = call();
        i.feedback.csat = Some(6);
        assert_eq!(
            msg(&i),
            r#"invalid feedback csat: must be between 1 and 5 (got "6")"#
        );
        let mut i = call();
        i.feedback.nps = Some(11);
        assert_eq!(
            msg(&i),
            r#"invalid feedback nps: must be between 0 and 10 (got "11")"#
        );
        let mut i = call();
        i.answered_at = None;
        i.outcome = None;
        assert_eq!(
            msg(&i),
            r#"invalid outcome: an inbound contact that ended without an answer must have outcome abandoned (got "none")"#
        );
        let mut i = call();
        i.direction = Direction::Outbound;
        assert_eq!(
            msg(&i),
            r#"invalid purpose: an outbound contact must state its purpose (service or marketing) (got "none")"#
        );
    }

    #[test]
    fn open_contacts_are_allowed() {
        let mut i = call();
        i.ended_at = None;
        i.outcome = None;
        i.validate().unwrap();
        assert!(i.is_open() && i.handling().is_none());
        i.answered_at = None;
        i.validate().unwrap();
        assert!(!i.is_abandoned() && i.wait().is_none());
    }

    fn outbound(purpose: Purpose, channel: Channel) -> Interaction {
        let mut i = call();
        i.direction = Direction::Outbound;
        i.purpose = Some(purpose);
        i.channel = channel;
        i
    }

    #[test]
    fn outbound_marketing_needs_consent_on_the_channel() {
        let grant = |purpose, channel, granted| ConsentGrant {
            purpose,
            channel,
            granted,
        };
        let c = customer(vec![grant(Purpose::Marketing, Channel::Email, true)]);
        check_outbound_consent(&c, &outbound(Purpose::Marketing, Channel::Email)).unwrap();
        let err =
            check_outbound_consent(&c, &outbound(Purpose::Marketing, Channel::Phone)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConsentRequired);
        assert_eq!(
            err.to_string(),
            "outbound marketing contact I-1 on phone with customer C-1 needs the customer's consent"
        );
        // A refused marketing consent is no consent either.
        let c = customer(vec![grant(Purpose::Marketing, Channel::Email, false)]);
        assert!(check_outbound_consent(&c, &outbound(Purpose::Marketing, Channel::Email)).is_err());
        // Service contacts need no opt-in, but an explicit refusal holds.
        let c = customer(vec![grant(Purpose::Service, Channel::Phone, false)]);
        check_outbound_consent(&c, &outbound(Purpose::Service, Channel::Email)).unwrap();
        let err =
            check_outbound_consent(&c, &outbound(Purpose::Service, Channel::Phone)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConsentRequired);
        // Inbound contacts need no consent.
        check_outbound_consent(&customer(vec![]), &call()).unwrap();
    }

    #[test]
    fn consent_is_checked_for_the_right_customer_and_a_stated_purpose() {
        let mut other = customer(vec![]);
        other.id = CustomerId::new("C-2").unwrap();
        let err = check_outbound_consent(&other, &call()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation);
        let mut i = outbound(Purpose::Service, Channel::Phone);
        i.purpose = None;
        let err = check_outbound_consent(&customer(vec![]), &i).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation);
    }
}
