"""Split a device price into installments and allocate a payment, exactly.

Run it with the wheel installed (scripts/test-all.sh does):
    python examples/python/installments.py
"""

from __future__ import annotations

from decimal import Decimal

import crm_core
from crm_core import LineAction, LineKind, LineStatus, Money


def main() -> None:
    price = Money(Decimal("999.99"), "EUR")
    installments = price.split(12)
    print(f"{price} in 12 installments: {installments[0]} first, then {installments[-1]}")
    assert sum((i.amount for i in installments), Decimal(0)) == price.amount

    payment = Money(Decimal("100.00"), "EUR")
    device, service, fee = payment.allocate([Decimal("0.5"), Decimal("0.3"), Decimal("0.2")])
    print(f"a payment of {payment} goes {device} / {service} / {fee}")

    try:
        price + Money(Decimal("1"), "USD")
    except crm_core.CurrencyMismatchError as e:
        print(f"refused: {e} (left={e.left}, right={e.right})")

    status = LineStatus.CREATED
    for action in (LineAction.REQUEST_ACTIVATION, LineAction.ACTIVATE, LineAction.SUSPEND):
        next_status = crm_core.next_line_status(LineKind.SERVICE, status, action)
        assert next_status is not None
        print(f"line: {status.value} --{action.value}--> {next_status.value}")
        status = next_status


if __name__ == "__main__":
    main()
