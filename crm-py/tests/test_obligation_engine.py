"""Story 3 of DOMAIN.md through the engine from Python: payment plans from the offering's
templates, charges, rated usage, late and partial payments, aging, reconciliation, the
collection ladder (reminder, restriction, and the stop once the debt is settled), reversals,
credits, adjustments, write-offs and the credit balance; bad input for each command leaves the
state unchanged."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import crm_core
from crm_core import (
    Channel,
    CollectionStepKind,
    Crm,
    DecisionOutcome,
    LineStatus,
    Money,
    commands,
    records,
)
from _world import meta, t


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


LADDER: dict[str, Any] = {
    "name": "standard",
    "scope": "account_wide",  # a restriction concerns every line: the debt is the account's
    "steps": [{"kind": "reminder", "after_days": 3},
              {"kind": "notice", "after_days": 10},
              {"kind": "restrict", "after_days": 21},
              {"kind": "handover", "after_days": 90}],
}


def story_3() -> Crm:
    """C3 buys a phone for 1,200.00 in 12 monthly installments and a 49.90 monthly plan (with
    rated data usage) on 2026-01-01; charges are generated up to 2026-03-31."""
    crm = Crm()
    at = "2026-01-01T08:00:00Z"
    crm.execute(meta(at), commands.RegisterCustomer(
        customer=records.Customer(id="C3", name="Customer C3")))
    crm.execute(meta(at), commands.AddOffering(offering=records.Offering(
        id="PHONE", name="Phone", kind=records.OfferingKind("physical_product"),
        payment_plans=[{"code": "installments", "payment_type": "sale",
                        "schedule": {"type": "installments", "total": eur("1200.00"),
                                     "count": 12, "every": {"type": "monthly"},
                                     "first_due_after_days": 14}}])))
    crm.execute(meta(at), commands.AddOffering(offering=records.Offering(
        id="PLAN", name="Service plan", kind=records.OfferingKind("service"),
        entitlements=[records.EntitlementTemplate(code="calls", kind={"type": "access"})],
        payment_plans=[
            {"code": "monthly", "payment_type": "service",
             "schedule": {"type": "recurring", "amount": eur("49.90"),
                          "every": {"type": "monthly"}}},
            {"code": "data", "payment_type": "consumption",
             "schedule": {"type": "usage", "every": {"type": "monthly"},
                          "rate": {"currency": "EUR", "rounding": "half_even",
                                   "tiers": [{"up_to": "10", "unit_price": "0"},
                                             {"up_to": None, "unit_price": "2.00"}]}}}])))
    crm.execute(meta(at), commands.RegisterCollectionPolicy(
        policy=records.CollectionPolicy(**LADDER)))
    crm.execute(meta("2026-01-01T10:00:00Z"), commands.CreateAgreement(
        agreement="A3", customer="C3", sold_through=records.SoldThrough("direct"),
        term=records.Term(start=date(2026, 1, 1)),
        lines=[records.NewLine(id="DEV", offering="PHONE", quantity=1),
               records.NewLine(id="SVC", offering="PLAN", quantity=1)],
        signature=records.Consent(channel=Channel.BRANCH, at=t("2026-01-01T10:00:00Z"))))
    for action in ("request_activation", "activate"):
        crm.execute(meta("2026-01-01T10:05:00Z"),
                    commands.ChangeLineStatus(agreement="A3", line="SVC", action=action))
    crm.execute(meta("2026-01-01T10:06:00Z"), commands.ChangeLineStatus(
        agreement="A3", line="DEV", action="install", asset="IMEI-1"))
    crm.execute(meta("2026-02-01T06:00:00Z"), commands.RecordRatedUsage(
        plan="SVC.data", period_start=date(2026, 1, 1), quantity=Decimal("12.5")))
    crm.execute(meta("2026-03-31T06:00:00Z"),
                commands.GenerateCharges(customer="C3", until=date(2026, 3, 31)))
    return crm


def pay(crm: Crm, pid: str, when: str, amount: str,
        allocation: records.AllocationRule | None = None) -> list[crm_core.Event]:
    return crm.execute(meta(when, actor="bank-import"), commands.RecordPayment(
        payment=records.Payment(id=pid, customer_id="C3", received_at=t(when),
                                amount=eur(amount), method="bank_transfer", reference=pid,
                                allocation=allocation)))


def test_story_3_plans_from_templates_charges_and_installments_summing_to_the_price() -> None:
    crm = story_3()
    ladder = crm.collection_policy("standard")
    assert isinstance(ladder, records.CollectionPolicy) and ladder.scope == "account_wide"
    assert [(s.kind, s.after_days) for s in ladder.steps] == [
        (CollectionStepKind(s["kind"]), s["after_days"]) for s in LADDER["steps"]]
    assert crm.ledger("C3") is not None
    plans = {p.id: p for p in crm.payment_plans_of("C3")}
    assert set(plans) == {"DEV.installments", "SVC.monthly", "SVC.data"}
    device = crm.payment_plan("DEV.installments")
    assert device == plans["DEV.installments"] and device.payment_type == "sale"
    # the plans' schedules are typed, instantiated from the templates on the day of the sale
    p = device.periodicity
    assert isinstance(p, records.Periodicity) and p.type == "installments"
    assert (p.total, p.count, p.every, p.first_due) == (
        eur("1200.00"), 12, records.Frequency("monthly"), date(2026, 1, 15))
    monthly = plans["SVC.monthly"].periodicity
    assert (monthly.type, monthly.amount, monthly.start, monthly.timing) == (
        "recurring", eur("49.90"), date(2026, 1, 1), "in_advance")
    rate = plans["SVC.data"].periodicity.rate
    assert rate is not None and rate.rounding is crm_core.Rounding.HALF_EVEN
    assert [(b.up_to, b.unit_price) for b in rate.tiers] == [
        (Decimal(10), Decimal(0)), (None, Decimal("2.00"))]
    assert plans["SVC.monthly"].suspended_billing == "bill"
    all_twelve = device.charges_until(date(2027, 12, 31))
    assert len(all_twelve) == 12
    assert sum((c.amount for c in all_twelve), Money.zero("EUR")) == eur("1200.00")
    statement = crm.statement("C3")
    by_plan: dict[str | None, list[records.ChargeEntry]] = {}
    for entry in statement.charges:
        by_plan.setdefault(entry.charge.plan_id, []).append(entry)
    # three installments (15 Jan, 15 Feb, 15 Mar), three months in advance, January's data
    assert [e.charge.due_date for e in by_plan["DEV.installments"]] == [
        date(2026, 1, 15), date(2026, 2, 15), date(2026, 3, 15)]
    assert [e.charge.amount for e in by_plan["SVC.monthly"]] == [eur("49.90")] * 3
    [data] = by_plan["SVC.data"]
    assert data.charge.amount == eur("5.00")  # 2.5 GB over the free 10 at 2.00
    assert data.charge.period == records.DateRange(start=date(2026, 1, 1), end=date(2026, 2, 1))
    assert statement.charged == eur("300.00") + eur("149.70") + eur("5.00")
    assert crm.balance("C3") == statement.charged
    assert statement.scope == records.Scope("customer")
    service = crm.statement("C3", records.Scope("line", line_id="SVC"))
    assert service.scope.line_id == "SVC" and service.charged == eur("154.70")
    assert crm.statement("C3", {"type": "plan", "plan_id": "DEV.installments"}).charged == eur(
        "300.00")
    with pytest.raises(crm_core.JsonError):
        records.Scope("line")  # a line scope names its line


def test_story_3_late_and_partial_payments_aging_reconciliation_and_collections() -> None:
    crm = story_3()
    pay(crm, "PAY-1", "2026-01-10T09:00:00Z", "154.90")   # January's in time (incl. data)
    pay(crm, "PAY-2", "2026-03-05T09:00:00Z", "149.90")   # February's, late
    pay(crm, "PAY-3", "2026-03-20T09:00:00Z", "80.00")    # March's, partial
    assert crm.balance("C3") == eur("69.90")
    aging = crm.aging("C3", date(2026, 4, 10))
    assert aging.overdue == eur("69.90") and aging.total_open == eur("69.90")
    assert aging.oldest_overdue_due_date is not None
    rec = crm.reconcile("C3", date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 10))
    assert not rec.all_received and rec.missing == eur("69.90")
    assert {u.charge_id for u in rec.unpaid} and all(u.days_past_due > 0 for u in rec.unpaid)
    [(who, everyone)] = crm.reconcile_all(date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 10))
    assert who == "C3" and everyone == rec

    # the ladder: a reminder is due, typed; it is taken
    actions = crm.collection_actions("C3", "standard", t("2026-04-10T08:00:00Z"))
    assert actions and all(isinstance(a, records.CollectionAction) for a in actions)
    reminders = [a for a in actions if a.step is CollectionStepKind.REMINDER]
    assert reminders and reminders[0].status.type == "due"
    assert isinstance(reminders[0].status, records.ActionStatus)
    assert reminders[0].overdue_amount.currency.code == "EUR"
    assert isinstance(reminders[0].oldest_due_date, date)
    assert reminders[0].target.type in ("line", "agreement", "account")
    assert pickle.loads(pickle.dumps(reminders[0])) == reminders[0]
    assert records.CollectionAction.from_json(reminders[0].to_json()) == reminders[0]
    for a in reminders:
        crm.execute(meta("2026-04-10T08:05:00Z", actor="collections"),
                    commands.TakeCollectionAction(customer="C3", policy="standard", key=a.key))
    again = crm.collection_actions("C3", "standard", t("2026-04-10T08:10:00Z"))
    assert not {a.key for a in reminders} & {a.key for a in again}

    # weeks later the service line is restricted, and calls are denied
    later = crm.collection_actions("C3", "standard", t("2026-05-01T08:00:00Z"))
    restrict = [a for a in later if a.step is CollectionStepKind.RESTRICT and a.line_id == "SVC"]
    assert restrict and restrict[0].status.type == "due"
    crm.execute(meta("2026-05-01T08:05:00Z", actor="collections"), commands.TakeCollectionAction(
        customer="C3", policy="standard", key=restrict[0].key))
    agreement = crm.agreement("A3")
    [svc] = [line for line in agreement.lines if line.id == "SVC"]
    assert svc.history[-1].status is LineStatus.RESTRICTED
    denied = crm.check_entitlement(records.EntitlementRequest(
        customer="C3", code="calls", channel=Channel.PHONE), t("2026-05-01T09:00:00Z"))
    assert denied.outcome is DecisionOutcome.DENIED
    # the customer settles the debt: the ladder stops at once, and the host lifts the restriction
    pay(crm, "PAY-4", "2026-05-02T09:00:00Z", "69.90")
    assert crm.collection_actions("C3", "standard", t("2026-05-02T10:00:00Z")) == []
    [batch] = crm.collection_actions_batch(["C3"], "standard", t("2026-05-02T10:00:00Z"))
    assert batch == []
    [settled] = crm.settled_restrictions("C3", t("2026-05-02T10:00:00Z"))
    assert (settled.agreement, settled.line) == ("A3", "SVC")
    assert settled.restricted_since == t("2026-05-01T08:05:00Z")
    crm.execute(meta("2026-05-02T10:05:00Z", actor="collections"), commands.ChangeLineStatus(
        agreement="A3", line="SVC", action="lift_restriction"))
    assert crm.settled_restrictions("C3", t("2026-05-02T10:10:00Z")) == []
    assert crm.check_entitlement(records.EntitlementRequest(
        customer="C3", code="calls", channel=Channel.PHONE),
        t("2026-05-02T10:10:00Z")).outcome is DecisionOutcome.GRANTED


def test_reversals_credits_adjustments_write_offs_and_the_credit_balance() -> None:
    crm = story_3()
    pay(crm, "PAY-1", "2026-01-10T09:00:00Z", "600.00")  # overpays: the rest is credit balance
    totals_before = crm.statement("C3")
    assert crm.balance("C3") == totals_before.charged - eur("600.00")
    crm.execute(meta("2026-03-31T10:00:00Z", actor="bank-import"),
                commands.ReversePayment(customer="C3", payment="PAY-1", reason="bounced"))
    assert crm.balance("C3") == totals_before.charged
    # the bounce shows in the customer's measures only with policies; the ledger shows it now
    [entry] = [e for e in crm.statement("C3").charges if e.charge.plan_id == "SVC.data"]
    crm.execute(meta("2026-04-01T09:00:00Z", actor="supervisor-3"), commands.AdjustCharge(
        adjustment=records.Adjustment(
            id="ADJ-1", charge_id=entry.charge.id, at=t("2026-04-01T09:00:00Z"),
            amount=eur("-5.00"), reason="data was free this month",
            approved_by="supervisor-3")))
    crm.execute(meta("2026-04-01T09:10:00Z", actor="supervisor-3"), commands.GrantCredit(
        credit=records.Credit(id="GOODWILL-1", customer_id="C3",
                              granted_at=t("2026-04-01T09:10:00Z"), amount=eur("49.90"),
                              reason="goodwill", approved_by="supervisor-3")))
    first_installment = [e for e in crm.statement("C3").charges
                         if e.charge.plan_id == "DEV.installments"][0]
    crm.execute(meta("2026-04-01T09:20:00Z", actor="supervisor-3"), commands.WriteOff(
        write_off=records.WriteOff(
            id="WO-1", charge_id=first_installment.charge.id, at=t("2026-04-01T09:20:00Z"),
            amount=eur("100.00"), reason="device defect", approved_by="supervisor-3")))
    statement = crm.statement("C3")
    assert statement.written_off == eur("100.00") and statement.credited == eur("49.90")
    expected = totals_before.charged - eur("5.00") - eur("49.90") - eur("100.00")
    assert crm.balance("C3") == expected
    # an overpayment sits in the credit balance; a bounced payment re-opens what it paid, and
    # applying the credit balance pays that
    open_ids = [e.charge.id for e in crm.statement("C3").charges if e.open.is_positive()]
    [paid] = pay(crm, "PAY-6", "2026-04-02T09:00:00Z", "299.80",
                 records.AllocationRule("to_charges", charge_ids=list(reversed(open_ids))))
    assert isinstance(paid.event, crm_core.events.PaymentRecorded)
    assert paid.event.payment.allocation == records.AllocationRule(
        "to_charges", charge_ids=list(reversed(open_ids)))
    assert [a.charge_id for a in paid.event.outcome.applications] == list(reversed(open_ids))
    pay(crm, "PAY-7", "2026-04-02T10:00:00Z", "500.00")
    assert crm.statement("C3").open == Money.zero("EUR")
    assert crm.balance("C3") == eur("-500.00")
    crm.execute(meta("2026-04-03T09:00:00Z", actor="bank-import"),
                commands.ReversePayment(customer="C3", payment="PAY-6", reason="bounced"))
    assert crm.statement("C3").open == eur("299.80")
    evs = crm.execute(meta("2026-04-03T10:00:00Z", actor="billing"),
                      commands.ApplyCreditBalance(customer="C3"))
    assert [e.event.type for e in evs] == ["credit_balance_applied"]
    assert crm.statement("C3").open == Money.zero("EUR")
    assert crm.balance("C3") == eur("-200.20")
    # the engine's ledger, copied out, answers offline; changing the copy changes nothing
    copy = crm.ledger("C3")
    assert copy is not None and copy.balance() == crm.balance("C3")
    assert copy.totals().written_off == eur("100.00")
    before = crm.state_json()
    copy.record_payment(records.Payment(id="PAY-COPY", customer_id="C3",
                                        received_at=t("2026-04-04T09:00:00Z"),
                                        amount=eur("1.00"), method="cash", reference="x"))
    assert crm.state_json() == before and copy.balance() != crm.balance("C3")
    # replay rebuilds the same ledger
    assert Crm.replay(crm.events()).state_json() == crm.state_json()


def unchanged(crm: Crm, error: type[crm_core.CrmError], call: Callable[[], object]) -> None:
    before = (crm.state_json(), crm.events_json())
    with pytest.raises(error):
        call()
    assert (crm.state_json(), crm.events_json()) == before


def test_bad_obligation_commands_are_typed_errors_and_change_nothing() -> None:
    crm = story_3()
    pay(crm, "PAY-1", "2026-01-10T09:00:00Z", "154.90")
    m = meta("2026-04-01T09:00:00Z", actor="supervisor-3")

    def run(command: crm_core.commands.Command) -> Callable[[], object]:
        return lambda: crm.execute(m, command)

    unchanged(crm, crm_core.NotFoundError, run(commands.GenerateCharges(
        customer="C-404", until=date(2026, 4, 1))))
    unchanged(crm, crm_core.NotFoundError, run(commands.RecordRatedUsage(
        plan="SVC.nope", period_start=date(2026, 2, 1), quantity=Decimal("1"))))
    unchanged(crm, crm_core.ValidationError, run(commands.RecordRatedUsage(
        plan="SVC.data", period_start=date(2026, 2, 1), quantity=Decimal("-1"))))
    unchanged(crm, crm_core.CurrencyMismatchError, run(commands.RecordPayment(
        payment=records.Payment(id="PAY-USD", customer_id="C3",
                                received_at=t("2026-04-01T09:00:00Z"),
                                amount=Money(Decimal("1.00"), "USD"), method="cash",
                                reference="x"))))
    unchanged(crm, crm_core.ConflictError, run(commands.RecordPayment(  # same id, other content
        payment=records.Payment(id="PAY-1", customer_id="C3",
                                received_at=t("2026-01-10T09:00:00Z"), amount=eur("1.00"),
                                method="bank_transfer", reference="PAY-1"))))
    unchanged(crm, crm_core.NotFoundError, run(commands.ReversePayment(
        customer="C3", payment="PAY-404", reason="x")))
    crm.execute(m, commands.ReversePayment(customer="C3", payment="PAY-1", reason="bounced"))
    unchanged(crm, crm_core.InvalidTransitionError, run(commands.ReversePayment(
        customer="C3", payment="PAY-1", reason="twice")))
    unchanged(crm, crm_core.NotFoundError, run(commands.AdjustCharge(adjustment={
        "id": "ADJ-X", "charge_id": "nope#1", "at": t("2026-04-01T09:00:00Z"),
        "amount": eur("-1.00"), "reason": "x", "approved_by": "supervisor-3"})))
    unchanged(crm, crm_core.ValidationError, run(commands.WriteOff(write_off={
        "id": "WO-X", "charge_id": crm.statement("C3").charges[0].charge.id,
        "at": t("2026-04-01T09:00:00Z"), "amount": eur("100000.00"), "reason": "x",
        "approved_by": "supervisor-3"})))
    unchanged(crm, crm_core.NotFoundError, run(commands.ApplyCreditBalance(customer="C-404")))
    unchanged(crm, crm_core.InvalidDefinitionError, run(commands.RegisterCollectionPolicy(
        policy={"name": "bad", "steps": [{"kind": "notice", "after_days": 10},
                                          {"kind": "reminder", "after_days": 3}]})))
    unchanged(crm, crm_core.NotFoundError, run(commands.TakeCollectionAction(
        customer="C3", policy="standard", key="no-such-key")))
    with pytest.raises(TypeError, match="Decimal"):
        commands.RecordRatedUsage(plan="SVC.data", period_start=date(2026, 2, 1),
                                  quantity=1.5)
    for query in (lambda: crm.payment_plan("NOPE"), lambda: crm.ledger("C-404"),
                  lambda: crm.collection_policy("nope"),
                  lambda: crm.settled_restrictions("C-404", t("2026-04-01T00:00:00Z")),
                  lambda: crm.collection_actions("C3", "no-such-policy", t("2026-04-01T00:00:00Z")),
                  lambda: crm.collection_actions_batch(["C3", "C-404"], "standard",
                                                       t("2026-04-01T00:00:00Z"))):
        unchanged(crm, crm_core.NotFoundError, query)
    with pytest.raises(crm_core.ValidationError):
        crm.reconcile_all(date(2026, 3, 1), date(2026, 1, 1), date(2026, 4, 1))


def test_an_account_wide_restriction_is_not_settled_while_the_account_owes() -> None:
    crm = story_3()
    pay(crm, "PAY-1", "2026-01-10T09:00:00Z", "154.90")
    pay(crm, "PAY-2", "2026-03-05T09:00:00Z", "149.90")
    pay(crm, "PAY-3", "2026-03-20T09:00:00Z", "80.00")
    at = t("2026-05-01T08:00:00Z")
    [restrict] = [a for a in crm.collection_actions("C3", "standard", at)
                  if a.step is CollectionStepKind.RESTRICT and a.status.type == "due"]
    crm.execute(meta("2026-05-01T08:05:00Z", actor="collections"), commands.TakeCollectionAction(
        customer="C3", policy="standard", key=restrict.key))
    later = t("2026-05-01T09:00:00Z")
    assert crm.balance("C3") == eur("69.90")  # the account still owes, past due
    assert crm.settled_restrictions("C3", later) == []
    assert [f.kind for f in crm.audit("C3", later)] == []


def test_the_story_3_example_runs() -> None:
    import pathlib
    import subprocess
    import sys

    examples = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"
    example = examples / "story_3_collections.py"
    out = subprocess.run([sys.executable, str(example)], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    assert out[0] == "plans: ['L-1.monthly'] balance: 49.90 EUR"
    assert out[1].startswith("reminder: due - 1 charge of 49.90 EUR past due for 9 days")
    assert out[2] == "360: overdue 49.90 EUR oldest due 2026-01-01"
    assert out[3] == "after payment: 0.00 EUR actions: []"
