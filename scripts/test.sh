#!/usr/bin/env bash
# The whole check, as CI runs it: formatting, lints, Rust tests on SQLite and PostgreSQL with a
# real Redis, then Playwright against the built site (JavaScript on and off).
source "$(dirname "$0")/lib.sh"

START=$(date +%s)
ensure_rust_tools
ensure_npm_packages
ensure_redis
ensure_postgres
ensure_smtp
ensure_chromium

step "cargo fmt --check"
cargo fmt --all -- --check

step "Building the site (cargo leptos build)"
cargo leptos build

step "Building the release as typed by hand (cargo leptos build --release --precompress --split, no extra flags)"
(use_release_flags && cargo leptos build --release --precompress --split)

step "The release hydrate WASM against its size budget (bench/wasm-budget)"
check_wasm_budget

step "Rust tests on SQLite and Redis"
cargo test --features ssr

step "Rust integration tests on PostgreSQL and Redis"
drop_old_test_databases
TEST_DATABASE_URL="$PG_TEST_URL" cargo test --features ssr --test it
drop_old_test_databases

step "Clippy (ssr, all targets) with warnings as errors"
cargo clippy --features ssr --all-targets -- -D warnings
step "Clippy (hydrate, wasm32) with warnings as errors"
cargo clippy --features hydrate --lib --target wasm32-unknown-unknown --target-dir target/front -- -D warnings

step "Playwright end-to-end tests (projects js and no-js) in /usr/bin/chromium"
E2E_PREFIX="e2e:$$:$(date +%s):"
export E2E_SERVER_CMD="env REDIS_URL=redis://127.0.0.1:6379 REDIS_KEY_PREFIX=$E2E_PREFIX RATE_LIMIT_REGISTER=1000/1h RATE_LIMIT_SESSIONS=10000/10m RATE_LIMIT_MAIL_CLIENT=10000/1h PUBLIC_URL=http://localhost:3000 REAUTH_WINDOW=30s SMTP_URL=$SMTP_TEST_URL MAIL_POLL_INTERVAL=200ms DATABASE_URL=sqlite://target/e2e/porch.db LEPTOS_SITE_ROOT=target/site RUST_LOG=warn target/debug/porch"
rm -rf target/e2e && mkdir -p target/e2e
(cd end2end && npx playwright test) 2>&1 | tee target/e2e/playwright.log
# A panic on the server (say, in a task spawned by a page) fails the run even if every page
# the tests looked at was fine.
if grep -q "panicked at" target/e2e/playwright.log; then
  echo "The server panicked during the end-to-end tests (see target/e2e/playwright.log)." >&2
  exit 1
fi

step "All checks passed in $(( $(date +%s) - START ))s"
