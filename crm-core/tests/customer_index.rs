//! The per-customer index (issue #10): with many customers, a check and the customer queries
//! look at one customer's agreements and exceptions, not everyone's, and answer exactly what a
//! scan of all answers, before and after replay and for a state read back from JSON.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod entitlement_support;

use crm_core::agreement::ExceptionScope;
use crm_core::engine::CrmState;
use crm_core::entitlement::EntitlementRequest;
use crm_core::party::Channel;
use crm_core::*;
use entitlement_support::*;

/// 40 customers (more than the scan threshold), each with two agreements of one line
/// (ids interleaved across customers) and, for every second customer, an exception.
fn crowded() -> Crm {
    let mut crm = engine();
    for c in 0..40 {
        let cid = format!("K{c:02}");
        add_customer_with_line(&mut crm, &cid, &format!("B0-{c:02}"));
        add_agreement_with_line(&mut crm, &cid, &format!("B1-{c:02}"));
        if c % 2 == 0 {
            let mut x = allow(
                &format!("X{c:02}"),
                &format!("B0-{c:02}-L.device_replacement"),
                Some("1"),
                "2026-01-01T00:00:00Z",
                None,
            );
            x.customer = CustomerId::new(cid.clone()).unwrap();
            x.agreement = Some(AgreementId::new(format!("B0-{c:02}")).unwrap());
            approve(&mut crm, x, "2026-01-02T00:00:00Z");
        }
    }
    crm
}

fn scanned<'a>(state: &'a CrmState, c: &CustomerId) -> Vec<&'a AgreementId> {
    state
        .agreements
        .values()
        .filter(|a| &a.customer == c)
        .map(|a| &a.id)
        .collect()
}

#[test]
fn a_customers_agreements_and_exceptions_come_from_the_index_in_id_order() {
    let crm = crowded();
    let state = crm.state();
    assert!(state.agreements.len() > 40);
    for c in (0..40).map(|c| CustomerId::new(format!("K{c:02}")).unwrap()) {
        let indexed: Vec<&AgreementId> = state.agreements_of_customer(&c).map(|a| &a.id).collect();
        assert_eq!(indexed, scanned(state, &c));
        assert_eq!(indexed.len(), 2);
        let listed: Vec<&AgreementId> = crm
            .agreements_of(&c)
            .unwrap()
            .iter()
            .map(|a| &a.id)
            .collect();
        assert_eq!(listed, indexed);
        let xs: Vec<&ExceptionId> = state.exceptions_of_customer(&c).map(|x| &x.id).collect();
        let xs_scan: Vec<&ExceptionId> = state
            .exceptions
            .values()
            .filter(|x| x.customer == c)
            .map(|x| &x.id)
            .collect();
        assert_eq!(xs, xs_scan);
    }
    let nobody = CustomerId::new("NOBODY").unwrap();
    assert_eq!(state.agreements_of_customer(&nobody).count(), 0);
}

#[test]
fn checks_answer_alike_from_the_index_a_replay_and_a_state_read_back() {
    let mut crm = crowded();
    // every customer uses the quota of 2 on its first agreement's line: a third is then
    // granted only to the customers with an exception
    for c in 0..40 {
        let cid = CustomerId::new(format!("K{c:02}")).unwrap();
        let mut r = EntitlementRequest::new(cid, "device_replacement", Channel::Branch);
        r.line = Some(LineId::new(format!("B0-{c:02}-L")).unwrap());
        for u in 0..2 {
            consume(
                &mut crm,
                &format!("U{c:02}-{u}"),
                &r,
                "2026-01-10T00:00:00Z",
            )
            .unwrap();
        }
    }
    let reopened = Crm::open(Box::new(
        InMemoryStore::from_events(crm.events().unwrap()).unwrap(),
    ))
    .unwrap();
    let mut read_back: CrmState = serde_json::from_str(&state_json(&crm)).unwrap();
    assert_eq!(&read_back, crm.state());
    let at = t("2026-02-01T00:00:00Z");
    for c in 0..40 {
        let cid = CustomerId::new(format!("K{c:02}")).unwrap();
        let mut r = EntitlementRequest::new(cid.clone(), "device_replacement", Channel::Branch);
        r.line = Some(LineId::new(format!("B0-{c:02}-L")).unwrap());
        let live = crm.check_entitlement(&r, at).unwrap();
        // the exception of every second customer is found (and only theirs)
        assert_eq!(live.is_granted(), c % 2 == 0, "customer {c}");
        assert_eq!(!live.exceptions.is_empty(), c % 2 == 0, "customer {c}");
        assert_eq!(crm.is_entitled(&r, at).unwrap(), live.is_granted());
        let scope = ExceptionScope::Entitlement {
            entitlement: EntitlementId::new(format!("B0-{c:02}-L.device_replacement")).unwrap(),
        };
        let agreement = AgreementId::new(format!("B0-{c:02}")).unwrap();
        let covering = crm
            .exceptions_covering(&cid, Some(&agreement), &scope, at)
            .unwrap();
        assert_eq!(covering.len(), usize::from(c % 2 == 0));
        assert_eq!(reopened.check_entitlement(&r, at).unwrap(), live);
        // a state read back from JSON answers by scanning (its index is not built)
        answers_alike(&read_back, crm.state(), &cid);
    }
    // and by its rebuilt index after `reindex`, alike
    read_back.reindex();
    for c in 0..40 {
        answers_alike(
            &read_back,
            crm.state(),
            &CustomerId::new(format!("K{c:02}")).unwrap(),
        );
    }
}

/// `a` lists the same agreements and exceptions of `cid` as `b`.
fn answers_alike(a: &CrmState, b: &CrmState, cid: &CustomerId) {
    let agreements = |s: &CrmState| -> Vec<AgreementId> {
        s.agreements_of_customer(cid)
            .map(|a| a.id.clone())
            .collect()
    };
    let exceptions = |s: &CrmState| -> Vec<ExceptionId> {
        s.exceptions_of_customer(cid)
            .map(|x| x.id.clone())
            .collect()
    };
    assert_eq!(agreements(a), agreements(b));
    assert_eq!(agreements(a).iter().collect::<Vec<_>>(), scanned(b, cid));
    assert_eq!(exceptions(a), exceptions(b));
}
