#!/usr/bin/env bash
# Builds (release) and runs the portal at http://127.0.0.1:3000 on data/parcelport.db, with demo
# data on first start. Installs missing build tools first.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
setup_build_tools
setup_release_tools
setup_site_assets
mkdir -p data
export DATABASE_URL="${DATABASE_URL:-sqlite://data/parcelport.db}"
# The binary starts without demo accounts; the portal's own command asks for them.
export DEMO_DATA="${DEMO_DATA:-true}"
# -P: brotli and gzip copies of every static file, made once at build time.
# --split: each page's code is a wasm chunk of its own (lazy routes); every build needs it.
exec cargo leptos serve --release -P --split
