#!/bin/sh
# Installs the dependencies, builds, and runs the main job: an HLS stream
# (one it generates and serves on 127.0.0.1 when no URL is given) is decoded
# in this process and sent through fdpay ! multisocketsink to an isolated
# analysis process (socketsrc/unixsocketsrc ! fddepay) that detects black,
# colour bars and motion; the analysis process is restarted if it dies or
# hangs. Prints a progress line and, at the end, the detected timeline.
#
#   ./scripts/demo.sh                 # the generated stream
#   ./scripts/demo.sh https://.../index.m3u8
#   ./scripts/demo.sh --help
set -eu

cd "$(dirname "$0")/.."

# the options of examples/hls-demo/fdpass-hls-demo.c (tests/examples/demo_help.py
# checks that this text names the same ones)
usage () {
  cat <<'EOF'
Usage: ./scripts/demo.sh [OPTION...] [URL]

Installs what is missing (apt-get), builds into ./build, then analyses the HLS
stream at URL in a separate, supervised process (without a URL: a generated
16 s stream of black, SMPTE bars, moving content and black again).

Options (of build/examples/hls-demo/fdpass-hls-demo; once it is built,
./scripts/demo.sh --help shows its own help):
  --analyzer=PATH          the analysis program
  --snapshot-dir=DIR       where snapshots and summary.json go
  --max-restarts=N         give up after N restarts of the analysis (-1: never)
  --keep                   keep the generated stream's directory
  -q, --quiet              no progress line and no live state lines
  --json                   JSON lines on stdout instead of the timeline
  --realtime               send frames at the pace of their timestamps
  --seqpacket              use a SOCK_SEQPACKET socketpair
  --remote=HOST:PORT       analyse on another host (fdpass-analyze --listen)
  --watchdog=SECONDS       the analysis exits after this long without a frame
  --max-memory=MB          memory limit of the analysis process
  --timeout=SECONDS        give up when the first frame takes longer
  --http-timeout=SECONDS   give up on an HTTP request after this long
  --demux=NAME             hlsdemux (the default) or hlsdemux2
  --variant=N|WIDTHxHEIGHT|BANDWIDTH
                           analyse this variant of a master playlist
  --no-relay               let the demuxer fetch a live stream's playlists
                           itself (it then misses the last segments)
  --max-timeline=N         keep the last N state changes for the end
  -h, --help               this help

Exit status: 0 when the stream reached its end and a state was detected,
1 on errors, 2 on usage errors.
EOF
}

# help needs neither apt-get nor a build
for arg in "$@"; do
  case "$arg" in
    -h|--help|--help-all|--help-gst)
      if [ -x build/examples/hls-demo/fdpass-hls-demo ]; then
        exec build/examples/hls-demo/fdpass-hls-demo "$arg"
      fi
      usage
      exit 0 ;;
  esac
done

sh scripts/setup.sh

GST_PLUGIN_PATH="$(pwd)/build/gst/fdpass${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
exec build/examples/hls-demo/fdpass-hls-demo "$@"
