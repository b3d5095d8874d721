#!/usr/bin/env bash
# Page-load benchmark (see bench/pages.mjs): builds the release site as ./scripts/run.sh does,
# starts it on a fresh demo database and prints each page's figures on a throttled phone.
# Takes about 4 minutes after the build (2 cores). BENCH_RUNS=1 for a quick look.
set -euo pipefail
source "$(dirname "$0")/../scripts/setup.sh"
cd "$ROOT"
setup_build_tools
setup_release_tools
setup_site_assets
setup_e2e_tools
cargo leptos build --release -P --split

run="$(mktemp -d)"
port="${BENCH_PORT:-3200}"
base="http://127.0.0.1:$port"
PARCELPORT_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$run/bench.db" UPLOAD_DIR="$run/uploads" \
  LEPTOS_SITE_ROOT=target/site DEMO_DATA=true SIMULATOR_SPEED=0 TRACK_LOOKUP_LIMIT=100000 MAP_TILE_URL=none RUST_LOG=warn \
  ./target/release/server &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$run"' EXIT
for _ in $(seq 120); do curl -fs "$base/healthz" >/dev/null && break; sleep 1; done

# A demo parcel of Acme's, and what proves its recipient (the postcode).
token="$(curl -fs "$base/api/v1/tokens" -H 'content-type: application/json' \
  -d '{"email":"shipper@acme.example","password":"parcelport-demo"}' | node -pe 'JSON.parse(fs.readFileSync(0)).token')"
export DEMO_TN="$(curl -fs "$base/api/v1/shipments" -H "authorization: Bearer $token" |
  node -pe 'JSON.parse(fs.readFileSync(0)).shipments.at(-1).tracking_number')"
export DEMO_PROOF="$(curl -fs "$base/api/v1/shipments/$DEMO_TN" -H "authorization: Bearer $token" |
  node -pe 'JSON.parse(fs.readFileSync(0)).recipient.postcode')"
echo "parcel $DEMO_TN"
node bench/pages.mjs "$base" target/site
