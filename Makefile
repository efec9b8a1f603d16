# The two commands of the README. Both install whatever is missing first (idempotent).
#   make run   – build and start the portal on the embedded SQLite file with the demo city
#   make test  – run every test: clippy (both builds), Rust unit + integration tests and the
#                Playwright suite
#
# Compiled artefacts live outside the clone so repeated runs (and CI) reuse them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/rundschreiben/target
# cargo-leptos picks up wasm-opt from PATH: the npm binaryen (never Debian's, see README).
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export LEPTOS_SITE_ROOT ?= $(CURDIR)/target/site
# Incremental artefacts only help while editing; for these runs they just fill the disk.
export CARGO_INCREMENTAL ?= 0

.PHONY: run test tools build-release lint rust-tests e2e bench

tools:
	./.ci/install-tools

build-release: tools
	cargo leptos build --release
	$(CARGO_TARGET_DIR)/release/server precompress

run: build-release
	$(CARGO_TARGET_DIR)/release/server serve --demo

# Clippy for both builds (server with tests, and the browser's wasm), warnings are errors.
lint: tools
	cargo clippy --workspace --tests -- -D warnings
	cargo clippy -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

rust-tests: tools
	cargo test --workspace

e2e: build-release
	cd end2end && npx playwright test

test: lint rust-tests e2e

# The one benchmark command (see README, "Benchmarks"); results go to BENCHMARKS.md by hand.
bench: tools
	./.ci/bench
