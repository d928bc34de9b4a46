"""The engine from Python: a sale, a broken phone, an entitlement check, a consume, replay.

Run it with the wheel installed: ``python examples/python/engine.py``.
"""

from __future__ import annotations

from datetime import datetime, timezone

import crm_core
from crm_core import Channel, Crm, Meta, commands, records


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def main() -> None:
    crm = Crm()
    meta = Meta(at=at("2026-03-02T09:00:00"), actor="shop-12")
    crm.execute(meta, commands.RegisterCustomer(customer=records.Customer(id="C-1", name="Ada")))
    crm.execute(meta, commands.AddOffering(offering=records.Offering(
        id="MOBILE", name="Mobile plan", kind={"type": "service"},
        entitlements=[records.EntitlementTemplate(
            code="device_replacement",
            kind={"type": "quota", "uses": 2, "window": {"type": "rolling_days", "days": 365}})])))
    crm.execute(meta, commands.CreateAgreement(
        agreement="AG-1", customer="C-1", sold_through={"type": "direct"},
        term=records.Term(start=at("2026-03-02T00:00:00").date()),
        lines=[records.NewLine(id="L-1", offering="MOBILE", quantity=1)],
        signature=records.Consent(channel=Channel.BRANCH, at=meta.at)))
    for action in ("request_activation", "activate"):
        crm.execute(meta, commands.ChangeLineStatus(agreement="AG-1", line="L-1", action=action))

    # the phone breaks: may the customer have a replacement?
    request = records.EntitlementRequest(customer="C-1", code="device_replacement",
                                         channel=Channel.PHONE)
    decision = crm.check_entitlement(request, at("2026-06-01T10:00:00"))
    remaining = decision.remaining.remaining if decision.remaining else None
    print(f"{decision.outcome.value}, {remaining} remaining after this one")
    for reason in decision.reasons:
        print(f"  - {reason.type}: {reason.message}")
    crm.execute(Meta(at=at("2026-06-01T10:05:00"), actor="desk-3"),
                commands.ConsumeEntitlement(usage="REQ-1", request=request))

    # an illegal lifecycle move is a typed error and changes nothing
    try:
        crm.execute(meta, commands.ChangeLineStatus(agreement="AG-1", line="L-1", action="install"))
    except crm_core.InvalidTransitionError as e:
        print(f"refused: {e} (state {e.state}, action {e.action})")

    # replaying the log rebuilds the same state
    assert Crm.replay(crm.events()).state_json() == crm.state_json()
    print(f"{len(crm.events())} events; replay rebuilds the same state")


if __name__ == "__main__":
    main()
