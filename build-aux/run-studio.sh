#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# README command 1: installs the dependencies, builds, and starts Dinomaly
# Studio from the build folder (no installation needed).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash build-aux/install-deps.sh
if [ ! -f build/build.ninja ]; then
  # a release build with the packaged options (the Flatpak manifest's): a
  # warning of a newer compiler never stops it
  mapfile -t options < <(python3 build-aux/release-options.py)
  meson setup build "${options[@]}"
fi
ninja -C build

export GSETTINGS_SCHEMA_DIR="$root/build/resources${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
exec "$root/build/app/dinomaly-studio" "$@"
