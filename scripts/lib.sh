# Shared by scripts/run.sh and scripts/test.sh. Every step is idempotent and cheap when its work
# is already done, so the scripts can run on a fresh machine and on a warm one alike.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION=0.3.10
# The wasm-bindgen CLI must equal the crate version pinned in Cargo.toml, to the patch.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)"
# binaryen's wasm-opt for release builds: Debian's (108) silently breaks hydration.
BINARYEN_VERSION=132
BINARYEN_DIR="$HOME/.local/share/porch/binaryen-$BINARYEN_VERSION"
export PATH="$HOME/.cargo/bin:$PATH"

# The flag cargo-leptos gives its builds (`always-erase-components` in Cargo.toml); `cargo test`
# and clippy use it too so they reuse its compiled dependencies instead of building ~340 crates
# again.
export RUSTFLAGS="${RUSTFLAGS:---cfg erase_components}"
export LEPTOS_OUTPUT_NAME=porch

# For `--release` builds: exactly what a hand-typed cargo-leptos command does (it adds its flags
# from Cargo.toml itself), so the scripts build nothing a developer could not.
use_release_flags() {
  unset RUSTFLAGS
}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# webauthn-rs (passkeys) links OpenSSL: openssl-sys needs its headers and pkg-config.
ensure_build_libraries() {
  if ! pkg-config --exists openssl 2>/dev/null; then
    step "Installing libssl-dev and pkg-config with apt-get (OpenSSL for passkeys)"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config
  fi
}

