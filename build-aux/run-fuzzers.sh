#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer targets with clang and runs each for SECONDS (default
# 600), two at a time at low priority, with the committed seeds. Corpora
# and crash files go to fuzz-<target>/ (ignored by git). Prints the
# executions of each run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-600}

if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzzers=true -Dapp=false -Db_lundef=false || exit 1
fi
ninja -C build-fuzz tests/fuzz/fuzz-png tests/fuzz/fuzz-tiff tests/fuzz/fuzz-jpeg \
  tests/fuzz/fuzz-bmp tests/fuzz/fuzz-realiad-json tests/fuzz/fuzz-safetensors \
  tests/fuzz/fuzz-pth tests/fuzz/fuzz-journal tests/fuzz/fuzz-rules || exit 1

run () {
  local name=$1; shift
  mkdir -p "fuzz-$name/corpus" "fuzz-$name/crashes"
  nice -n 19 "build-fuzz/tests/fuzz/fuzz-$name" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="fuzz-$name/crashes/" "fuzz-$name/corpus" "$@" >"fuzz-$name/log.txt" 2>&1
  echo "fuzz-$name: exit $?, $(grep -E 'stat::number_of_executed_units' "fuzz-$name/log.txt" | awk '{print $2}') executions in ${seconds} s"
}

run png tests/data/image/corpus tests/data/image/reference &
run jpeg tests/data/image/corpus tests/data/image/reference tests/data/fuzz/jpeg-damaged &
wait
run tiff tests/data/image/corpus tests/data/image/reference &
run safetensors tests/data/fuzz/safetensors &
wait
run pth tests/data/fuzz/pth &
run bmp tests/data/fuzz/bmp &
wait
run realiad-json tests/data/fuzz/realiad-json &
run journal tests/data/fuzz/journal &
wait
run rules tests/data/fuzz/rules &
wait
