#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Checks the manual pages: groff renders each without a warning, the title
# line carries the project's version, and dinomaly.1 documents every command
# that `dinomaly --help` lists. Skips (77) when groff is not installed.
# Usage: test-man.sh VERSION DINOMALY_BINARY PAGE...
set -uo pipefail

version=$1
dinomaly=$2
shift 2
status=0

if ! command -v groff >/dev/null; then
  echo "1..0 # SKIP groff is not installed (Debian: groff-base)"
  exit 77
fi

n=0
for page in "$@"; do
  name=$(basename "$page")
  n=$((n + 1))
  # -ww: every warning; -z: no output, only diagnostics.
  warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
  if [ $? -ne 0 ] || [ -n "$warnings" ]; then
    echo "not ok $n - $name renders without warnings"
    printf '# %s\n' "$warnings"
    status=1
  else
    echo "ok $n - $name renders without warnings"
  fi

  n=$((n + 1))
  if grep -q "^\.TH .*\"Dinomaly Studio $version\"" "$page"; then
    echo "ok $n - $name is for version $version"
  else
    echo "not ok $n - $name is for version $version (update its .TH line)"
    status=1
  fi

  n=$((n + 1))
  # whatis(1) and apropos(1) read the line after ".SH NAME": "name \- summary".
  if sed -n '/^\.SH NAME$/{n;p;q}' "$page" | grep -Eq '^[a-z\\-]+ \\- .+'; then
    echo "ok $n - $name has a NAME line for whatis"
  else
    echo "not ok $n - $name has a NAME line for whatis"
    status=1
  fi

  if [ "$name" = dinomaly.1 ]; then
    # Commands are the indented lines after "Commands:" in the help text.
    commands=$("$dinomaly" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
    for command in $commands; do
      n=$((n + 1))
      if grep -Eq "^\.BI? $command( |$)" "$page"; then
        echo "ok $n - dinomaly.1 documents '$command'"
      else
        echo "not ok $n - dinomaly.1 documents '$command' (listed by dinomaly --help)"
        status=1
      fi
    done
  fi
done
echo "1..$n"
exit $status
