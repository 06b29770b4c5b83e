#!/usr/bin/env bash
# The engine's folders are layers (README, Architecture): a file includes headers only of its own folder
# and of the layers beneath it, and a folder's private header (*_int.h) only inside that folder.
set -euo pipefail
src="${LP_SOURCE_DIR:-$(dirname "$0")/../..}/src"
rank() {
  case "$1" in
    common) echo 0 ;; pool | io) echo 1 ;; format) echo 2 ;; table) echo 3 ;; query) echo 4 ;;
    write) echo 5 ;; store) echo 6 ;; cli) echo 7 ;; *) echo -1 ;;
  esac
}
bad=0 checked=0
for file in "$src"/*/*.[ch]; do
  dir=$(basename "$(dirname "$file")")
  own=$(rank "$dir")
  if [ "$own" -lt 0 ]; then
    echo "FAIL: $file is in a folder that is no layer ($dir)"; bad=$((bad + 1)); continue
  fi
  while read -r inc; do
    [ -n "$inc" ] || continue
    idir=${inc%%/*} ihdr=${inc#*/}
    [ "$idir" = lancepool ] && continue
    [ "$idir" = "$inc" ] && continue # generated protobuf headers
    checked=$((checked + 1))
    theirs=$(rank "$idir")
    if [ "$idir" != "$dir" ] && { [ "$theirs" -lt 0 ] || [ "$theirs" -ge "$own" ]; }; then
      echo "FAIL: $dir/$(basename "$file") includes $inc, which is not beneath $dir"; bad=$((bad + 1))
    fi
    if [ "$idir" != "$dir" ] && [[ "$ihdr" == *_int.h ]]; then
      echo "FAIL: $dir/$(basename "$file") includes $inc, private to $idir/"; bad=$((bad + 1))
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done
[ "$checked" -gt 100 ] || { echo "FAIL: only $checked includes found under $src"; exit 1; }
echo "$checked includes checked, $bad out of order"
[ "$bad" -eq 0 ]
