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
sh scripts/setup.sh

GST_PLUGIN_PATH="$(pwd)/build/gst/fdpass${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
exec build/examples/hls-demo/fdpass-hls-demo "$@"
