#!/bin/sh
# Installs the dependencies, builds, and runs the main job: a producer
# process that sends video frames through fdpay ! multisocketsink to a
# consumer process (socketsrc ! fddepay) it spawns, which prints one line
# per frame it read from the producer's memfds.
set -eu

cd "$(dirname "$0")/.."
sh scripts/setup.sh

GST_PLUGIN_PATH="$(pwd)/build/gst/fdpass${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
exec build/examples/fdpass-two-process "$@"
