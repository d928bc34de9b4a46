"""Story 3 through the engine from Python: a plan sold with a template, a late payment, the
collection ladder's typed actions, the 360 view's money, the debt settled.

Run it with the wheel installed: ``python examples/python/story_3_collections.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from crm_core import Channel, CollectionStepKind, Crm, Meta, Money, commands, records


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def main() -> None:
    crm = Crm()
    admin = Meta(at=at("2026-01-01T08:00:00"), actor="admin")
    crm.execute(admin, commands.RegisterCustomer(customer=records.Customer(id="C-1", name="Ada")))
    crm.execute(admin, commands.AddOffering(offering=records.Offering(
        id="PLAN", name="Service plan", kind={"type": "service"},
        payment_plans=[{"code": "monthly", "payment_type": "service",
                        "schedule": {"type": "recurring", "amount": eur("49.90"),
                                     "every": {"type": "monthly"}}}])))
    ladder = [records.CollectionStep(kind=CollectionStepKind.REMINDER, after_days=3),
              records.CollectionStep(kind=CollectionStepKind.RESTRICT, after_days=21)]
    crm.execute(admin, commands.RegisterCollectionPolicy(
        policy=records.CollectionPolicy(name="standard", steps=ladder)))
    crm.execute(admin, commands.CreateAgreement(
        agreement="AG-1", customer="C-1", sold_through={"type": "direct"},
        term=records.Term(start=date(2026, 1, 1)),
        lines=[records.NewLine(id="L-1", offering="PLAN", quantity=1)],
        signature=records.Consent(channel=Channel.BRANCH, at=at("2026-01-01T08:00:00"))))
    for move in ("request_activation", "activate"):
        crm.execute(admin, commands.ChangeLineStatus(agreement="AG-1", line="L-1", action=move))
    crm.execute(Meta(at=at("2026-01-01T09:00:00"), actor="billing"),
                commands.GenerateCharges(customer="C-1", until=date(2026, 1, 31)))
    print("plans:", [p.id for p in crm.payment_plans_of("C-1")], "balance:", crm.balance("C-1"))

    # nothing paid by 10 January: the ladder's reminder is due, and says why
    for action in crm.collection_actions("C-1", "standard", at("2026-01-10T08:00:00")):
        print(f"{action.step.value}: {action.status.type} - {action.reason}")
        if action.status.type == "due":
            crm.execute(Meta(at=at("2026-01-10T08:05:00"), actor="collections"),
                        commands.TakeCollectionAction(customer="C-1", policy="standard",
                                                      key=action.key))
    view = crm.customer_360("C-1", at("2026-01-10T09:00:00"))
    assert view.money is not None
    print("360: overdue", view.money.overdue,
          "oldest due", view.money.aging.oldest_overdue_due_date)

    # the customer pays everything: the ladder stops at once
    paid = at("2026-01-11T09:00:00")
    crm.execute(Meta(at=paid, actor="bank-import"), commands.RecordPayment(
        payment=records.Payment(id="PAY-1", customer_id="C-1", received_at=paid,
                                amount=crm.balance("C-1"), method="bank_transfer",
                                reference="SEPA 1")))
    print("after payment:", crm.balance("C-1"),
          "actions:", crm.collection_actions("C-1", "standard", at("2026-01-31T08:00:00")))


if __name__ == "__main__":
    main()
