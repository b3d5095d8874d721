#!/usr/bin/env bash
# The crash tests' long form (README.md, "Crash tests"): the real server binary under a write
# load, killed with SIGKILL CRASH_KILLS times (default 20) at random moments over CRASH_SECONDS
# of load (default 300) and started again on the same database each time, and stopped with
# SIGTERM under load; the same kills while webhooks go out to a slow endpoint (the outbox); and
# an import of CRASH_IMPORT_ROWS rows (default 10,000, the import's most) killed half-way and
# sent again with its key. On SQLite, then on PostgreSQL when TEST_DATABASE_URL (or
# DATABASE_URL) is a postgres:// URL; there also PostgreSQL itself stopped under the load
# (pg_ctlcluster stop -m fast) and started again 4 s later, when the cluster is on this machine
# and this user may stop it (else that test says SKIP): 503s with Retry-After meanwhile, then
# the server recovers by itself and live streams go on. CRASH_SEED repeats a run's kill moments.
# ./scripts/test.sh runs the short form.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup first" >&2; exit 1; }

PG_URL="$(postgres_test_url)"
unset DATABASE_URL TEST_DATABASE_URL
export CRASH_KILLS="${CRASH_KILLS:-20}"
export CRASH_SECONDS="${CRASH_SECONDS:-300}"
export CRASH_IMPORT_ROWS="${CRASH_IMPORT_ROWS:-10000}"
# One seed for both backends, shown first, so a failing run can be repeated.
export CRASH_SEED="${CRASH_SEED:-$(( (RANDOM << 15) | RANDOM ))}"

log "crash tests on SQLite: $CRASH_KILLS kills over $CRASH_SECONDS s of load, an import of $CRASH_IMPORT_ROWS rows, CRASH_SEED=$CRASH_SEED"
cargo test -p server --test crash -- --nocapture

if [ -n "$PG_URL" ]; then
  log "crash tests on PostgreSQL ($PG_URL): $CRASH_KILLS kills over $CRASH_SECONDS s of load, an import of $CRASH_IMPORT_ROWS rows, PostgreSQL stopped and started under load"
  drop_test_databases "$PG_URL"
  TEST_DATABASE_URL="$PG_URL" cargo test -p server --test crash -- --nocapture
else
  log "PostgreSQL crash tests skipped: set TEST_DATABASE_URL=postgres://... to run them"
fi
log "crash tests passed"
