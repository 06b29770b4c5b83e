#!/usr/bin/env bash
# `make bench`: every benchmark program, one after another.
set -euo pipefail
build=${1:-build}
for b in "$build"/*_bench; do
  echo "== $(basename "$b")"
  "$b"
done
