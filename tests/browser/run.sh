#!/usr/bin/env bash
# Browser tests in headless Chromium (Debian's chromium + chromedriver, driven by Selenium from PyPI):
# the lead form with and without JavaScript, screenshots at 1280×800 and 390×844, axe-core accessibility
# checks, the 300 KB first-load budget, layout shift, and "no request leaves the origin".
# Starts its own app (the debug binary cargo built) on a free port with a fresh SQLite file.
# Output: test-output/browser/ (screenshots, axe report).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null
fi
python3 -c 'import selenium, axe_selenium_python, pytest' 2>/dev/null \
  || pip install -q selenium axe-selenium-python pytest 2>&1 | grep -v "Running pip as the 'root'" || true

bin=${RR_BROWSER_BINARY:-${CARGO_TARGET_DIR:-target}/debug/ritual-roast}
[ -x "$bin" ] || cargo build --quiet
work=$(mktemp -d /tmp/rr-browser.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -i PORT="$port" RR_SERVER__HOST=127.0.0.1 RR_DATABASE__SQLITE_PATH="$work/browser.sqlite3" LOG_LEVEL=warn \
  RR_LEADS__RATE_LIMIT_PER_MINUTE=1000 RR_LEADS__RATE_LIMIT_BURST=1000 "$bin" >"$work/app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null; wait $app 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health.html" >/dev/null && break; sleep 0.1; done

mkdir -p test-output/browser
RR_BASE_URL="http://127.0.0.1:$port" RR_DB_FILE="$work/browser.sqlite3" RR_OUTPUT=test-output/browser RR_BIN="$bin" \
  python3 -m pytest -q -p no:cacheprovider tests/browser/test_site.py tests/browser/test_public_site.py tests/browser/test_admin.py
