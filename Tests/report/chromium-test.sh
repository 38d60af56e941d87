#!/usr/bin/env bash
# Opens a freshly made report.html in headless Chromium (Debian's `chromium`), takes a
# screenshot, and checks that it is not blank and that the page logged nothing to the
# console (no script errors, no failed loads). The checks are first run on a page that is
# broken on purpose, to show they can fail.
#
#   bash Tests/report/chromium-test.sh .build/debug/meek
set -euo pipefail
meek="$(realpath "$1")"
cd "$(dirname "$0")/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
pass() { echo "  ok: $*"; passed=$((passed + 1)); }
fail() { echo "  FAIL: $*"; failed=$((failed + 1)); }

# Screenshot $1 into $2; the browser's log into $3.
shoot() {
  timeout 120 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$work/profile" --enable-logging=stderr --v=0 --window-size=1100,2600 \
    --screenshot="$2" "file://$1" >/dev/null 2>"$3" || true
}

# Console messages and load failures the page caused (Chromium logs them as CONSOLE lines).
page_errors() { grep -E 'CONSOLE|Uncaught|Failed to load resource|ERR_FILE_NOT_FOUND' "$1" || true; }

# Share of non-white pixels and number of distinct colours of a PNG (stdlib only).
png_stats() {
  python3 - "$1" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR":
        width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "unexpected PNG format"
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT": idat += body
raw = zlib.decompress(idat); stride = width * bpp
prev = bytearray(stride); ink = 0; colours = set(); out = bytearray(stride)
for y in range(height):
    f = raw[y * (stride + 1)]; line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
    for i in range(stride):
        a = out[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = (0, a, b, (a + b) // 2, a if pa <= pb and pa <= pc else (b if pb <= pc else c))[f]
        out[i] = (line[i] + pred) & 255
    for x in range(0, stride, bpp * 4):
        px = bytes(out[x:x + 3]); colours.add(px)
        if px != b"\xff\xff\xff": ink += 1
    prev, out = out, bytearray(stride)
print(f"{ink / (height * width / 4):.4f} {len(colours)}")
PY
}

echo "chromium: $(chromium --version 2>/dev/null || echo 'not installed')"

# 1. The checks catch a broken page: a script error and a missing image, and a blank page.
cat > "$work/broken.html" <<'HTML'
<!DOCTYPE html><html><body><script>console.error("broken on purpose"); undefinedFunction();</script><img src="missing.png"></body></html>
HTML
shoot "$work/broken.html" "$work/broken.png" "$work/broken.log"
if [ -n "$(page_errors "$work/broken.log")" ]; then pass "a page with a script error is caught"; else fail "the console check missed a script error"; fi
read -r ink colours < <(png_stats "$work/broken.png")
if python3 -c "import sys; sys.exit(0 if $ink < 0.002 else 1)"; then pass "a blank page is caught (ink $ink)"; else fail "a blank page looked drawn (ink $ink)"; fi

# 2. A real report.
"$meek" run priors/baseline.toml --draws 20000 --out "$work/r" --quiet
"$meek" sensitivity priors/baseline.toml --base 512 --bootstrap 50 --rank-draws 2048 --out "$work/r" --quiet
"$meek" report "$work/r" --trajectory-draws 4000 --quiet
shoot "$work/r/report.html" "$work/report.png" "$work/report.log"
if [ -s "$work/report.png" ]; then pass "screenshot taken ($(stat -c %s "$work/report.png") bytes)"; else fail "no screenshot"; fi
errors="$(page_errors "$work/report.log")"
if [ -z "$errors" ]; then pass "the page logged no errors"; else fail "the page logged: $errors"; fi
read -r ink colours < <(png_stats "$work/report.png")
if python3 -c "import sys; sys.exit(0 if $ink > 0.02 and $colours > 20 else 1)"; then
  pass "the screenshot is not blank (non-white share $ink, $colours colours)"
else
  fail "the screenshot looks blank (non-white share $ink, $colours colours)"
fi
if [ -n "${MEEK_SCREENSHOT:-}" ]; then cp "$work/report.png" "$MEEK_SCREENSHOT"; fi

echo "chromium: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
