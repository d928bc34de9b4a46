"""Payment plans and the ledger from Python (story 3 up to collections, which come with the
engine's obligation commands); bad input; a ledger pickles."""

from __future__ import annotations

import pickle
from datetime import date
from decimal import Decimal

import pytest

import crm_core
from crm_core import Ledger, Money, records
from _world import t


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def device_plan() -> records.PaymentPlan:
    return records.PaymentPlan(
        id="P-DEV", customer_id="C1", agreement_id="A1", line_id="L-DEV", payment_type="sale",
        periodicity={"type": "installments", "total": eur("1200.00"), "count": 12,
                     "every": {"type": "monthly"}, "first_due": date(2025, 1, 31)})


def service_plan() -> records.PaymentPlan:
    return records.PaymentPlan(
        id="P-SVC", customer_id="C1", agreement_id="A1", line_id="L-SVC", payment_type="service",
        periodicity={"type": "recurring", "amount": eur("49.90"), "every": {"type": "monthly"},
                     "start": date(2025, 1, 1), "end": None, "timing": "in_advance",
                     "price_changes": []})


def payment(pid: str, when: str, amount: str) -> records.Payment:
    return records.Payment(id=pid, customer_id="C1", received_at=t(when), amount=eur(amount),
                           method="bank_transfer", reference=pid)


def test_story_3_installments_late_and_partial_payments_aging() -> None:
    device = device_plan().charges_until(date(2025, 12, 31))
    assert len(device) == 12
    assert sum((c.amount.amount for c in device), Decimal(0)) == Decimal("1200.00")
    assert [c.due_date for c in device][:3] == [date(2025, 1, 31), date(2025, 2, 28),
                                                date(2025, 3, 31)]
    service = service_plan().charges_until(date(2025, 3, 31))
    assert [c.amount for c in service] == [eur("49.90")] * 3
    # suspended from 1 March on: the plan bills by the line's history (typed or as dicts)
    history = records.ScheduleInput(history=[
        records.StatusChange(on=date(2025, 1, 1), status="active"),
        records.StatusChange(on=date(2025, 3, 1), status="suspended")])
    assert history.history[1].status is crm_core.LineStatus.SUSPENDED
    paused = records.PaymentPlan(**{**service_plan().to_dict(), "suspended_billing": "do_not_bill"})
    suspended = paused.charges_until(date(2025, 3, 31), history)
    assert [c.due_date for c in suspended] == [date(2025, 1, 1), date(2025, 2, 1)]
    assert suspended == paused.charges_until(date(2025, 3, 31), history.to_dict())

    ledger = Ledger("C1", "EUR")
    ledger.add_charges([*device[:3], *service], t("2025-01-01T00:00:00Z"))
    # January on time, February late, March partial
    ledger.record_payment(payment("PAY-1", "2025-01-20T10:00:00Z", "149.90"))
    late = ledger.record_payment(payment("PAY-2", "2025-03-15T10:00:00Z", "149.90"))
    assert [a.charge_id for a in late.applications]  # oldest due first
    ledger.record_payment(payment("PAY-3", "2025-04-10T10:00:00Z", "80.00"))
    assert ledger.balance() == eur("69.90")
    aging = ledger.aging(date(2025, 4, 15))
    assert aging.overdue == eur("69.90") and aging.total_open == eur("69.90")
    assert aging.oldest_overdue_due_date is not None
    r = ledger.reconcile(date(2025, 1, 1), date(2025, 3, 31), date(2025, 4, 15))
    assert not r.all_received and r.missing == eur("69.90") and r.unpaid
    totals = ledger.totals()
    assert totals.charged == eur("449.70") and totals.received == eur("379.80")
    assert ledger.statement({"type": "line", "line_id": "L-SVC"}).charged == eur("149.70")
    # a bounced payment re-opens what it paid; a credit pays the rest
    ledger.reverse_payment("PAY-3", t("2025-04-12T10:00:00Z"), "bounced")
    assert ledger.balance() == eur("149.90")
    ledger.grant_credit(records.Credit(id="GOODWILL-1", customer_id="C1",
                                       granted_at=t("2025-04-13T10:00:00Z"), amount=eur("149.90"),
                                       reason="goodwill", approved_by="supervisor-3"))
    assert ledger.balance() == eur("0.00")
    again = pickle.loads(pickle.dumps(ledger))
    assert again.to_json() == ledger.to_json() and again.totals() == ledger.totals()


def test_bad_obligation_input() -> None:
    ledger = Ledger("C1", "EUR")
    before = ledger.to_json()
    with pytest.raises(crm_core.JsonError):
        records.PaymentPlan(id="P", customer_id="C1", agreement_id="A1", payment_type="gift",
                            periodicity={"type": "one_time", "amount": eur("1.00"),
                                         "due": date(2025, 1, 1)})
    with pytest.raises(crm_core.CurrencyMismatchError):
        ledger.record_payment(records.Payment(
            id="PAY-USD", customer_id="C1", received_at=t("2025-01-01T00:00:00Z"),
            amount=Money(Decimal("1.00"), "USD"), method="cash", reference="x"))
    with pytest.raises(crm_core.NotFoundError):
        ledger.reverse_payment("PAY-404", t("2025-01-01T00:00:00Z"), "x")
    with pytest.raises(crm_core.ValidationError):
        ledger.reconcile(date(2025, 2, 1), date(2025, 1, 1), date(2025, 3, 1))
    with pytest.raises(TypeError, match="Decimal"):
        records.Payment(id="PAY-F", customer_id="C1", received_at=t("2025-01-01T00:00:00Z"),
                        amount={"amount": 1.5, "currency": "EUR"}, method="cash", reference="x")
    assert ledger.to_json() == before
