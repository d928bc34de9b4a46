//! Parties: customers (with contact points and consent) and channel partners.

use crate::Instant;
use crate::error::{Error, Result};
use crate::ids::{CustomerId, PartnerId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest name or free text accepted, in bytes.
pub const MAX_TEXT_LEN: usize = 4096;

/// The most contact points a customer may have.
pub const MAX_CONTACT_POINTS: usize = 100;

/// Checks a free-text field: at most [`MAX_TEXT_LEN`] bytes, no control characters other than
/// line breaks and tabs; `required` refuses an empty (or blank) text.
pub fn validate_text(field: &str, value: &str, required: bool) -> Result<()> {
    if required && value.trim().is_empty() {
        return Err(Error::validation(field, value, "must not be empty"));
    }
    if value.len() > MAX_TEXT_LEN {
        return Err(Error::validation(
            field,
            value,
            format!("must be at most {MAX_TEXT_LEN} bytes long"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(Error::validation(
            field,
            value.escape_default(),
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Checks a text that is personal data (a name, an address, a contact's summary) like
/// [`validate_text`]; a refusal carries the text's length instead of the text, because error
/// messages end up in logs.
pub fn validate_personal_text(field: &str, value: &str, required: bool) -> Result<()> {
    validate_text(field, value, required).map_err(|e| match e {
        Error::Validation { field, reason, .. } => Error::Validation {
            field,
            value: format!("<redacted: {} bytes>", value.len()),
            reason,
        },
        other => other,
    })
}

/// A channel on which the organisation and a customer meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A telephone call.
    Phone,
    /// E-mail.
    Email,
    /// Web or in-app chat with a person.
    Chat,
    /// A messaging app (WhatsApp, Telegram, SMS ...).
    MessagingApp,
    /// The organisation's own customer app.
    CustomerApp,
    /// The web site (self service).
    Web,
    /// A branch, shop or office visited in person.
    Branch,
    /// Through a channel partner (agent, dealer, reseller).
    Partner,
    /// An automated assistant.
    Bot,
}

impl Channel {
    /// The snake_case name used in JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Email => "email",
            Channel::Chat => "chat",
            Channel::MessagingApp => "messaging_app",
            Channel::CustomerApp => "customer_app",
            Channel::Web => "web",
            Channel::Branch => "branch",
            Channel::Partner => "partner",
            Channel::Bot => "bot",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a contact is for, as far as consent is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Contacts needed to serve the customer (notices, reminders, callbacks).
    Service,
    /// Marketing contacts (offers, campaigns).
    Marketing,
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Purpose::Service => "service",
            Purpose::Marketing => "marketing",
        })
    }
}

/// An address of a customer on one channel (a phone number, an e-mail address).
///
/// Its `Debug` output redacts the address, and so does a validation error about it, so contact
/// details never reach logs by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPoint {
    /// The channel.
    pub channel: Channel,
    /// The address on that channel.
    pub address: String,
}

impl fmt::Debug for ContactPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContactPoint")
            .field("channel", &self.channel)
            .field("address", &"<redacted>")
            .finish()
    }
}

/// The customer's consent to be contacted for a purpose on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentGrant {
    /// What the contacts are for.
    pub purpose: Purpose,
    /// On which channel.
    pub channel: Channel,
    /// Whether the customer agreed.
    pub granted: bool,
}

/// Evidence that the customer agreed to something: on which channel and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The channel on which the customer agreed (a signature in a branch, a click in the app).
    pub channel: Channel,
    /// When the customer agreed.
    pub at: Instant,
}

/// A customer of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The host's id.
    pub id: CustomerId,
    /// The customer's display name (a person or a business).
    pub name: String,
    /// Addresses per channel.
    #[serde(default)]
    pub contact_points: Vec<ContactPoint>,
    /// Consent per purpose and channel; a pair not listed is not consented.
    #[serde(default)]
    pub consents: Vec<ConsentGrant>,
}

