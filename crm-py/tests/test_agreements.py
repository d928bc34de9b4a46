"""Parties, catalog, agreements, amendments, line moves, exceptions and commitments."""

from __future__ import annotations

import pytest

import crm_core
from crm_core import (
    Channel, CommitmentState, LineStatus, PartnerKind, Purpose, commands, events, records,
)
from _world import create_agreement, meta, t, world


def test_customers_partners_consent() -> None:
    crm = world()
    crm.execute(meta("2026-01-02T09:00:00Z"), commands.UpdateCustomer(
        customer="C1", name="Ada L.",
        contact_points=[records.ContactPoint(channel=Channel.PHONE, address="+49 30 1234")]))
    crm.execute(meta("2026-01-02T09:01:00Z"), commands.SetConsent(
        customer="C1",
        grant=records.ConsentGrant(purpose=Purpose.MARKETING, channel=Channel.EMAIL, granted=False)))
    c = crm.customer("C1")
    assert c.name == "Ada L." and c.contact_points[0].channel is Channel.PHONE
    assert c.consents == [records.ConsentGrant(purpose=Purpose.MARKETING, channel=Channel.EMAIL,
                                               granted=False)]
    [e] = crm.execute(meta("2026-01-02T09:02:00Z"), commands.RegisterPartner(
        partner=records.Partner(id="TRAVEL-AG", name="Sunny Travel", kind=PartnerKind.AGENT)))
    assert isinstance(e.event, events.PartnerRegistered)
    assert e.event.partner.kind is PartnerKind.AGENT and e.stream == "partner/TRAVEL-AG"


def test_agreement_lines_amendments_and_history() -> None:
    crm = world()
    a = crm.agreement("A1")
    assert a.customer == "C1" and a.term.start.isoformat() == "2026-01-01"
    assert a.lines[0].history[-1].status is LineStatus.ACTIVE
    assert [e.code for e in a.entitlements] == ["device_replacement", "support"]
    assert crm.agreements_of("C1") == [a]
    # an illegal move is typed and changes nothing
    before = crm.state_json()
    with pytest.raises(crm_core.InvalidTransitionError) as bad:
        crm.execute(meta("2026-01-05T09:00:00Z"),
                    commands.ChangeLineStatus(agreement="A1", line="L1", action="install"))
    assert (bad.value.state, bad.value.action) == ("active", "install")
    # a change of what the customer gets needs consent
    more = [records.AmendmentChange("change_quantity", line="L1", quantity=2)]
    with pytest.raises(crm_core.ConsentRequiredError):
        crm.execute(meta("2026-02-01T12:00:00Z"),
                    commands.AmendAgreement(agreement="A1", changes=more, reason="family"))
    assert crm.state_json() == before
    crm.execute(meta("2026-02-01T12:00:00Z"), commands.AmendAgreement(
        agreement="A1", changes=more, reason="family",
        consent=records.Consent(channel=Channel.CUSTOMER_APP, at=t("2026-02-01T11:59:00Z"))))
    now = crm.agreement("A1")
    assert now.lines[0].quantity == 2 and now.revision == 2
    assert now.amendments[-1].changes[0].get("previous") == 1
    [change] = now.amendments[-1].changes
    assert isinstance(change, records.AppliedChange)
    assert (change.type, change.line, change.quantity, change.previous) == (
        "change_quantity", "L1", 2, 1)
    crm.execute(meta("2026-02-01T12:30:00Z"), commands.AmendAgreement(
        agreement="A1", reason="new device", changes=[
            records.AmendmentChange("add_line", line=records.NewLine(
                id="L2", offering="MOBILE", quantity=1)),
            records.AmendmentChange("set_note", note="VIP")],
        consent=records.Consent(channel=Channel.BRANCH, at=t("2026-02-01T12:30:00Z"))))
    added, note = crm.agreement("A1").amendments[-1].changes
    assert (added.type, added.line["id"], [e.code for e in added.entitlements]) == (
        "add_line", "L2", ["device_replacement", "support"])
    assert (note.note, note.previous) == ("VIP", "")
    from _typed import typed
    assert "AppliedChange" in typed(crm.agreement("A1"))
    assert crm.agreement_as_of("A1", t("2026-01-15T00:00:00Z")).lines[0].quantity == 1
    # a move dated in the future is scheduled
    crm.execute(meta("2026-02-02T09:00:00Z"), commands.ChangeLineStatus(
        agreement="A1", line="L1", action="suspend", effective_at=t("2026-03-01T00:00:00Z")))
    assert crm.agreement_as_of("A1", t("2026-02-15T00:00:00Z")).lines[0].history[-1].status \
        is LineStatus.ACTIVE
    assert crm.agreement("A1").lines[0].history[-1].status is LineStatus.SUSPENDED


