#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Proves README command 1 as a new user meets it: clones the commit under
# test into an empty folder, runs `bash build-aux/run-studio.sh` there (its
# own release build, with exactly the Flatpak manifest's options: the
# packager's build is proven too), waits for the main window under Xvfb, takes a
# screenshot, closes the application through its `app.quit` action and fails
# if no window appeared or the application did not close.
# Usage: check-readme-start.sh [SCREENSHOT.png]   (run by .ci/run)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shot=${1:-$root/build/screenshots/readme-command-1.png}
limit=${DM_README_START_TIMEOUT:-2400} # seconds for install + build + first frame

if [ -z "${DISPLAY:-}" ] || [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  # A display and a session bus of its own, as a desktop session has.
  exec xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- "$0" "$@"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dinomaly-fresh.XXXXXX")
pid=
cleanup () {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

commit=$(git -C "$root" rev-parse HEAD)
echo "README command 1 from a fresh clone of $commit"
git clone --quiet --no-hardlinks "$root" "$work/dinomaly-studio" || exit 1
git -C "$work/dinomaly-studio" checkout --quiet "$commit" || exit 1

# HOME in the work folder: no settings or recent projects of the machine's user.
mkdir -p "$work/home"
(cd "$work/dinomaly-studio" && HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" \
  XDG_DATA_HOME="$work/home/.local/share" exec bash build-aux/run-studio.sh) \
  >"$work/run-studio.log" 2>&1 &
pid=$!

window=
start=$SECONDS
while [ $((SECONDS - start)) -lt "$limit" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "README command 1 ended before a window appeared; its output:"
    tail -n 40 "$work/run-studio.log"
    exit 1
  fi
  window=$(xwininfo -root -tree 2>/dev/null | awk '/"Dinomaly Studio"/ { print $1; exit }')
  if [ -n "$window" ]; then
    break
  fi
  sleep 2
done
if [ -z "$window" ]; then
  echo "no Dinomaly Studio window after ${limit} s; the last output:"
  tail -n 40 "$work/run-studio.log"
  exit 1
fi
echo "window $window appeared after $((SECONDS - start)) s (install, release build, start)"

# The window exists before it is mapped and drawn (on a busy machine the
# first frame can take a while): photograph the root window until it shows
# something. The application draws client-side decorations, so its window
# is all there is.
mkdir -p "$(dirname "$shot")"
spread=0
drawn=$SECONDS
while [ $((SECONDS - drawn)) -lt 180 ]; do
  sleep 2
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "the application ended before its window was drawn; its output:"
    tail -n 40 "$work/run-studio.log"
    exit 1
  fi
  xwininfo -id "$window" 2>/dev/null | grep -q "IsViewable" || continue
  import -window root "$shot" 2>/dev/null || continue
  spread=$(convert "$shot" -format '%[fx:standard_deviation]' info: 2>/dev/null || echo 0)
  if awk -v s="$spread" 'BEGIN { exit !(s > 0.02) }'; then
    break
  fi
done
if ! awk -v s="$spread" 'BEGIN { exit !(s > 0.02) }'; then
  echo "the window was not drawn within 180 s: the screenshot $shot is blank"
  exit 1
fi
echo "screenshot: $shot (drawn $((SECONDS - drawn)) s after the window appeared)"

gdbus call --session --dest org.dinomaly.Studio --object-path /org/dinomaly/Studio \
  --method org.gtk.Actions.Activate quit '[]' '{}' >/dev/null
for _ in $(seq 1 50); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
if kill -0 "$pid" 2>/dev/null; then
  echo "the application did not close through app.quit"
  exit 1
fi
wait "$pid"
rc=$?
pid=
if [ "$rc" -ne 0 ]; then
  echo "the application exited with status $rc; its output:"
  tail -n 40 "$work/run-studio.log"
  exit 1
fi
echo "README command 1: the window opened and closed cleanly"