impl Customer {
    /// Checks names, addresses (at most [`MAX_CONTACT_POINTS`]) and that no purpose/channel
    /// pair is listed twice.
    pub fn validate(&self) -> Result<()> {
        validate_personal_text("customer name", &self.name, true)?;
        if self.contact_points.len() > MAX_CONTACT_POINTS {
            return Err(Error::validation(
                "contact_points",
                self.contact_points.len(),
                format!("a customer has at most {MAX_CONTACT_POINTS} contact points"),
            ));
        }
        for cp in &self.contact_points {
            validate_personal_text("contact address", &cp.address, true)?;
        }
        for (i, a) in self.consents.iter().enumerate() {
            if self
                .consents
                .iter()
                .skip(i + 1)
                .any(|b| a.purpose == b.purpose && a.channel == b.channel)
            {
                return Err(Error::validation(
                    "consents",
                    format!("{} on {}", a.purpose, a.channel),
                    "listed twice",
                ));
            }
        }
        Ok(())
    }

    /// Whether the customer consented to contacts for `purpose` on `channel`.
    pub fn has_consent(&self, purpose: Purpose, channel: Channel) -> bool {
        self.consents
            .iter()
            .any(|c| c.purpose == purpose && c.channel == channel && c.granted)
    }

    /// Sets (or replaces) the consent for a purpose on a channel.
    pub fn set_consent(&mut self, grant: ConsentGrant) {
        match self
            .consents
            .iter_mut()
            .find(|c| c.purpose == grant.purpose && c.channel == grant.channel)
        {
            Some(c) => c.granted = grant.granted,
            None => self.consents.push(grant),
        }
    }
}

/// What kind of channel partner a partner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    /// An agent selling on the organisation's behalf (a travel agent, an insurance broker).
    Agent,
    /// A dealer.
    Dealer,
    /// A reseller.
    Reseller,
    /// A provider delivering part of the service (a carrier, a field-service company).
    ServiceProvider,
}

/// A channel partner: sells to customers or delivers part of the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    /// The host's id.
    pub id: PartnerId,
    /// The partner's name.
    pub name: String,
    /// What kind of partner.
    pub kind: PartnerKind,
}

impl Partner {
    /// Checks the name.
    pub fn validate(&self) -> Result<()> {
        validate_text("partner name", &self.name, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> Customer {
        Customer {
            id: CustomerId::new("C1").unwrap(),
            name: "Ada".into(),
            contact_points: vec![ContactPoint {
                channel: Channel::Email,
                address: "ada@example.org".into(),
            }],
            consents: vec![ConsentGrant {
                purpose: Purpose::Marketing,
                channel: Channel::Email,
                granted: true,
            }],
        }
    }

    #[test]
    fn contact_details_are_redacted_from_debug() {
        let dbg = format!("{:?}", customer());
        assert!(!dbg.contains("ada@example.org"), "{dbg}");
        assert!(dbg.contains("<redacted>"));
    }

    #[test]
    fn consent_is_per_purpose_and_channel() {
        let mut c = customer();
        assert!(c.has_consent(Purpose::Marketing, Channel::Email));
        assert!(!c.has_consent(Purpose::Marketing, Channel::Phone));
        c.set_consent(ConsentGrant {
            purpose: Purpose::Marketing,
            channel: Channel::Email,
            granted: false,
        });
        assert!(!c.has_consent(Purpose::Marketing, Channel::Email));
        assert_eq!(c.consents.len(), 1);
    }

    #[test]
    fn bad_customers_are_refused() {
        let mut c = customer();
        c.name = "  ".into();
        assert!(c.validate().is_err());
        let mut c = customer();
        c.consents.push(c.consents[0]);
        assert!(c.validate().is_err());
        let mut c = customer();
        c.name = "x".repeat(MAX_TEXT_LEN + 1);
        assert!(c.validate().is_err());
        let mut c = customer();
        c.contact_points = vec![c.contact_points[0].clone(); MAX_CONTACT_POINTS + 1];
        let e = c.validate().unwrap_err();
        assert!(e.to_string().contains("at most 100 contact points"), "{e}");
        c.contact_points.truncate(MAX_CONTACT_POINTS);
        assert!(c.validate().is_ok());
    }
}
