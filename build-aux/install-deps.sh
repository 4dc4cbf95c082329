#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages Dinomaly Studio needs to build, run and test,
# and ONNX Runtime from npm for the ONNX export tests (see the end).
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config meson ninja-build clang clang-format
  libglib2.0-dev libgtk-4-dev libadwaita-1-dev libjson-glib-dev
  libcairo2-dev libpango1.0-dev
  libdnnl-dev
  libpng-dev libtiff-dev libjpeg-dev
  gettext appstream desktop-file-utils
  xvfb xauth dbus dbus-x11 x11-apps imagemagick
  groff-base
  poppler-utils
  libclang-rt-14-dev
  x11-utils
  # the inspection station: hot folders, cameras, PLCs, MQTT and HTTP
  libsoup-3.0-dev
  libmosquitto-dev mosquitto mosquitto-clients
  libmodbus-dev
  libaravis-dev aravis-tools
  # aravis-0.8.pc requires libusb-1.0.pc, which Debian 12's libaravis-dev
  # does not pull in
  libusb-1.0-0-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-tools
  # ONNX export: the checker (tests); ONNX Runtime comes from npm (below)
  python3-onnx python3-numpy
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# node and npm run ONNX Runtime's npm package: the machine's own when it
# has them, else Debian's
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  for p in nodejs npm; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
fi

if [ ${#missing[@]} -ne 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime (CPU) for the tests that run exported models (tests/export):
# the npm package onnxruntime-node, pinned with its dependencies by
# build-aux/onnxruntime/package-lock.json and installed into
# build-aux/onnxruntime/node_modules/ (ignored by git). Its CPU library
# ships inside the package; its install script only downloads GPU
# binaries, hence --ignore-scripts. A stamp holding the lock file's
# SHA-256 makes a second run return at once. Without it (npm unreachable)
# everything else works and those tests skip, saying why.
ort_dir="$(cd "$(dirname "$0")" && pwd)/onnxruntime"
ort_stamp="$ort_dir/node_modules/.dinomaly-lock.sha256"
ort_lock=$(sha256sum "$ort_dir/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$ort_stamp" 2>/dev/null || true)" != "$ort_lock" ]; then
  echo "Installing ONNX Runtime from npm into $ort_dir/node_modules"
  if (cd "$ort_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); then
    echo "$ort_lock" >"$ort_stamp"
  else
    echo "warning: ONNX Runtime could not be installed from npm: the tests that run exported" \
      "ONNX models in it will skip" >&2
  fi
fi
