#!/usr/bin/env bash
# The project's one test command: installs what the tests need, then runs the whole suite
# (format check, clippy, tests). Works on a fresh Debian 12 machine with only the Rust
# toolchain, as root or with sudo, with no stdin and with CI=true.
#
#   bash scripts/test.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages the tests need, as "command:package" pairs: the package is installed only
# when the command is missing. The live tests run real Prometheus and Alertmanager, and
# make a private CA with openssl for the TLS test.
NEEDED_PACKAGES=(
    prometheus:prometheus
    promtool:prometheus
    prometheus-alertmanager:prometheus-alertmanager
    openssl:openssl
)

step() {
    printf '\n==> %s\n' "$*"
}

fail() {
    printf '\nFAILED: %s\n' "$*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        fail "need root (or sudo) to run: $*"
    fi
}

install_missing_packages() {
    local missing=() entry cmd pkg
    for entry in "${NEEDED_PACKAGES[@]+"${NEEDED_PACKAGES[@]}"}"; do
        cmd="${entry%%:*}"
        pkg="${entry#*:}"
        if ! command -v "$cmd" >/dev/null 2>&1; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "all needed system packages are present"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 \
        || fail "missing packages (${missing[*]}) and no apt-get to install them"
    echo "installing: ${missing[*]}"
    as_root apt-get update </dev/null
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
}

command -v cargo >/dev/null 2>&1 || fail "cargo not found: install the Rust toolchain first"

step "system packages"
install_missing_packages

step "rustfmt and clippy components"
ensure_component() { # ensure_component CARGO_SUBCOMMAND RUSTUP_COMPONENT
    if ! cargo "$1" --version >/dev/null 2>&1; then
        command -v rustup >/dev/null 2>&1 || fail "cargo $1 is missing and there is no rustup"
        rustup component add "$2"
    fi
}
ensure_component fmt rustfmt
ensure_component clippy clippy

# Under CI, snapshot tests compare and never write (insta's own default there; made explicit).
if [ -n "${CI:-}" ]; then
    export INSTA_UPDATE="${INSTA_UPDATE:-no}"
fi

step "cargo fmt --all -- --check"
cargo fmt --all -- --check </dev/null || fail "formatting (run: cargo fmt --all)"

step "cargo clippy --all-targets --locked -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings </dev/null || fail "clippy"

step "cargo test --locked"
cargo test --locked </dev/null || fail "tests"

# Short fuzz runs of every target in fuzz/ (docs/fuzzing.md): a smoke test that the targets
# build and that the easy crashers stay fixed. Long runs are done by hand. cargo-fuzz is
# installed into a cache directory when missing; only when that is impossible is the step
# skipped, and it says so.
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
fuzz_smoke() {
    if ! cargo fuzz --version >/dev/null 2>&1; then
        local root="${CARGO_FUZZ_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/warroom/cargo-fuzz}"
        export PATH="$root/bin:$PATH"
        if ! cargo fuzz --version >/dev/null 2>&1; then
            echo "installing cargo-fuzz into $root"
            if ! cargo install cargo-fuzz --locked --root "$root" </dev/null; then
                echo "SKIPPED: fuzzing (cargo-fuzz could not be installed)"
                return 0
            fi
        fi
    fi
    local target
    for target in $(cd fuzz && cargo fuzz list); do
        echo "fuzz $target for ${FUZZ_SECONDS}s"
        mkdir -p "fuzz/corpus/$target"
        # -Zsanitizer needs a nightly compiler or RUSTC_BOOTSTRAP on stable.
        (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" \
            "corpus/$target" "seeds/$target" -- \
            -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=0 </dev/null) \
            || fail "fuzz target $target found a crash (input saved under fuzz/artifacts/$target/)"
    done
}

if [ "$FUZZ_SECONDS" = "0" ]; then
    step "fuzzing skipped (FUZZ_SECONDS=0)"
else
    step "short fuzz runs (${FUZZ_SECONDS}s per target)"
    fuzz_smoke
fi

step "all checks passed"
