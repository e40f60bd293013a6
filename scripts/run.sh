#!/usr/bin/env bash
# Builds and serves the app on http://127.0.0.1:3000, installing what is missing first.
#   scripts/run.sh            debug build (faster to build)
#   scripts/run.sh --release  optimised build, as in production
# Embedded defaults: SQLite in ./data and sessions in memory. Set DATABASE_URL / REDIS_URL to
# use PostgreSQL / Redis (see README.md).
source "$(dirname "$0")/lib.sh"

ensure_rust_tools
ensure_npm_packages

# Release builds also split the WASM (pages other than the first ones load their code when first
# shown) and write gzip and brotli copies of the static files, served to browsers that accept them.
case " $* " in *" --release "*) use_release_flags; set -- "$@" --precompress --split ;; esac
step "Building and serving (cargo leptos serve $*)"
exec cargo leptos serve "$@"
