"""The Python benchmarks of issue #10 (items 2-5) and issue #8's Python speed targets.

    python bench/python/run.py            # full run (a few minutes); bench/run.sh runs it
    python bench/python/run.py --smoke    # small inputs, answers checked, no targets (seconds)
    python bench/python/run.py --only entitlement,process

Needs the built ``crm_core`` wheel and bench/python/requirements.txt in the interpreter's
environment. Each benchmark checks that ours and its peers give the same answers before it
times anything, times the sides interleaved, and prints medians as ``BENCH`` lines in the
format of the Rust benches (crm-core/benches/support/mod.rs). Any disagreement stops the
run with exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

BENCHES = ["entitlement", "process", "calendar", "money"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true",
                    help="small inputs and a few iterations; answers checked, no targets")
    ap.add_argument("--only", default=",".join(BENCHES),
                    help=f"comma-separated subset of {','.join(BENCHES)}")
    args = ap.parse_args()
    harness.FULL = not args.smoke
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in chosen if b not in BENCHES]
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(unknown)}")

    # Imported after FULL is set (the modules read it through harness.pick at run time).
    import calendar_add
    import entitlement
    import money
    import process

    modules = {"entitlement": entitlement, "process": process, "calendar": calendar_add,
               "money": money}
    for name in chosen:
        print(f"== python {name}", flush=True)
        modules[name].run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
