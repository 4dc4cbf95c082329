#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Configures and compiles the project with exactly the options of the
# Flatpak manifest's dinomaly-studio module (the release build a packager
# makes), offline and without flatpak-builder, then installs it into a
# temporary DESTDIR: a warning a newer toolchain adds must not stop it, and
# nothing of the developer's build folder is reused. README command 1
# (build-aux/run-studio.sh) configures with the same options
# (build-aux/release-options.py), and CI proves it from a fresh clone
# (build-aux/check-readme-start.sh), so run-tests.sh leaves this suite out;
# `meson test -C build --suite release` runs it.
# Usage: test-flatpak-build.sh SOURCE_ROOT MANIFEST
set -uo pipefail

src=$1 manifest=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/dinomaly-flatpak-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

mapfile -t opts < <(python3 "$src/build-aux/release-options.py" "$manifest")
[ ${#opts[@]} -gt 0 ] || { echo "not ok - no config-opts read from $manifest"; exit 1; }
echo "# manifest options: ${opts[*]} (prefix /app as flatpak-builder sets it)"

if ! meson setup "$work/build" "$src" --prefix=/app "${opts[@]}" >"$work/setup.log" 2>&1; then
  cat "$work/setup.log"
  echo "not ok 1 - meson setup with the manifest's options"
  exit 1
fi
echo "ok 1 - meson setup with the manifest's options"
if ! ninja -C "$work/build" >"$work/build.log" 2>&1; then
  grep -E 'error|warning' "$work/build.log" | head -40
  echo "not ok 2 - compiles with the manifest's options"
  exit 1
fi
warnings=$(grep -c 'warning:' "$work/build.log")
echo "ok 2 - compiles with the manifest's options ($warnings warnings)"
if ! DESTDIR="$work/dest" meson install -C "$work/build" --no-rebuild >"$work/install.log" 2>&1; then
  tail -20 "$work/install.log"
  echo "not ok 3 - installs under /app"
  exit 1
fi
for f in /app/bin/dinomaly-studio /app/bin/dinomaly; do
  [ -x "$work/dest$f" ] || { echo "not ok 3 - $f is missing"; exit 1; }
done
echo "ok 3 - installs under /app"
"$work/dest/app/bin/dinomaly" --version >/dev/null || { echo "not ok 4 - dinomaly --version"; exit 1; }
echo "ok 4 - the installed command line runs"
echo "1..4"
