"""A small world shared by the engine tests: a customer, an offering, an agreement."""

from __future__ import annotations

from datetime import datetime, timezone

from crm_core import Channel, Crm, Event, Meta, commands, records

UTC = timezone.utc


def t(text: str) -> datetime:
    """An aware UTC instant from RFC 3339 text."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def meta(at: str, actor: str = "clerk-1", **kw: object) -> Meta:
    return Meta(at=t(at), actor=actor, **kw)


def mobile_offering() -> records.Offering:
    return records.Offering(
        id="MOBILE",
        name="Mobile plan",
        kind=records.OfferingKind("service"),
        entitlements=[
            records.EntitlementTemplate(
                code="device_replacement",
                kind={"type": "quota", "uses": 2, "window": {"type": "rolling_days", "days": 365}},
            ),
            records.EntitlementTemplate(
                code="support",
                kind={
                    "type": "service_level",
                    "calendar": "support",
                    "targets": [
                        {"priority": "normal", "response": {"seconds": 3600},
                         "resolution": {"seconds": 28800}},
                    ],
                },
            ),
        ],
    )


def create_agreement(agreement: str = "A1", customer: str = "C1", line: str = "L1",
                     at: str = "2026-01-01T10:00:00Z") -> commands.CreateAgreement:
    return commands.CreateAgreement(
        agreement=agreement,
        customer=customer,
        sold_through=records.SoldThrough("direct"),
        term=records.Term(start=t(at).date(), end=t("2027-12-31T00:00:00Z").date()),
        lines=[records.NewLine(id=line, offering="MOBILE", quantity=1)],
        signature=records.Consent(channel=Channel.BRANCH, at=t(at)),
    )


def world() -> Crm:
    """Customer C1, the MOBILE offering, agreement A1 with line L1 (active), calendar support."""
    crm = Crm()
    at = "2026-01-01T09:00:00Z"
    crm.execute(meta(at), commands.RegisterCustomer(
        customer=records.Customer(id="C1", name="Customer C1")))
    crm.execute(meta(at), commands.RegisterCalendar(calendar=support_calendar()))
    crm.execute(meta(at), commands.AddOffering(offering=mobile_offering()))
    crm.execute(meta("2026-01-01T10:00:00Z"), create_agreement())
    for action in ("request_activation", "activate"):
        crm.execute(meta("2026-01-01T10:05:00Z"),
                    commands.ChangeLineStatus(agreement="A1", line="L1", action=action))
    return crm


def support_calendar() -> records.BusinessCalendar:
    day = [{"start": "09:00", "end": "17:00"}]
    return records.BusinessCalendar(
        id="support",
        zone="Europe/Berlin",
        week={d: day for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        holidays=[],
    )


def tags(events: list[Event]) -> list[str]:
    return [e.event.type for e in events]
