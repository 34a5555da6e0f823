#!/usr/bin/env bash
# The dependency suite (scripts/test.sh runs it; CI too):
#   1. cargo-deny (pinned version, installed with `cargo install --locked` when missing: a few minutes on 2 cores)
#      checks Cargo.lock against deny.toml, offline: RustSec advisories from the snapshot in shared/advisory-db
#      (any vulnerability fails; unmaintained/unsound/yanked fail unless listed in deny.toml with a reason),
#      licences against the allow-list, duplicate versions (listed as warnings), sources (crates.io only);
#   2. THIRD_PARTY.md is what scripts/deps.py generates from Cargo.lock;
#   3. the SBOM that deploy.sh stores (scripts/sbom.sh) lists every shipped crate of Cargo.lock with its version.
# Fails (exit 1) when cargo-deny cannot be installed or the advisory snapshot cannot be found: never skips.
#
# The snapshot: $RR_ADVISORY_DB (a copy of the RustSec advisory-db: crates/, rust/), else shared/advisory-db beside
# this checkout or at /work/shared. It is copied to $CARGO_TARGET_DIR/advisory-dbs (default target/) and committed
# there as a git repository, as cargo-deny wants; nothing is fetched.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CARGO_DENY_VERSION=0.20.2
fail() { printf 'deps-check: FAILED: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------- cargo-deny
if ! cargo deny --version 2>/dev/null | grep -qx "cargo-deny $CARGO_DENY_VERSION"; then
  echo "installing cargo-deny $CARGO_DENY_VERSION (cargo install --locked; about 5 minutes on 2 cores)"
  start=$SECONDS
  cargo install --locked --quiet cargo-deny --version "=$CARGO_DENY_VERSION" \
    || fail "cargo install cargo-deny $CARGO_DENY_VERSION failed (crates.io unreachable, or no C toolchain?): the dependency audit cannot run"
  echo "cargo-deny $CARGO_DENY_VERSION installed in $((SECONDS - start)) s"
  cargo deny --version 2>/dev/null | grep -qx "cargo-deny $CARGO_DENY_VERSION" \
    || fail "cargo-deny $CARGO_DENY_VERSION was installed but \`cargo deny --version\` does not report it (is ~/.cargo/bin on PATH?)"
fi

# ---------------------------------------------------------------------------------------------- advisory snapshot
snapshot=''
for candidate in "${RR_ADVISORY_DB:-}" "$ROOT/../shared/advisory-db" /work/shared/advisory-db; do
  if [ -n "$candidate" ] && [ -d "$candidate/crates" ]; then snapshot=$(cd "$candidate" && pwd); break; fi
done
[ -n "$snapshot" ] || fail "no RustSec advisory snapshot (set RR_ADVISORY_DB, or put shared/advisory-db beside the checkout)"
snapshot_date=$(grep -o '([0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\})' "$snapshot/README.md" 2>/dev/null | head -1 | tr -d '()' || true)
snapshot_commit=$(grep -o '[0-9a-f]\{40\}' "$snapshot/README.md" 2>/dev/null | head -1 || true)

db_root=${CARGO_TARGET_DIR:-$ROOT/target}/advisory-dbs
# cargo-deny looks for each of deny.toml's db-urls in db-path/<last path segment>-<xxhash64 of the url>; this is
# the directory for https://github.com/rustsec/advisory-db with cargo-deny 0.20.
db_dir=$db_root/advisory-db-3157b0e258782691
rm -rf "$db_root"
mkdir -p "$db_dir"
cp -R "$snapshot/." "$db_dir/"
(
  cd "$db_dir"
  export GIT_AUTHOR_NAME=deps-check GIT_AUTHOR_EMAIL=deps-check@localhost
  export GIT_COMMITTER_NAME=deps-check GIT_COMMITTER_EMAIL=deps-check@localhost
  # Dated as the snapshot, so `git log` in there tells its age (cargo-deny's own staleness check reads the HEAD
  # file's mtime, i.e. now: it cannot tell a stale snapshot, so the age is printed below).
  if [ -n "$snapshot_date" ]; then export GIT_AUTHOR_DATE="${snapshot_date}T00:00:00Z" GIT_COMMITTER_DATE="${snapshot_date}T00:00:00Z"; fi
  git init -q -b main . && git add -A . && git commit -q -m "RustSec advisory-db snapshot ${snapshot_commit:-unknown}"
) || fail "could not prepare the advisory database in $db_dir"
advisories=$(find "$db_dir/crates" "$db_dir/rust" -name 'RUSTSEC-*.md' | wc -l)
age=''
if [ -n "$snapshot_date" ]; then age=" ($(( ($(date -u +%s) - $(date -u -d "$snapshot_date" +%s)) / 86400 )) days old)"; fi
echo "advisory database: $snapshot, commit ${snapshot_commit:-?} of ${snapshot_date:-?}$age, $advisories advisories"
[ "$advisories" -gt 100 ] || fail "the advisory snapshot in $snapshot holds only $advisories advisories"

# ---------------------------------------------------------------------------------------------- cargo deny
status=0
echo "==> cargo deny check (advisories; bans, licenses, sources), offline"
# --frozen (= --locked --offline): nothing is fetched, neither the advisory database nor crates, so download the
# crates of every platform in Cargo.lock first (cargo metadata reads their manifests; a no-op when cached).
cargo fetch --locked --quiet || fail "cargo fetch --locked failed"
export RR_ADVISORY_DB_ROOT=$db_root
# Advisories at log level info: the ones deny.toml lists are printed too (as notes, with the path that pulls them
# in). Then the rest, without inclusion graphs: one warning per crate with several versions in the tree.
cargo deny --frozen --color never -L info check --show-stats advisories 2>&1 | tee "$db_root/cargo-deny.log" || status=1
cargo deny --frozen --color never check --show-stats --hide-inclusion-graph bans licenses sources 2>&1 \
  | tee -a "$db_root/cargo-deny.log" || status=1
# An ignore in deny.toml that no longer matches (e.g. after the bump that removes lru 0.16) is stale policy.
if grep -q 'advisory-not-detected\|no crate matched advisory criteria' "$db_root/cargo-deny.log"; then
  echo "deps-check: deny.toml ignores an advisory that no crate triggers any more: remove it from the policy"; status=1
fi

# ---------------------------------------------------------------------------------------------- notices, SBOM
echo "==> THIRD_PARTY.md against Cargo.lock"
python3 scripts/deps.py notices --check || status=1
echo "==> SBOM (scripts/sbom.sh, as deploy.sh stores it) against Cargo.lock"
scripts/sbom.sh generate "$db_root/sbom.cdx.json" || status=1

[ "$status" -eq 0 ] || fail "see above"
echo "deps-check: ok"
