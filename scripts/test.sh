#!/usr/bin/env bash
# Runs every test: formatting and lints, unit tests, integration tests and the crash tests' short
# form on SQLite and (when TEST_DATABASE_URL, or DATABASE_URL, is a postgres:// URL) on
# PostgreSQL, the API's contract tests, then the end-to-end suite in headless Chromium. Exits
# non-zero on the first failure.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
setup_build_tools
setup_release_tools
setup_site_assets
setup_e2e_tools
setup_contract_tools

PG_URL="$(postgres_test_url)"
unset DATABASE_URL TEST_DATABASE_URL

log "formatting"
cargo fmt --all -- --check

log "clippy (server side: app+ssr, server)"
cargo clippy -p app --features ssr --all-targets -- -D warnings
cargo clippy -p server --all-targets -- -D warnings
log "clippy (browser side: app+hydrate, frontend, wasm32)"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

log "unit tests (app)"
cargo test -p app --features ssr

# Every test target of the server, the crash tests (`--test crash`) with their short-form
# defaults (CRASH_KILLS=3, CRASH_SECONDS=20, CRASH_IMPORT_ROWS=2000) among them; scripts/crash.sh
# is the long form.
log "unit, integration and crash tests on SQLite"
cargo test -p server

if [ -n "$PG_URL" ]; then
  log "integration tests on PostgreSQL ($PG_URL)"
  drop_test_databases "$PG_URL"
  TEST_DATABASE_URL="$PG_URL" cargo test -p server --test api
  log "crash tests on PostgreSQL (SIGKILL and SIGTERM under load, the outbox, an import, PostgreSQL stopped and started under load; short form)"
  TEST_DATABASE_URL="$PG_URL" cargo test -p server --test crash -- --nocapture
else
  log "PostgreSQL integration tests skipped: set TEST_DATABASE_URL=postgres://... to run them"
fi

log "contract tests of the REST API on SQLite (Schemathesis, short form: seed 7, 10 examples per operation)"
CONTRACT_EXAMPLES=10 ./scripts/contract.sh
if [ -n "$PG_URL" ]; then
  log "contract tests of the REST API on PostgreSQL (short form: seed 7, 5 examples per operation)"
  TEST_DATABASE_URL="$PG_URL" CONTRACT_EXAMPLES=5 ./scripts/contract.sh
fi

log "building the site for the end-to-end tests (release, as it ships: the byte budgets are its own)"
cargo leptos build --release -P --split

log "end-to-end tests in headless Chromium"
rm -rf end2end/.run && mkdir -p end2end/.run
(cd end2end && npx playwright test)
log "all tests passed"
