#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the build into a temporary DESTDIR and checks that it is a
# working application: every expected file is there, the installed programs
# run, the schema compiles and is usable, the catalogues translate, and the
# desktop file and metainfo validate and point at what was installed.
# Usage: test-install.sh BUILD_DIR PREFIX BINDIR DATADIR MANDIR LOCALEDIR APP_ID VERSION LINGUAS
# (directories absolute, as configured).
set -uo pipefail

build=$1 prefix=$2 bindir=$3 datadir=$4 mandir=$5 localedir=$6 app_id=$7 version=$8 linguas=$9

dest=$(mktemp -d "${TMPDIR:-/tmp}/dinomaly-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
n=0
status=0

ok () {
  n=$((n + 1))
  echo "ok $n - $1"
}
not_ok () {
  n=$((n + 1))
  echo "not ok $n - $1"
  status=1
}
check () {
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}

if ! meson install -C "$build" --no-rebuild --destdir "$dest" >"$dest.log" 2>&1; then
  not_ok "meson install --destdir succeeds"
  sed 's/^/# /' "$dest.log"
  rm -f "$dest.log"
  echo "1..$n"
  exit 1
fi
rm -f "$dest.log"
ok "meson install --destdir succeeds"

bin=$dest$bindir
data=$dest$datadir
expected=(
  "$bin/dinomaly"
  "$bin/dinomaly-studio"
  "$data/glib-2.0/schemas/$app_id.gschema.xml"
  "$data/applications/$app_id.desktop"
  "$data/metainfo/$app_id.metainfo.xml"
  "$data/icons/hicolor/scalable/apps/$app_id.svg"
  "$data/icons/hicolor/symbolic/apps/$app_id-symbolic.svg"
  "$dest$mandir/man1/dinomaly.1"
  "$dest$mandir/man1/dinomaly-studio.1"
)
for lang in $(grep -v '^#' "$linguas"); do
  expected+=("$dest$localedir/$lang/LC_MESSAGES/dinomaly-studio.mo")
done
for file in "${expected[@]}"; do
  check "installed ${file#"$dest"}" test -s "$file"
done
check "dinomaly is executable" test -x "$bin/dinomaly"
check "dinomaly-studio is executable" test -x "$bin/dinomaly-studio"

# Nothing may land outside the prefix (an absolute install_dir would).
outside=$(cd "$dest" && find . -type f | sed 's|^\.||' | grep -v "^$prefix/" || true)
if [ -z "$outside" ]; then ok "everything is installed under $prefix"; else
  not_ok "everything is installed under $prefix"
  printf '# outside: %s\n' $outside
fi
# Files installed beyond the list above, for the log.
(cd "$dest" && find . -type f | sed 's|^\.||' | sort) | while read -r file; do
  case " ${expected[*]} " in
    *" $dest$file "*) ;;
    *) echo "# also installed: $file" ;;
  esac
done

out=$("$bin/dinomaly" --version 2>&1)
check "installed dinomaly --version says $version" test "$out" = "dinomaly $version"
out=$("$bin/dinomaly" --help 2>&1)
check "installed dinomaly --help shows the usage" grep -q "^Usage: dinomaly COMMAND" <<<"$out"
# GApplication handles --version before it needs a display.
out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$bin/dinomaly-studio" --version 2>&1)
check "installed dinomaly-studio --version says $version" test "$out" = "dinomaly-studio $version"

schemas=$dest/compiled-schemas
mkdir -p "$schemas"
check "installed schema compiles with --strict" \
  glib-compile-schemas --strict --targetdir "$schemas" "$data/glib-2.0/schemas"
if command -v gsettings >/dev/null; then
  keys=$(GSETTINGS_SCHEMA_DIR=$schemas GSETTINGS_BACKEND=memory gsettings list-keys "$app_id" 2>&1)
  for key in window-width window-height window-maximized; do
    check "installed schema has $key" grep -qx "$key" <<<"$keys"
  done
fi

for lang in $(grep -v '^#' "$linguas"); do
  # The catalogue that the installed dinomaly-studio binds (LOCALEDIR).
  got=$(TEXTDOMAINDIR=$dest$localedir LANGUAGE=$lang LC_ALL=C.UTF-8 gettext -d dinomaly-studio "Main Menu")
  check "installed $lang catalogue translates" test "$got" != "Main Menu"
done

desktop=$data/applications/$app_id.desktop
if command -v desktop-file-validate >/dev/null; then
  check "installed desktop file validates" desktop-file-validate "$desktop"
fi
exec_name=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
check "desktop file runs an installed program ($exec_name)" test -x "$bin/$exec_name"
icon=$(sed -n 's/^Icon=//p' "$desktop")
check "desktop file's icon ($icon) is installed" test -s "$data/icons/hicolor/scalable/apps/$icon.svg"
if command -v appstreamcli >/dev/null; then
  check "installed metainfo validates" appstreamcli validate --no-net "$data/metainfo/$app_id.metainfo.xml"
fi
check "metainfo launches the installed desktop file" \
  grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$data/metainfo/$app_id.metainfo.xml"

echo "1..$n"
exit $status
