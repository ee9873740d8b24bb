#!/bin/sh
# Installs the dependencies, builds, and runs the whole test suite from the
# build tree. Prints a closing "N passed, N failed" line.
set -eu

cd "$(dirname "$0")/.."
# the tests also make streams and test patterns with ffmpeg, overlay
# clocks with gstreamer1.0-x's timeoverlay, check the API reference with
# gtk-doc-tools (docs/libs-documented), and run bench/footprint.py's
# cachegrind measurement with valgrind (bench/footprint)
FDPASS_EXTRA_PACKAGES="ffmpeg gstreamer1.0-x gtk-doc-tools valgrind" \
  sh scripts/setup.sh

log=build/meson-logs/test-summary.txt
status=0
meson test -C build --print-errorlogs --num-processes 2 "$@" 2>&1 | tee "$log" || status=$?
# tee hides meson's exit status in plain sh: read it from the summary instead
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
timeout=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
skipped=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
ok=${ok:-0}; fail=${fail:-0}; timeout=${timeout:-0}; skipped=${skipped:-0}
fail=$((fail + timeout))
echo "tests: $ok passed, $fail failed, $skipped skipped"
if [ "$ok" -eq 0 ] || [ "$fail" -ne 0 ]; then
  exit 1
fi
exit 0
