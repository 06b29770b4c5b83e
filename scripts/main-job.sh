#!/usr/bin/env bash
# The main job of `make run`: the store benchmark, reduced (--quick), lancepool's three modes side by side
# with official LanceDB 0.31.0, in a fresh temporary database. $1 = the build directory.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
export LP_SOURCE_DIR="$here"
exec "$build/lancepool" bench --quick --csv "$build/bench-store.csv" --png "$build/bench-store.png"
