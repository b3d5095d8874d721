#!/usr/bin/env bash
# Fuzzes the parsers (README.md, "Fuzzing"): builds each cargo-fuzz target in fuzz/ and runs it
# for FUZZ_SECONDS (default 60) from its seeds in fuzz/corpus/<target>/, then prints per target
# the seconds it ran, executions, executions per second, inputs that found new coverage and
# the crashes it found (inputs saved in fuzz/artifacts/<target>/). FUZZ_TARGETS names the
# targets to run (default: all five); FUZZ_SANITIZER=address adds AddressSanitizer (below).
# Exits non-zero when a target crashed or did not build. Each run's libFuzzer output is in
# fuzz/target/logs/<target>.log; the corpus it grows is fuzz/target/corpus/<target>/ (kept, so a
# later run starts from it; delete it to start from the seeds alone).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup first" >&2; exit 1; }

CARGO_FUZZ_VERSION="0.13.1"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
FUZZ_SANITIZER="${FUZZ_SANITIZER:-none}"
read -r -a TARGETS <<<"${FUZZ_TARGETS:-csv_import tracking_number postcode_phone carrier_batch signed_links}"

# libfuzzer-sys compiles libFuzzer's C++ sources with the `cc` crate.
command -v c++ >/dev/null || { log "installing g++ (libFuzzer is C++)"; apt_install g++; }
if ! cargo fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION (a few minutes, once)"
  cargo install --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi

# On the stable toolchain. cargo-fuzz (src/project.rs) instruments every crate through
# RUSTFLAGS with stable codegen options only (-Cpasses=sancov-module, -Cllvm-args=-sanitizer-
# coverage-..., --cfg fuzzing, -Cdebug-assertions, which also turns overflow checks on), and
# adds `-Zsanitizer=<name>` only when a sanitizer is asked for; its default is `address`, so
# `--sanitizer none` is what lets stable rustc build the targets. A panic in safe code, all that
# these parsers can do wrong, needs no sanitizer: libfuzzer-sys aborts on it and libFuzzer saves
# the input (libFuzzer's warnings that __sanitizer_* functions are missing are expected).
# FUZZ_SANITIZER=address also watches the unsafe code of dependencies (encoding_rs, csv-core,
# serde_json) at about half the speed: RUSTC_BOOTSTRAP=1 makes stable rustc accept
# -Zsanitizer=address (and makes cargo-fuzz take the toolchain for a nightly, so it passes it),
# the stable toolchain ships the ASan runtime (librustc-stable_rt.asan.a), and AddressSanitizer
# is not one of the ABI-changing "target modifier" sanitizers, so the prebuilt std links with it.
if [ "$FUZZ_SANITIZER" != none ]; then
  export RUSTC_BOOTSTRAP=1
fi
# cargo-fuzz's RUSTFLAGS replace .cargo/config.toml's build.rustflags; it appends these.
export RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components"
# cargo-fuzz builds for the triple it was itself built for unless told (a musl cargo-fuzz
# would build for musl): the host's.
HOST="$(rustc -vV | sed -n 's/^host: //p')"
FUZZ_OPTS=(--fuzz-dir "$ROOT/fuzz" --sanitizer "$FUZZ_SANITIZER" --target "$HOST")

# fuzz/ is a workspace of its own; it starts from the project's lock file, so the parsers are
# built with the dependency versions the tests use.
if [ ! -f fuzz/Cargo.lock ] || [ Cargo.lock -nt fuzz/Cargo.lock ]; then
  cp Cargo.lock fuzz/Cargo.lock
fi

# The longest input each target is given (bytes): a few rows of CSV, a batch of a few scans.
max_len() {
  case "$1" in
    csv_import) echo 8192 ;;
    carrier_batch) echo 4096 ;;
    signed_links) echo 512 ;;
    *) echo 128 ;;
  esac
}

# A line of libFuzzer's output after `-print_final_stats=1`: `stat::<name>: <value>`.
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

mkdir -p fuzz/target/logs
rows=()
failed=0
for target in "${TARGETS[@]}"; do
  log "building $target"
  if ! cargo fuzz build "${FUZZ_OPTS[@]}" "$target"; then
    rows+=("$target - - - - build-failed")
    failed=1
    continue
  fi
  corpus="fuzz/target/corpus/$target"
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  logfile="fuzz/target/logs/$target.log"
  since="$(mktemp)"
  started=$(date +%s)
  log "fuzzing $target for $FUZZ_SECONDS s (log: $logfile)"
  # The first corpus directory is where libFuzzer writes what it finds; the seeds stay as they
  # are.
  status=0
  cargo fuzz run "${FUZZ_OPTS[@]}" "$target" "$corpus" "fuzz/corpus/$target" -- \
    -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$target")" -timeout=10 \
    -print_final_stats=1 >"$logfile" 2>&1 || status=$?
  seconds="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$logfile" | tail -n 1)"
  [ -n "$seconds" ] || seconds=$(( $(date +%s) - started ))
  crashes="$(find "fuzz/artifacts/$target" -type f -newer "$since" \
    \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | wc -l)"
  rm -f "$since"
  execs="$(final_stat number_of_executed_units "$logfile")"
  rate="$(final_stat average_exec_per_sec "$logfile")"
  found="$(final_stat new_units_added "$logfile")"
  rows+=("$target $seconds ${execs:--} ${rate:--} ${found:--} $crashes")
  if [ "$crashes" -gt 0 ] || [ "$status" -ne 0 ]; then
    failed=1
    log "$target stopped (exit $status, $crashes crash input(s)); the end of its log:"
    tail -n 30 "$logfile"
  fi
done

echo
printf '%-16s %8s %12s %8s %10s %8s\n' target seconds execs exec/s "new units" crashes
for row in "${rows[@]}"; do
  # shellcheck disable=SC2086 # one row, six words
  printf '%-16s %8s %12s %8s %10s %8s\n' $row
done
if [ "$failed" -ne 0 ]; then
  echo
  echo "A target crashed or did not build. Reproduce a crash (the same build) with"
  echo "  RUSTFLAGS='$RUSTFLAGS' cargo fuzz run ${FUZZ_OPTS[*]} <target> fuzz/artifacts/<target>/<file>"
  echo "and, once it is fixed, add the input to the parser's fuzz_regressions test."
  exit 1
fi
log "fuzzing found no crash"
