#!/usr/bin/env bash
# The browser suite: every demo account's pages in headless Chromium (crawl, axe-core, the MIIT
# elder-mode numbers on a phone, JavaScript off) and the stories, against the built
# `yiyang serve --demo` on a free port and a fresh data folder. Fails if any rule fails; each
# failure names the page, the role and the rule, with a screenshot and the page's HTML saved in
# the output folder ($YIYANG_BROWSER_OUT, or a temporary folder that is printed).
#
#   Tests/browser/run.sh                     # after `swift build`; installs what is missing
#   Tests/browser/run.sh --roles demo_admin  # arguments go to suite.py (--only crawl|stories)
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  echo "== installing Chromium, its driver and CJK fonts from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
fi
# axe-core-python bundles axe-core's axe.min.js (4.4); the suite injects it into each page itself.
for module in selenium:selenium requests:requests axe_core_python:axe-core-python; do
  if ! python3 -c "import ${module%%:*}" 2>/dev/null; then
    echo "== installing ${module#*:} from PyPI"
    python3 -m pip install -q "${module#*:}" >/dev/null
  fi
done

BIN="$(swift build --show-bin-path)/yiyang"
[ -x "$BIN" ] || { echo "build first: swift build" >&2; exit 1; }
PORT="${YIYANG_BROWSER_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
OUT="${YIYANG_BROWSER_OUT:-$(mktemp -d /tmp/yiyang-browser.XXXXXX)}"
mkdir -p "$OUT"
DATA="$(mktemp -d /tmp/yiyang-browser-data.XXXXXX)"
YIYANG_DATA_DIR="$DATA" LOG_LEVEL=notice "$BIN" serve --demo --port "$PORT" >"$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "the server did not start:"; tail -30 "$OUT/serve.log"; exit 1; }

echo "== browser suite against http://127.0.0.1:$PORT (output in $OUT)"
status=0
python3 Tests/browser/suite.py "http://127.0.0.1:$PORT" --out "$OUT" --serve-log "$OUT/serve.log" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "== the browser suite failed; screenshots and pages in $OUT"
  grep -E "^\[.*(error|critical)" "$OUT/serve.log" | tail -20 || true
fi
exit "$status"
