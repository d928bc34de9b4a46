"""The Python `decimal` peer of the money benchmark (issue #10, item 5).

Reproduces the generator of crm-core/benches/money.rs exactly and allocates each customer's
payment to its 12 installments, oldest first, with `decimal.Decimal`, then prints the same
check sums as the Rust bench (`money check: customers=N S1=.. S2=.. S3=..`). Equal sums mean
the cents are identical. With `--csv FILE` (written by the Rust bench with
`CRM_MONEY_EXPORT=FILE`) it also compares the first 1,000 customers row by row.

    python3 bench/python/money_peer.py                # 1,000,000 customers (about a minute)
    python3 bench/python/money_peer.py --customers 2000
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from decimal import Decimal

M61 = (1 << 61) - 1
CENT = Decimal("0.01")


def price(c: int) -> int:
    return 30_000 + (c * 7_919) % 170_001


def payment_cents(c: int) -> int:
    return 1 + (c * 2_654_435_761) % (price(c) + 5_000)


def installments(total: Decimal) -> list[Decimal]:
    """`total` in 12 parts differing by at most a cent, the odd cents on the first ones."""
    cents = int(total / CENT)
    base, extra = divmod(cents, 12)
    return [Decimal(base + (1 if k < extra else 0)) * CENT for k in range(12)]


def allocate(open_: list[Decimal], payment: Decimal) -> tuple[list[Decimal], Decimal]:
    """Oldest installment first, each up to its open amount; the rest is credit balance."""
    applied = []
    left = payment
    for amount in open_:
        take = min(amount, left) if left > 0 else Decimal("0.00")
        applied.append(take)
        left -= take
    return applied, left


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--csv", help="the Rust bench's CRM_MONEY_EXPORT file, to compare rows")
    args = ap.parse_args()

    # Input, built before timing (as in the Rust bench).
    ledgers = [installments(Decimal(price(c)) * CENT) for c in range(args.customers)]
    payments = [Decimal(payment_cents(c)) * CENT for c in range(args.customers)]

    t0 = time.perf_counter()
    results = [allocate(o, p) for o, p in zip(ledgers, payments)]
    elapsed = time.perf_counter() - t0

    s1 = s2 = s3 = 0
    for c, (applied, credit) in enumerate(results):
        for k, a in enumerate(applied):
            cents = int(a / CENT)
            s1 += cents
            s2 = (s2 + (c * 12 + k + 1) * cents) % M61
        s3 += int(credit / CENT)
    print(f"money check: customers={args.customers} S1={s1} S2={s2} S3={s3}")
    print(f"python decimal: {elapsed * 1e3:.0f} ms for {args.customers} payments "
          f"over {12 * args.customers} installments")

    if args.csv:
        with open(args.csv, newline="") as f:
            for row in csv.DictReader(f):
                c = int(row["customer"])
                applied, credit = results[c]
                got = [int(a / CENT) for a in applied] + [int(credit / CENT)]
                want = [int(row[f"inst{k}_cents"]) for k in range(1, 13)]
                want.append(int(row["credit_cents"]))
                if got != want:
                    print(f"customer {c}: python {got} != rust {want}", file=sys.stderr)
                    return 1
        print(f"rows of {args.csv}: identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
