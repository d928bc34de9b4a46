"""Money from Python (issue #10 item 5): payments allocated over installments, oldest first.

The generator of crm-core/benches/money.rs (see money_peer.py): customer ``c`` owes
``price(c)`` cents in 12 monthly installments from 2025-01-31 and pays ``payment_cents(c)``.

- ours: one ``crm_core.Ledger`` per customer with its 12 charges (the installments from
  ``Money.split(12)``), ``Ledger.record_payment`` per customer (the core's oldest-due-first
  allocation, the outcome read back: cents per installment and to the credit balance);
- Python ``decimal``: money_peer.py's ``allocate`` over the customer's installments.

Both sides' check sums (S1 cents allocated, S2 weighted by installment, S3 credit balance)
are checked equal first. Timed: only the allocation calls, over fresh ledgers and fresh
installment lists each round (built untimed), figures per payment. The 1,000,000-payment
figure of the Rust bench is ``money_allocate_1m_payments``; ``python3
bench/python/money_peer.py`` gives the same sums for 1,000,000 customers.
"""

from __future__ import annotations

import calendar
import statistics
import time
from datetime import date, datetime, timezone
from decimal import Decimal

from crm_core import Ledger, Money, records

from harness import Summary, check, pick
from money_peer import M61, allocate, installments, payment_cents, price

UTC = timezone.utc
CENT = Decimal("0.01")
DUE = [date(2025, m, calendar.monthrange(2025, m)[1]) for m in range(1, 13)]
ADDED = datetime(2025, 1, 1, tzinfo=UTC)
RECEIVED = datetime(2025, 7, 10, 9, 0, tzinfo=UTC)


def ledger(c: int) -> Ledger:
    """Customer ``c``'s ledger with its 12 installments."""
    parts = Money.from_minor(price(c), "EUR").split(12)
    charges = [
        records.Charge(id=f"D{c}-{k + 1}", customer_id=f"C{c}", agreement_id=f"A{c}",
                       plan_id=f"D{c}", payment_type="sale", sequence=k + 1, due_date=DUE[k],
                       amount=part)
        for k, part in enumerate(parts)
    ]
    book = Ledger(f"C{c}", "EUR")
    book.add_charges(charges, ADDED)
    return book


def payment(c: int) -> records.Payment:
    """Customer ``c``'s payment."""
    return records.Payment(id=f"P{c}", customer_id=f"C{c}", received_at=RECEIVED,
                           amount=Money.from_minor(payment_cents(c), "EUR"),
                           method="bank_transfer", reference="")


def sums(rows: list[tuple[list[int], int]]) -> tuple[int, int, int]:
    """S1, S2, S3 over customers 0.. (cents per installment, cents to credit balance)."""
    s1 = s2 = s3 = 0
    for c, (applied, credit) in enumerate(rows):
        for k, cents in enumerate(applied):
            s1 += cents
            s2 = (s2 + (c * 12 + k + 1) * cents) % M61
        s3 += credit
    return s1, s2, s3


def run() -> None:
    """Checks equal cents, then times the allocations interleaved, median per payment."""
    customers = pick(20_000, 200)
    payments = [payment(c) for c in range(customers)]
    amounts = [Decimal(payment_cents(c)) * CENT for c in range(customers)]

    def ours_rows(books: list[Ledger]) -> list[tuple[list[int], int]]:
        rows = []
        for c, book in enumerate(books):
            out = book.record_payment(payments[c])
            by_charge = {a.charge_id: a.amount.minor_units for a in out.applications}
            rows.append(([by_charge.get(f"D{c}-{k + 1}", 0) for k in range(12)],
                         out.to_credit_balance.minor_units))
        return rows

    def peer_rows() -> list[tuple[list[int], int]]:
        rows = []
        for c in range(customers):
            applied, credit = allocate(installments(Decimal(price(c)) * CENT), amounts[c])
            rows.append(([int(a / CENT) for a in applied], int(credit / CENT)))
        return rows

    check(sums(ours_rows([ledger(c) for c in range(customers)])) == sums(peer_rows()),
          "ours and Python decimal allocate different cents")

    ours_ns: list[float] = []
    peer_ns: list[float] = []
    for _ in range(pick(3, 1)):
        books = [ledger(c) for c in range(customers)]
        record = [b.record_payment for b in books]
        start = time.perf_counter_ns()
        for c in range(customers):
            record[c](payments[c])
        ours_ns.append((time.perf_counter_ns() - start) / customers)
        open_ = [installments(Decimal(price(c)) * CENT) for c in range(customers)]
        start = time.perf_counter_ns()
        for c in range(customers):
            allocate(open_[c], amounts[c])
        peer_ns.append((time.perf_counter_ns() - start) / customers)
    ours, peer = statistics.median(ours_ns), statistics.median(peer_ns)
    Summary("py_money_allocate_vs_decimal",
            f"one payment over 12 installments from Python, {customers:,} customers "
            "(Ledger.record_payment vs Python decimal, cents checked equal)",
            ours, "Python decimal", peer, "ns/op", peer / ours, "(for information)",
            True).print()
