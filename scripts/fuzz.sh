#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer), each for SECONDS seconds.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]      default: 25 seconds, every target
#
# Installs cargo-fuzz itself (pinned, into target/cargo-tools) and works with a nightly
# toolchain when rustup has one, else with the stable one and RUSTC_BOOTSTRAP=1 (cargo-fuzz
# needs nightly-only compiler flags). No sanitizer: crm-core forbids unsafe code, and
# libFuzzer still finds panics, stack overflows, timeouts and memory blow-ups (-rss_limit_mb).
# New inputs go to target/fuzz/corpus/TARGET (the committed corpus in fuzz/corpus/TARGET is
# only read); a crash is written to target/fuzz/artifacts/TARGET/ and fails the script.
# See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
SECONDS_EACH=${1:-25}
shift || true
CARGO_FUZZ_VERSION=0.13.2

TOOLS="$TARGET/cargo-tools"
if ! "$TOOLS/bin/cargo-fuzz" --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION"; then
    echo "-- installing cargo-fuzz $CARGO_FUZZ_VERSION into $TOOLS"
    cargo install --quiet --locked --root "$TOOLS" --version "=$CARGO_FUZZ_VERSION" cargo-fuzz
fi
export PATH="$TOOLS/bin:$PATH"

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ=(cargo +nightly fuzz)
    echo "-- toolchain: nightly ($(rustc +nightly --version))"
else
    FUZZ=(cargo fuzz)
    export RUSTC_BOOTSTRAP=1
    echo "-- toolchain: no nightly here; stable with RUSTC_BOOTSTRAP=1 ($(rustc --version))"
fi

cd fuzz
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <("${FUZZ[@]}" list)
fi
"${FUZZ[@]}" build --sanitizer none --target-dir "$TARGET/fuzz"
for t in "${targets[@]}"; do
    mkdir -p "$TARGET/fuzz/corpus/$t" "$TARGET/fuzz/artifacts/$t"
    log="$TARGET/fuzz/$t.log"
    echo "-- fuzzing $t for ${SECONDS_EACH}s (log: $log)"
    rc=0
    "${FUZZ[@]}" run --sanitizer none --target-dir "$TARGET/fuzz" "$t" \
        "$TARGET/fuzz/corpus/$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$TARGET/fuzz/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1 || rc=$?
    grep -a -E '^(Done [0-9]+ runs|stat::peak_rss_mb)' "$log" || true
    if [ "$rc" -ne 0 ]; then
        tail -n 40 "$log" >&2
        echo "fuzz target $t FAILED (exit $rc): the input is in $TARGET/fuzz/artifacts/$t/" >&2
        exit 1
    fi
done
echo "fuzz: ${#targets[@]} targets ran ${SECONDS_EACH}s each without a crash"
