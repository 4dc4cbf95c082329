#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# README command 2: installs the dependencies, builds, and runs every test:
# the full build (backend, CLI, window under Xvfb + D-Bus) and the backend
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Ends with "N passed, N failed" counted from Meson's test logs.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash build-aux/install-deps.sh || { echo "dependency installation failed"; exit 1; }

jobs=$(nproc)
status=0

setup () {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null || meson setup --wipe "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

setup build -Dbuildtype=debugoptimized -Dwerror=true || exit 1
ninja -C build -j "$jobs" || exit 1

# Backend-only sanitizer build: the GTK stack is not built with sanitizers,
# the engine is what must be clean.
setup build-asan -Dbuildtype=debug -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dapp=false || exit 1
ninja -C build-asan -j "$jobs" || exit 1

run_display () {
  # Window tests need a display and a session bus; provide both unless the
  # caller already has them.
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- "$@"
  elif [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
    dbus-run-session -- "$@"
  else
    "$@"
  fi
}

# The release suite is a second release build with the Flatpak manifest's
# options: .ci/run proves that build with README command 1 from a fresh
# clone (the same options), so it is not run twice here.
run_display meson test -C build --no-suite release --print-errorlogs --num-processes "$jobs" "${@}" || status=1
meson test -C build-asan --suite backend --suite cli --suite package --print-errorlogs --num-processes "$jobs" || status=1

python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
