#!/usr/bin/env bash
# Runs every test: formatting and lints, unit tests, integration tests on SQLite and (when
# TEST_DATABASE_URL, or DATABASE_URL, is a postgres:// URL) on PostgreSQL, then the end-to-end
# suite in headless Chromium. Exits non-zero on the first failure.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
setup_build_tools
setup_release_tools
setup_site_assets
setup_e2e_tools

PG_URL="${TEST_DATABASE_URL:-}"
if [ -z "$PG_URL" ] && [[ "${DATABASE_URL:-}" == postgres* ]]; then PG_URL="$DATABASE_URL"; fi
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

log "unit and integration tests on SQLite"
cargo test -p server

if [ -n "$PG_URL" ]; then
  log "integration tests on PostgreSQL ($PG_URL)"
  # Each test makes its own database; drop those an earlier run left behind.
  psql "$PG_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'pp_test_%'" 2>/dev/null |
    while read -r db; do psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
  TEST_DATABASE_URL="$PG_URL" cargo test -p server --test api
else
  log "PostgreSQL integration tests skipped: set TEST_DATABASE_URL=postgres://... to run them"
fi

log "building the site for the end-to-end tests (release, as it ships: the byte budgets are its own)"
cargo leptos build --release -P --split

log "end-to-end tests in headless Chromium"
rm -rf end2end/.run && mkdir -p end2end/.run
(cd end2end && npx playwright test)
log "all tests passed"
