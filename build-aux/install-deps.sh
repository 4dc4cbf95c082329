#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages Dinomaly Studio needs to build, run and test.
# Idempotent: when every package is present it only checks and returns.
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

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
