#!/usr/bin/env bash
# The main job of `make run`. Until the store exists, it is the pool benchmark.
set -euo pipefail
build=${1:-build}
exec "$build/pool_bench"
