#!/usr/bin/env bash
# Renders an HTML report in headless Chromium: writes a screenshot and checks
# that the page loads without errors and that its DOM holds the SVG figures.
#
# Usage: scripts/check-report.sh REPORT.html [SCREENSHOT.png] [MIN_SVGS]
#   SCREENSHOT defaults to REPORT.png beside the report; MIN_SVGS to 1.
#   CHECK_REPORT_WINDOW=W,H overrides the window size (default 1280,2400),
#   e.g. 1280,3400 to capture a whole long report.
# Needs chromium (Debian: apt-get install -y chromium).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
    echo "usage: $0 REPORT.html [SCREENSHOT.png] [MIN_SVGS]" >&2
    exit 2
fi
report=$1
[[ -f "$report" ]] || { echo "error: no such file: $report" >&2; exit 2; }
abs=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
shot=${2:-${abs%.html}.png}
min_svgs=${3:-1}

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then browser=$candidate; break; fi
done
[[ -n "$browser" ]] || { echo "error: chromium not found (apt-get install -y chromium)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --enable-logging=stderr --v=0
       --user-data-dir="$work/profile" --window-size="${CHECK_REPORT_WINDOW:-1280,2400}")

# Chromium prints harmless noise (dbus, GPU, fontconfig) on stderr; only
# errors about the page itself count: console errors, uncaught exceptions,
# failed loads.
page_errors() {
    grep -E ":CONSOLE.*([Ee]rror|[Ff]ailed)|Uncaught|net::ERR_|Failed to load" "$1" || true
}

# A self-contained report fetches nothing: no remote src/href/url().
if grep -Eq "(src|href)=[\"']?(https?:)?//|url\((['\"])?(https?:)?//" "$report"; then
    echo "error: $report references external resources:" >&2
    grep -Eo "(src|href)=[\"']?(https?:)?//[^\"' >]*|url\((['\"])?(https?:)?//[^)]*" "$report" | head -5 >&2
    exit 1
fi

rm -f "$shot"
if ! "$browser" "${flags[@]}" --screenshot="$shot" "file://$abs" >"$work/shot.out" 2>"$work/shot.err"; then
    echo "error: chromium failed to take the screenshot:" >&2
    cat "$work/shot.err" >&2
    exit 1
fi
[[ -s "$shot" ]] || { echo "error: no screenshot written to $shot" >&2; cat "$work/shot.err" >&2; exit 1; }

if ! "$browser" "${flags[@]}" --dump-dom "file://$abs" >"$work/dom.html" 2>"$work/dom.err"; then
    echo "error: chromium failed to dump the DOM:" >&2
    cat "$work/dom.err" >&2
    exit 1
fi

errors=$( { page_errors "$work/shot.err"; page_errors "$work/dom.err"; } )
if [[ -n "$errors" ]]; then
    echo "error: chromium reported page errors:" >&2
    echo "$errors" >&2
    exit 1
fi

svgs=$( { grep -o "<svg" "$work/dom.html" || true; } | wc -l)
if (( svgs < min_svgs )); then
    echo "error: the rendered DOM has $svgs <svg> element(s), expected at least $min_svgs" >&2
    exit 1
fi
if ! grep -q "</html>" "$work/dom.html"; then
    echo "error: the dumped DOM is incomplete" >&2
    exit 1
fi

echo "ok: $abs rendered, $svgs <svg> element(s) in the DOM, screenshot $shot ($(wc -c <"$shot") bytes)"
