#!/usr/bin/env bash
# Runs every test in every language. This is the README's test command; .ci/run calls it.
#
#   1. Rust:         cargo fmt --check, clippy (-D warnings), cargo test --workspace,
#                    crm-core again with its `sqlite` feature (clippy and tests), and the
#                    benchmarks' smoke run (small inputs, answers checked, no timing targets)
#   2. Python:       maturin builds the wheel; a FRESH venv installs it; pytest, stubtest and the
#                    Python example run there (never against the source tree); the Python
#                    benchmarks run in smoke mode against their pinned peers
#   3. Kotlin/Java:  build libcrm_ffi, generate Kotlin (library mode), Maven compiles it and
#                    runs the JUnit 5 tests (Kotlin and Java) on the JVM
#   4. Swift:        generate Swift + header + modulemap and check the declared API; run the
#                    Swift test only when a toolchain is on PATH
#   5. Fuzz:         build the cargo-fuzz targets of fuzz/ and run each ~25 s (FUZZ_SECONDS);
#                    cargo-fuzz is installed into target/cargo-tools (scripts/fuzz.sh)
#
# Everything it needs it installs itself: the Python tools go to target/py-tools (reused while
# crm-py/requirements-test.txt is unchanged), Maven resolves its own dependencies.
# Any failing step fails the script. Environment: PYTHON (default python3), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
PYTHON=${PYTHON:-python3}

declare -a TIMES=()
STEP_START=$SECONDS
STEP_NAME=""
section() {
    if [ -n "$STEP_NAME" ]; then
        TIMES+=("$(printf '%-12s %4ds' "$STEP_NAME" $((SECONDS - STEP_START)))")
    fi
    STEP_NAME=$1
    STEP_START=$SECONDS
    echo
    echo "=================================================================================="
    echo "== $1: $2"
    echo "=================================================================================="
}

# ------------------------------------------------------------------------------------------
section "Rust" "format, lints, tests"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The SQLite event store is behind crm-core's `sqlite` feature (off in the pure core).
cargo clippy -p crm-core --all-targets --features sqlite --locked -- -D warnings
cargo test -p crm-core --features sqlite --locked
# The benchmarks in smoke mode, so they never rot (the timed run is `bash bench/run.sh`).
cargo test -p crm-core --bench '*' --locked

# ------------------------------------------------------------------------------------------
section "Python" "build the wheel, install it in a fresh venv, pytest, stubtest, example"
TOOLS="$TARGET/py-tools"
REQS="$ROOT/crm-py/requirements-test.txt"
if ! cmp -s "$REQS" "$TOOLS/.requirements" 2>/dev/null; then
    echo "-- creating the tools venv $TOOLS"
    rm -rf "$TOOLS"
    "$PYTHON" -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install --quiet --upgrade pip
    "$TOOLS/bin/python" -m pip install --quiet -r "$REQS"
    cp "$REQS" "$TOOLS/.requirements"
fi

WHEELS="$TARGET/wheels"
rm -rf "$WHEELS"
# A target dir of its own: maturin builds pyo3 with other settings than cargo test does, and
# sharing one directory would rebuild pyo3 back and forth on every run.
(cd crm-py && "$TOOLS/bin/maturin" build --locked --profile dev --out "$WHEELS" \
    --target-dir "$TARGET/maturin" \
    --interpreter "$TOOLS/bin/python")
shopt -s nullglob
wheels=("$WHEELS"/crm_core-*.whl)
shopt -u nullglob
if [ "${#wheels[@]}" -ne 1 ]; then
    echo "expected exactly one crm_core wheel in $WHEELS, found ${#wheels[@]}" >&2
    exit 1
fi

FRESH="$TARGET/py-wheel-env"
echo "-- installing ${wheels[0]##*/} into a fresh venv $FRESH"
rm -rf "$FRESH"
"$PYTHON" -m venv "$FRESH"
"$FRESH/bin/python" -m pip install --quiet "${wheels[0]}" -r "$REQS"

# Run from an empty directory so that only the installed wheel can be imported.
RUNDIR=$(mktemp -d)
trap 'rm -rf "$RUNDIR"' EXIT
rc=0
(cd "$RUNDIR" && RUST_BACKTRACE=0 "$FRESH/bin/python" -m pytest -p no:cacheprovider \
    --rootdir "$ROOT/crm-py" -c "$ROOT/crm-py/pyproject.toml" "$ROOT/crm-py/tests") || rc=$?
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure" >&2
    exit 1
elif [ "$rc" -ne 0 ]; then
    echo "pytest failed (exit $rc)" >&2
    exit "$rc"
fi
(cd "$RUNDIR" && "$FRESH/bin/python" -m mypy.stubtest crm_core \
    --allowlist "$ROOT/crm-py/stubtest-allowlist.txt")
(cd "$RUNDIR" && "$FRESH/bin/python" -m mypy --strict --no-incremental \
    "$ROOT/crm-py/tests" "$ROOT/examples/python")
(cd "$RUNDIR" && "$FRESH/bin/python" "$ROOT/examples/python/installments.py")
# The Python benchmarks in smoke mode (small inputs, answers checked against the peers, no
# targets), so they never rot; the timed run is `bash bench/run.sh`. The pinned peers
# (bench/python/requirements.txt, from PyPI) live in a venv of their own, reused while the
# file is unchanged; the wheel just built is reinstalled into it every run.
BENCH_ENV="$TARGET/py-bench-smoke"
BENCH_REQS="$ROOT/bench/python/requirements.txt"
if ! cmp -s "$BENCH_REQS" "$BENCH_ENV/.requirements" 2>/dev/null; then
    echo "-- creating the Python bench venv $BENCH_ENV"
    rm -rf "$BENCH_ENV"
    "$PYTHON" -m venv "$BENCH_ENV"
    "$BENCH_ENV/bin/python" -m pip install --quiet -r "$BENCH_REQS"
    cp "$BENCH_REQS" "$BENCH_ENV/.requirements"
fi
"$BENCH_ENV/bin/python" -m pip install --quiet --force-reinstall --no-deps "${wheels[0]}"
(cd "$RUNDIR" && "$BENCH_ENV/bin/python" "$ROOT/bench/python/run.py" --smoke)

# ------------------------------------------------------------------------------------------
section "Kotlin/Java" "build libcrm_ffi, generate Kotlin, JUnit on the JVM"
cargo build -p crm-ffi --locked
KOTLIN_OUT="$TARGET/bindings/kotlin"
rm -rf "$KOTLIN_OUT"
cargo run -q -p crm-ffi --features bindgen --bin uniffi-bindgen --locked -- \
    generate --library "$TARGET/debug/libcrm_ffi.so" --language kotlin --no-format \
    --out-dir "$KOTLIN_OUT"
RUST_BACKTRACE=0 mvn -B -ntp -f crm-ffi/kotlin/pom.xml \
    -Dcrm.bindings.dir="$KOTLIN_OUT" -Dcrm.native.dir="$TARGET/debug" test

# ------------------------------------------------------------------------------------------
section "Swift" "generate source, header and modulemap; check the declared API"
bash crm-ffi/swift/check.sh "$TARGET"

# ------------------------------------------------------------------------------------------
section "Fuzz" "every fuzz target briefly, so that none rots (docs/fuzzing.md runs them long)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-25}"

section "done" "summary"
echo "time per language:"
printf '  %s\n' "${TIMES[@]}"
echo "total        $((SECONDS))s"
echo "test-all: 5 passed, 0 failed"
