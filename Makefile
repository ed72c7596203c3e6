# tidings: every entry point. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
export CARGO_TERM_COLOR ?= never
FUZZ_SECONDS ?= 30

.PHONY: help test demo setup setup-servers lint unit servers-selftest e2e nostd-check

help:
	@echo "make demo         the reference server and two scripted users (start here)"
	@echo "make test         every test, lint and check (what CI runs)"
	@echo "make bench        codec throughput benchmark (medians, never a test)"
	@echo "make fuzz         run the fuzz target for FUZZ_SECONDS (default 30)"
	@echo "make nostd-check  build the bare-metal no-allocator proof"

## demo: installs what it needs, starts the reference server, runs two scripted users
## through a chat, a notification and a server restart, prints a timeline, stops the
## server and exits 0.
demo: setup-servers
	cargo run --quiet --release -p tidings-host --bin tidings-demo

## test: installs what it needs, then runs every check and test. Every server a test
## needs is started by that test on a free loopback port and stopped when it ends.
test: setup setup-servers lint unit servers-selftest nostd-check fuzz
	@echo "make test: all checks passed"

setup:
	./scripts/setup-rust.sh

setup-servers:
	./scripts/setup-servers.sh

lint:
	cargo fmt --all --check
	cargo fmt --manifest-path checks/nostd/Cargo.toml --check
	cargo fmt --manifest-path fuzz/Cargo.toml --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --manifest-path checks/nostd/Cargo.toml --target thumbv7em-none-eabihf -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

## unit: every Rust test of the workspace, the end-to-end tests against both servers
## included (host/tests/e2e.rs).
unit: setup-servers
	cargo test --workspace
	@# The conformance and scenario replays again, showing how much they replayed.
	cargo test -p tidings --test conformance -- --show-output 2>&1 | grep -E "replayed|test result"
	cargo test -p tidings --test scenarios --test app_scenarios -- --show-output 2>&1 | grep -E "replayed|test result"

## The reference servers' own tests (socket.io-client against the npm server; the
## python peer's self-test).
servers-selftest: setup-servers
	cd tests/server && npm test
	tests/pyserver/.venv/bin/python tests/pyserver/selftest.py

## The end-to-end tests alone.
e2e: setup-servers
	cargo test -p tidings-host --test e2e

## The no-allocator proof: fails with "no global memory allocator found" if anything in
## the core's dependency graph links `alloc`. See checks/nostd/src/lib.rs.
nostd-check:
	cargo build --manifest-path checks/nostd/Cargo.toml --target thumbv7em-none-eabihf --release
	@echo "nostd-check: tidings links for thumbv7em-none-eabihf with no global allocator"

## bench: codec throughput on the generated corpus (reports only; never fails on speed).
## The corpus is regenerated when missing or when its generator changed.
.PHONY: bench fuzz
BENCH_CORPUS := bench/corpus/corpus.jsonl

bench: $(BENCH_CORPUS)
	cargo run --profile codec-bench -p tidings-bench --bin codec -- $(BENCH_CORPUS)

$(BENCH_CORPUS): bench/gen_corpus.py
	mkdir -p $(dir $@)
	python3 bench/gen_corpus.py --out $@

## fuzz: builds the decode_frames target, then runs it for FUZZ_SECONDS on a fresh
## scratch corpus copied from the seeds (fuzz/corpus/ is gitignored; seeds stay clean).
FUZZ_SCRATCH := fuzz/corpus/decode_frames

fuzz:
	cd fuzz && cargo +nightly fuzz build decode_frames
	rm -rf $(FUZZ_SCRATCH)
	mkdir -p $(FUZZ_SCRATCH)
	cp fuzz/seeds/decode_frames/* $(FUZZ_SCRATCH)/
	cd fuzz && cargo +nightly fuzz run decode_frames corpus/decode_frames -- -max_total_time=$(FUZZ_SECONDS)
