#!/bin/sh
# Runs the test suite under a sanitizer or valgrind, or the fuzz harnesses,
# each in its own build directory next to ./build. docs/testing.md explains
# every mode, what GStreamer needs under it and how long it takes.
#
# usage: scripts/sanitize.sh MODE [ARGS...]
#
#   asan      ASan + UBSan (gcc), the whole suite: build-asan, --setup asan
#   tsan      TSan (gcc), the multi-client suites: build-tsan, --setup tsan
#   valgrind  memcheck, the gst-check suites: build, --setup valgrind
#   fuzz      libFuzzer (clang): build-fuzz; ARGS: HARNESS [SECONDS [JOBS]]
#             with HARNESS protocol or fddepay (default: both, 60 s each)
#
# For asan, tsan and valgrind, ARGS are passed to meson test (test names,
# --repeat, -v ...). The script installs missing Debian packages like
# scripts/setup.sh: clang and libclang-rt-14-dev for fuzz, valgrind for
# valgrind.
set -eu

cd "$(dirname "$0")/.."

mode=${1:-}
[ $# -gt 0 ] && shift

need_packages () {
  missing=""
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
      missing="$missing $p"
    fi
  done
  if [ -n "$missing" ]; then
    echo "sanitize: installing$missing" >&2
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      --no-install-recommends $missing >/dev/null
  fi
}

# configure DIR once with the given options, reconfigure it afterwards;
# with GObject cast checks, which optimized builds leave out; without the
# API reference, whose scanner runs a program that would need
# the sanitizer runtime preloaded (build has it)
configure () {
  dir=$1
  shift
  # --reconfigure rather than meson configure: it reads options added since
  reconfigure=
  [ -f "$dir/build.ninja" ] && reconfigure=--reconfigure
  meson setup $reconfigure "$dir" --wrap-mode=nodownload -Ddoc=disabled \
      -Dgobject-cast-checks=enabled "$@" >/dev/null
  ninja -C "$dir" >/dev/null
}

# the registries remember plugins that failed to load, e.g. when a
# sanitized plugin was scanned without the runtime preloaded
drop_registries () {
  find "$1" -name '*.registry' -delete
}

# the suites whose elements serve several clients from several threads
MULTI_CLIENT="elements/unixsocketsink pipelines/unixsocket pipelines/socketpair
  pipelines/trust"

case "$mode" in
  asan)
    sh scripts/setup.sh
    CC=gcc configure build-asan -Db_sanitize=address,undefined \
      -Db_lundef=false \
      "-Dc_args=['-fno-omit-frame-pointer','-fno-sanitize=alignment']"
    drop_registries build-asan
    exec meson test -C build-asan --setup asan --print-errorlogs \
      --num-processes 2 "$@"
    ;;
  tsan)
    sh scripts/setup.sh
    CC=gcc configure build-tsan -Db_sanitize=thread -Db_lundef=false \
      -Dexamples=disabled "-Dc_args=['-fno-omit-frame-pointer']"
    drop_registries build-tsan
    if [ $# -eq 0 ]; then set -- $MULTI_CLIENT; fi
    exec meson test -C build-tsan --setup tsan --print-errorlogs \
      --num-processes 1 "$@"
    ;;
  valgrind)
    sh scripts/setup.sh
    need_packages valgrind
    # the gst-check suites: valgrind around python3 tells nothing about us
    if [ $# -eq 0 ]; then
      set -- $(meson test -C build --list 2>/dev/null |
        grep -E '^(libs|elements|pipelines)/')
    fi
    # a failing case hangs the executable at exit under CK_FORK=no: give up
    # after 15 minutes, not the setup's 50
    exec meson test -C build --setup valgrind --print-errorlogs \
      --num-processes 2 --timeout-multiplier 3 "$@"
    ;;
  fuzz)
    sh scripts/setup.sh
    need_packages clang libclang-rt-14-dev
    CC=clang configure build-fuzz -Dfuzzing=enabled \
      -Db_sanitize=address,undefined -Db_lundef=false -Dexamples=disabled \
      "-Dc_args=['-fno-omit-frame-pointer','-gline-tables-only','-fno-sanitize=alignment']"
    harnesses=${1:-protocol fddepay}
    seconds=${2:-60}
    jobs=${3:-1}
    parallel=""
    if [ "$jobs" -gt 1 ]; then parallel="-jobs=$jobs -workers=$jobs"; fi
    status=0
    for h in $harnesses; do
      work=build-fuzz/fuzz-work/$h
      mkdir -p "$work/corpus" "$work/crashes"
      # the seeds stay untouched in the tree; new inputs go to the copy
      cp -n tests/fuzz/corpus/"$h"/* "$work/corpus/"
      echo "sanitize: fuzzing $h for $seconds s; corpus $work/corpus," \
        "findings $work/crashes" >&2
      # in the work directory, where the jobs write their fuzz-N.log
      top=$(pwd)
      (cd "$work" &&
        ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
        LSAN_OPTIONS=suppressions=$top/tests/sanitizers/lsan.supp \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
          "$top"/build-fuzz/tests/fuzz/fuzz-"$h" -max_total_time="$seconds" \
            $parallel -print_final_stats=1 -artifact_prefix=crashes/ \
            corpus) || status=$?
    done
    exit $status
    ;;
  *)
    sed -n '2,19s/^# \{0,1\}//p' "$0" >&2
    exit 2
    ;;
esac
