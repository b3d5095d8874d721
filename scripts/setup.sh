# Installs what building and testing Parcelport need, only where it is missing. Sourced by
# scripts/run.sh and scripts/test.sh; safe to run again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.10"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

setup_build_tools() {
  export PATH="$HOME/.cargo/bin:$PATH"
  command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup first" >&2; exit 1; }
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    log "installing cargo-leptos $CARGO_LEPTOS_VERSION (10-15 minutes, once)"
    cargo install --locked "cargo-leptos@$CARGO_LEPTOS_VERSION"
  fi
  # cargo-leptos runs whatever wasm-bindgen is on PATH; it must match the lock file exactly.
  local wbg
  wbg="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $wbg\$"; then
    log "installing wasm-bindgen-cli $wbg"
    cargo install --force wasm-bindgen-cli --version "$wbg"
  fi
  if ! command -v npm >/dev/null; then
    log "installing Node.js and npm"
    apt_install nodejs npm
  fi
}

# npm packages of one folder, installed from its lock file when it changed.
npm_install() {
  local dir="$ROOT/$1"
  if [ ! -f "$dir/node_modules/.install-stamp" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.install-stamp" ]; then
    log "installing npm packages in $1"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.install-stamp)
  fi
}

# wasm-opt for release builds comes from npm's binaryen (cargo-leptos would download it).
setup_release_tools() {
  npm_install tools
  export PATH="$ROOT/tools/node_modules/.bin:$PATH"
}

# Leaflet for the tracking map comes from npm and is served from the site's /vendor/leaflet.
setup_site_assets() {
  npm_install tools
  local from="$ROOT/tools/node_modules/leaflet/dist" to="$ROOT/public/vendor/leaflet"
  if [ ! -f "$to/leaflet.js" ] || [ "$from/leaflet.js" -nt "$to/leaflet.js" ]; then
    log "copying Leaflet into public/vendor"
    rm -rf "$to" && mkdir -p "$to"
    cp -r "$from/leaflet.js" "$from/leaflet.css" "$from/images" "$to/"
  fi
}

setup_e2e_tools() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's Chromium"
    apt_install chromium
  fi
  npm_install end2end
}

# Schemathesis for the contract tests, in its own virtual environment, pinned.
setup_contract_tools() {
  local venv="$ROOT/tools/contract/.venv" reqs="$ROOT/tools/contract/requirements.txt"
  if [ ! -f "$venv/.install-stamp" ] || [ "$reqs" -nt "$venv/.install-stamp" ]; then
    log "installing Schemathesis (tools/contract/requirements.txt)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs"
    touch "$venv/.install-stamp"
  fi
}

# The PostgreSQL the tests run on besides SQLite: TEST_DATABASE_URL, else DATABASE_URL when it
# is a postgres:// URL; empty for none.
postgres_test_url() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then
    echo "$TEST_DATABASE_URL"
  elif [[ "${DATABASE_URL:-}" == postgres* ]]; then
    echo "$DATABASE_URL"
  fi
}

# Each test makes its own database (pp_test_*); drops those an earlier run left behind.
drop_test_databases() {
  psql "$1" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'pp_test_%'" 2>/dev/null |
    while read -r db; do psql "$1" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
}
