#!/usr/bin/env bash
# A build tuned for AVX2 must refuse to start on an older CPU with one clear line and exit
# status 2 (not die of an illegal instruction), and must run on an AVX2 CPU. Both CPUs are
# emulated by qemu-user (Debian's qemu-user): Nehalem (SSE4.2, no AVX) and Haswell.
#
#   bash Tests/cpu/cpu-check-test.sh .build/debug/meek
set -uo pipefail
meek="$1"
passed=0; failed=0
pass() { echo "  ok: $*"; passed=$((passed + 1)); }
fail() { echo "  FAIL: $*"; failed=$((failed + 1)); }

out="$(qemu-x86_64 -cpu Nehalem "$meek" model 2>&1)"; status=$?
if [ "$status" -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ "$out" == *"lacks it"*"PORTABLE=1"* ]]; then
  pass "on a Nehalem CPU: exit 2 with one line: $out"
else
  fail "on a Nehalem CPU: exit $status: $out"
fi
out="$(qemu-x86_64 -cpu Haswell "$meek" model --json 2>&1)"; status=$?
if [ "$status" -eq 0 ] && [[ "$out" == *"peak_time"* ]]; then pass "on a Haswell CPU: runs (exit 0)"; else fail "on a Haswell CPU: exit $status: ${out:0:300}"; fi

echo "cpu check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
