#!/usr/bin/env bash
# Installs what the Rust checks need, idempotently: the bare-metal target for the
# no-allocator proof, the nightly toolchain and cargo-fuzz for the fuzz target.
# Everything comes from rustup's and crates.io's usual sources.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }

if ! rustup component list --installed 2>/dev/null | grep -q '^clippy'; then
  log "adding clippy and rustfmt"
  rustup component add clippy rustfmt
fi
if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
  log "adding target thumbv7em-none-eabihf"
  rustup target add thumbv7em-none-eabihf
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  log "installing the nightly toolchain (cargo fuzz needs it)"
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
  log "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
log "rust toolchain ready: $(rustc --version); $(rustup run nightly rustc --version)"
