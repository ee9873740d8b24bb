#!/bin/sh
# Installs what gst-fdpass needs on Debian 12 (as root, with apt-get) and
# builds it with meson into ./build; FDPASS_EXTRA_PACKAGES names more
# packages to install (scripts/test.sh: what the tests use). Safe to run again: it only installs
# missing packages and only reconfigures an existing build directory.
set -eu

cd "$(dirname "$0")/.."

# what debian/ needs beyond the packages below (its Build-Depends), for the
# packaging/deb test, which builds the .debs. FDPASS_PACKAGING_PACKAGES=
# leaves it out.
PACKAGING_PACKAGES=${FDPASS_PACKAGING_PACKAGES-"debhelper"}

PACKAGES="build-essential meson ninja-build pkg-config
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  python3 python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  python3-numpy gobject-introspection libgirepository1.0-dev
  $PACKAGING_PACKAGES ${FDPASS_EXTRA_PACKAGES:-}"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "gst-fdpass: installing$missing" >&2
  if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
  else
    SUDO=
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ -f build/build.ninja ]; then
  meson setup --reconfigure build --wrap-mode=nodownload >/dev/null
else
  meson setup build --wrap-mode=nodownload >/dev/null
fi
ninja -C build >/dev/null
echo "gst-fdpass: built in $(pwd)/build" >&2
