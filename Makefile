# tidings: every entry point. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
export CARGO_TERM_COLOR ?= never
FUZZ_SECONDS ?= 30

.PHONY: help test setup lint unit conformance nostd-check

help:
	@echo "make test         every test, lint and check (what CI runs)"
	@echo "make bench        codec throughput benchmark (medians, never a test)"
	@echo "make fuzz         run the fuzz target for FUZZ_SECONDS (default 30)"
	@echo "make nostd-check  build the bare-metal no-allocator proof"

## test: installs what it needs, then runs every check and test.
test: setup lint unit nostd-check fuzz
	@echo "make test: all checks passed"

setup:
	./scripts/setup-rust.sh

lint:
	cargo fmt --all --check
	cargo fmt --manifest-path checks/nostd/Cargo.toml --check
	cargo fmt --manifest-path fuzz/Cargo.toml --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --manifest-path checks/nostd/Cargo.toml --target thumbv7em-none-eabihf -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

unit:
	cargo test --workspace
	@# The conformance replay again, showing how many vectors it replayed.
	cargo test -p tidings --test conformance -- --show-output 2>&1 | grep -E "replayed|test result"

## The no-allocator proof: fails with "no global memory allocator found" if anything in
## the core's dependency graph links `alloc`. See checks/nostd/src/lib.rs.
nostd-check:
	cargo build --manifest-path checks/nostd/Cargo.toml --target thumbv7em-none-eabihf --release
	@echo "nostd-check: tidings links for thumbv7em-none-eabihf with no global allocator"