# The release hydrate WASM's gzip size against the budget recorded in bench/wasm-budget (bytes,
# gzip -9): more than 5 % over it fails (issue 21); well under it asks for the budget to be
# lowered, so every saving is kept.
check_wasm_budget() {
  local wasm="$ROOT/target/site/pkg/porch.wasm" budget_file="$ROOT/bench/wasm-budget"
  local size budget limit
  size=$(gzip -9 -c "$wasm" | wc -c)
  budget=$(grep -v '^#' "$budget_file" | tr -d '[:space:]')
  limit=$(( budget * 105 / 100 ))
  echo "release WASM (main module): $(stat -c %s "$wasm") B, $size B gzip; budget $budget B gzip, fails above $limit B"
  # The pages' own chunks (cargo-leptos --split), fetched when a page is first shown.
  local chunks=0 chunk
  for chunk in "$ROOT"/target/site/pkg/*.wasm; do
    [ "$chunk" = "$wasm" ] && continue
    chunks=$(( chunks + $(gzip -9 -c "$chunk" | wc -c) ))
  done
  echo "lazily loaded chunks: $chunks B gzip in all"
  if [ "$size" -gt "$limit" ]; then
    echo "The hydrate WASM grew more than 5 % over its budget (bench/wasm-budget): $size B gzip." >&2
    return 1
  fi
  if [ "$size" -lt $(( budget * 95 / 100 )) ]; then
    echo "The hydrate WASM is more than 5 % under its budget: lower bench/wasm-budget to $size."
  fi
}

ensure_rust_tools() {
  ensure_build_libraries
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION"; then
    step "Installing cargo-leptos $CARGO_LEPTOS_VERSION (about 20 minutes on 2 cores, once)"
    # no_downloads: a missing tool is a clear error instead of a download attempt.
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
    step "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
    # Not --locked: the registry mirror lacks one locked dependency; unlocked builds fine.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
  ensure_wasm_opt
}

# cargo-leptos looks for wasm-opt on PATH (it cannot download it here). binaryen from npm goes to
# a folder of its own and is linked into ~/.cargo/bin, which is on every Rust developer's PATH,
# ahead of any other wasm-opt: `cargo leptos build --release` then works typed by hand too.
ensure_wasm_opt() {
  if ! "$HOME/.cargo/bin/wasm-opt" --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
    step "Installing binaryen $BINARYEN_VERSION (wasm-opt) from npm into $BINARYEN_DIR"
    mkdir -p "$BINARYEN_DIR"
    npm install --prefix "$BINARYEN_DIR" --no-audit --no-fund --no-save "binaryen@$BINARYEN_VERSION.0.0"
    mkdir -p "$HOME/.cargo/bin"
    ln -sf "$BINARYEN_DIR/node_modules/.bin/wasm-opt" "$HOME/.cargo/bin/wasm-opt"
  fi
}

# Playwright.
ensure_npm_packages() {
  if [ ! -x end2end/node_modules/.bin/playwright ] \
    || [ end2end/package.json -nt end2end/node_modules/.package-lock.json ]; then
    step "Installing npm packages in end2end/ (Playwright)"
    (cd end2end && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi)
  fi
}

apt_install_missing() {
  local missing=()
  for pair in "$@"; do
    local bin="${pair%%:*}" pkg="${pair##*:}"
    have "$bin" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    step "Installing ${missing[*]} with apt-get"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

ensure_redis() {
  apt_install_missing redis-server:redis-server
  if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
    step "Starting redis-server on 127.0.0.1:6379 (no persistence)"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 50); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
}

# PostgreSQL: the Debian cluster, and a role of our own for tests. Nothing else is touched.
PG_TEST_URL="postgres://app_test:app_test@127.0.0.1:5432/postgres"
ensure_postgres() {
  # The client (psql) may be there without the server: look for the server binary itself.
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    step "Installing postgresql with apt-get"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
  fi
  if ! pg_lsclusters -h 2>/dev/null | grep -q online; then
    step "Starting PostgreSQL"
    local cluster
    cluster="$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')"
    sudo_if_needed pg_ctlcluster --skip-systemctl-redirect $cluster start
  fi
  for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
  if ! sudo_if_needed su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='app_test'\"" | grep -q 1; then
    step "Creating the PostgreSQL role app_test (tests create and drop their own databases)"
    sudo_if_needed su postgres -c "psql -qc \"CREATE ROLE app_test LOGIN CREATEDB PASSWORD 'app_test'\""
  fi
}

# Drops databases left by earlier test runs (only ours: owned by app_test, named porch_t_*).
drop_old_test_databases() {
  local dbs
  dbs="$(PGPASSWORD=app_test psql -h 127.0.0.1 -U app_test -d postgres -tAc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'porch\_t\_%' AND pg_get_userbyid(datdba) = 'app_test'")"
  for db in $dbs; do
    PGPASSWORD=app_test psql -h 127.0.0.1 -U app_test -d postgres -qc "DROP DATABASE IF EXISTS \"$db\"" || true
  done
}

# A real SMTP server for the tests: maildev (an end2end/ devDependency) takes mail on
# 127.0.0.1:1025 and shows what arrived at http://127.0.0.1:1080/email (JSON), which the Rust
# tests and Playwright read. Started once, in the background; nothing is stored on disk beyond
# its temporary directory.
SMTP_TEST_PORT=1025
MAILDEV_WEB_PORT=1080
ensure_smtp() {
  apt_install_missing curl:curl
  ensure_npm_packages
  if ! curl -fs "http://127.0.0.1:$MAILDEV_WEB_PORT/email?limit=1" >/dev/null 2>&1; then
    step "Starting maildev (SMTP on 127.0.0.1:$SMTP_TEST_PORT, mail as JSON on :$MAILDEV_WEB_PORT)"
    mkdir -p target
    nohup end2end/node_modules/.bin/maildev --ip 127.0.0.1 --smtp "$SMTP_TEST_PORT" \
      --web "$MAILDEV_WEB_PORT" --silent >target/maildev.log 2>&1 &
    for _ in $(seq 100); do
      curl -fs "http://127.0.0.1:$MAILDEV_WEB_PORT/email?limit=1" >/dev/null 2>&1 && break
      sleep 0.1
    done
  fi
  export SMTP_TEST_URL="smtp://127.0.0.1:$SMTP_TEST_PORT"
  export MAILDEV_URL="http://127.0.0.1:$MAILDEV_WEB_PORT"
}

ensure_chromium() {
  apt_install_missing chromium:chromium
}
