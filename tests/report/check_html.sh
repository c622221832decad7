#!/usr/bin/env bash
# Renders the HTML report of TPC-H Q9 in headless Chromium and fails unless it
# renders: the page loads with no script error or console error, the stage graph,
# timeline and operator table are in the DOM, and the screenshot is not blank.
#
# Usage: tests/report/check_html.sh [SCALE] [OUT_DIR]
#   SCALE    TPC-H scale factor (default 0.1)
#   OUT_DIR  where report.html, report.png and the logs go (default: a temp dir)
# Environment:
#   EMBER=path/to/ember  write the report with the shell
#                        (EXPLAIN ANALYZE (FORMAT html) ..., --format csv) instead of
#                        `cargo run --example html_report`
#   CHROMIUM=...         the browser (default: chromium, chromium-browser or google-chrome)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
scale="${1:-0.1}"
out="${2:-$(mktemp -d)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
report="$out/report.html"

browser="${CHROMIUM:-}"
if [ -z "$browser" ]; then
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null; then browser="$b"; break; fi
  done
fi
[ -n "$browser" ] || { echo "no Chromium found (apt-get install chromium, or set CHROMIUM)" >&2; exit 2; }

# 1. The report.
if [ -n "${EMBER:-}" ]; then
  sql="EXPLAIN ANALYZE (FORMAT html) $(cat "$root/tests/data/tpch/queries/q09.sql")"
  "$EMBER" --tpch "$scale" -c "$sql" --format csv > "$out/report.csv"
  python3 - "$out/report.csv" "$report" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
cells = [c for row in rows for c in row if c.lstrip().startswith("<!DOCTYPE html>")]
if len(cells) != 1:
    sys.exit(f"expected one cell holding the document, found {len(cells)} in {len(rows)} rows")
open(sys.argv[2], "w", encoding="utf-8").write(cells[0])
PY
else
  (cd "$root" && cargo run --quiet --example html_report -- --tpch "$scale" --query q09 --out "$report")
fi
[ -s "$report" ] || { echo "no report written" >&2; exit 1; }
echo "report: $report ($(wc -c < "$report") bytes)"

# 2. The DOM after load, from a copy that records any script error or console
#    error as an attribute of <html>.
probe="$out/probe.html"
python3 - "$report" "$probe" <<'PY'
import sys
html = open(sys.argv[1], encoding="utf-8").read()
hook = ("<script>(function(){var r=document.documentElement;"
        "function note(m){r.setAttribute('data-report-error',String(m));}"
        "window.addEventListener('error',function(e){note(e.message||'error');});"
        "window.addEventListener('unhandledrejection',function(e){note(e.reason);});"
        "var ce=console.error;console.error=function(){note([].join.call(arguments,' '));"
        "return ce.apply(console,arguments);};})();</script>")
if "<head>" not in html:
    sys.exit("no <head> in the report")
open(sys.argv[2], "w", encoding="utf-8").write(html.replace("<head>", "<head>\n" + hook, 1))
PY
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
       --disable-extensions --user-data-dir="$out/profile")
"$browser" "${flags[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=3000 \
  --dump-dom "file://$probe" > "$out/dom.html" 2> "$out/dom.log" || true
python3 - "$out/dom.html" "$out/dom.log" <<'PY'
import re, sys
dom = open(sys.argv[1], encoding="utf-8", errors="replace").read()
log = open(sys.argv[2], encoding="utf-8", errors="replace").read()
problems = []
if not dom.strip():
    problems.append("the browser dumped no DOM")
m = re.search(r'data-report-error="([^"]*)"', dom)
if m:
    problems.append("script error: " + m.group(1))
for line in log.splitlines():
    if "CONSOLE" in line and re.search(r"Uncaught|Error|error", line):
        problems.append("console: " + line.strip())
for needle, what in [('id="stage-dag"', "the stage graph"),
                     ('id="task-timeline"', "the task timeline"),
                     ('class="task-bar', "task bars"),
                     ('class="stage-box', "stage boxes"),
                     ('<tr class="operator"', "operator rows")]:
    if needle not in dom:
        problems.append("missing " + what)
if problems:
    sys.exit("\n".join(problems))
print("dom: %d stage boxes, %d task bars, %d operators, no script errors" % (
    dom.count('class="stage-box'), dom.count('class="task-bar'), dom.count('<tr class="operator"')))
PY

# 3. A screenshot that is not blank.
"$browser" "${flags[@]}" --window-size=1400,1800 --virtual-time-budget=3000 \
  --screenshot="$out/report.png" "file://$report" > "$out/shot.log" 2>&1 || true
python3 - "$out/report.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("no PNG screenshot")
pos, idat, header = 8, b"", None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        header = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
width, height, depth, colour = header[:4]
if depth != 8 or colour not in (2, 6):
    sys.exit(f"unexpected PNG format: depth {depth}, colour type {colour}")
bpp = 3 if colour == 2 else 4
raw, stride = zlib.decompress(idat), width * bpp
prev, rows, i = bytearray(stride), [], 0
for _ in range(height):
    kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    if kind == 1:
        for x in range(bpp, stride): line[x] = (line[x] + line[x - bpp]) & 255
    elif kind == 2:
        for x in range(stride): line[x] = (line[x] + prev[x]) & 255
    elif kind == 3:
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + ((left + prev[x]) >> 1)) & 255
    elif kind == 4:
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line))
    prev = line
background = rows[0][:3]
inked, colours = 0, set()
for line in rows[::4]:
    for x in range(0, stride, bpp * 4):
        px = line[x:x + 3]
        colours.add(px)
        if px != background:
            inked += 1
sampled = len(rows[::4]) * len(range(0, stride, bpp * 4))
share = inked / sampled
print(f"screenshot: {width}x{height}, {share:.1%} of sampled pixels inked, {len(colours)} colours")
if share < 0.02 or len(colours) < 8:
    sys.exit("the screenshot is blank")
PY
echo "ok: $out"