def test_exceptions_and_commitments() -> None:
    crm = world()
    customer = records.PartyRef("customer", customer="C1")
    crm.execute(meta("2026-02-02T09:00:00Z"), commands.MakeCommitment(
        commitment=records.NewCommitment(
            id="LOAN-RETURN-1", customer="C1", agreement="A1", description="return the loan device",
            made_by=customer, responsible=customer, due_at=t("2026-02-16T17:00:00Z"))))
    scope = records.ExceptionScope("commitment", commitment="LOAN-RETURN-1")
    crm.execute(meta("2026-02-15T10:00:00Z", actor="supervisor-3"), commands.ApproveException(
        exception=records.Exception(
            id="EXT-1", customer="C1", agreement="A1", scope=scope,
            effect=records.ExceptionEffect("extend", until=t("2026-03-02T17:00:00Z")),
            approved_by="supervisor-3", reason="repair delayed by the vendor",
            valid_from=t("2026-02-15T10:00:00Z"), valid_to=t("2026-03-02T17:00:00Z"))))
    [x] = crm.exceptions_covering("C1", scope, t("2026-02-20T00:00:00Z"), agreement="A1")
    assert x.id == "EXT-1" and x.effect.type == "extend" and x.revoked is None
    assert crm.overdue_commitments(t("2026-02-17T00:00:00Z"))[0].id == "LOAN-RETURN-1"
    crm.execute(meta("2026-02-21T10:00:00Z"),
                commands.RevokeException(exception="EXT-1", reason="device found"))
    assert crm.exceptions_covering("C1", scope, t("2026-02-22T00:00:00Z")) == []
    crm.execute(meta("2026-02-22T10:00:00Z"), commands.KeepCommitment(commitment="LOAN-RETURN-1"))
    [c] = crm.commitments_of("C1")
    assert c.state is CommitmentState.KEPT and c.closed_at == t("2026-02-22T10:00:00Z")
    assert c.made_by == customer
    with pytest.raises(crm_core.InvalidTransitionError):
        crm.execute(meta("2026-02-23T10:00:00Z"),
                    commands.BreakCommitment(commitment="LOAN-RETURN-1", reason="late"))
    for n, (cmd, state) in enumerate([(commands.BreakCommitment, CommitmentState.BROKEN),
                                      (commands.CancelCommitment, CommitmentState.CANCELLED)]):
        crm.execute(meta("2026-02-24T10:00:00Z"), commands.MakeCommitment(
            commitment=records.NewCommitment(
                id=f"CB-{n}", customer="C1", description="call back",
                made_by=records.PartyRef("employee", employee="agent-7"),
                responsible=records.PartyRef("organisation", unit="back office"),
                due_at=t("2026-02-26T17:00:00Z"))))
        crm.execute(meta("2026-02-27T10:00:00Z"), cmd(commitment=f"CB-{n}", reason="no time"))
        assert [x.state for x in crm.commitments_of("C1") if x.id == f"CB-{n}"] == [state]


def test_bad_input_for_agreements() -> None:
    crm = world()
    before = crm.state_json()
    with pytest.raises(crm_core.NotFoundError):
        crm.execute(meta("2026-01-02T09:00:00Z"), create_agreement("A2", customer="C-404"))
    with pytest.raises(crm_core.AlreadyExistsError):
        crm.execute(meta("2026-01-02T09:00:00Z"), create_agreement("A1"))
    with pytest.raises(crm_core.JsonError):
        records.NewLine(id="L2", offering="MOBILE", quantity=-1)
    with pytest.raises(crm_core.NotFoundError):
        crm.agreement("A-404")
    with pytest.raises(crm_core.JsonError):
        records.ExceptionScope("galaxy")
    assert crm.state_json() == before
