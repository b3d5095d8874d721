#!/usr/bin/env bash
# Contract fuzzing of the REST API with Schemathesis (tools/contract/): the real server on a fresh
# SQLite database (PostgreSQL with TEST_DATABASE_URL=postgres://...) with the demo data, a
# customer's, a manager's and a carrier's token, every documented operation, every check. Fails
# on any server error or any answer the document does not describe.
#   scripts/contract.sh          the short form scripts/test.sh runs: fixed seed, a few minutes
#   CONTRACT_LONG=1 scripts/contract.sh   the long form: more examples and the stateful phase
# Further arguments go to `schemathesis run` (e.g. --include-path-regex /shipments).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
setup_build_tools
setup_contract_tools
cargo build -p server
seed="${CONTRACT_SEED:-7}"
if [ "${CONTRACT_LONG:-0}" = 1 ]; then
  form=(--phases examples,coverage,fuzzing,stateful --max-examples "${CONTRACT_EXAMPLES:-200}")
else
  # Deterministic generation: the same requests each run, so the test command does not fail on
  # a finding a random draw happened upon (the long form is for finding).
  form=(--phases examples,coverage,fuzzing --max-examples "${CONTRACT_EXAMPLES:-20}"
    --generation-deterministic)
fi
log "contract tests (seed $seed${CONTRACT_LONG:+, long form})"
exec tools/contract/.venv/bin/python tools/contract/run.py target/debug/server \
  --seed "$seed" "${form[@]}" --workers 2 "$@"
