#!/usr/bin/env bash
# The engine's folders are layers (README, Architecture): a file includes headers only of its own folder
# and of the layers beneath it, and a folder's private header (*_int.h) only inside that folder.
set -euo pipefail
src="${LP_SOURCE_DIR:-$(dirname "$0")/../..}/src"
declare -A rank=([common]=0 [pool]=1 [io]=1 [format]=2 [table]=3 [query]=4 [write]=5 [store]=6 [cli]=7)
bad=0 checked=0
for file in "$src"/*/*.[ch]; do
  dir=${file%/*} dir=${dir##*/} name=${file##*/}
  own=${rank[$dir]:--1}
  if [ "$own" -lt 0 ]; then
    echo "FAIL: $file is in a folder that is no layer ($dir)"; bad=$((bad + 1)); continue
  fi
  while read -r inc; do
    [ -n "$inc" ] || continue
    idir=${inc%%/*} ihdr=${inc#*/}
    [ "$idir" = lancepool ] && continue
    [ "$idir" = "$inc" ] && continue # generated protobuf headers
    checked=$((checked + 1))
    theirs=${rank[$idir]:--1}
    if [ "$idir" != "$dir" ] && { [ "$theirs" -lt 0 ] || [ "$theirs" -ge "$own" ]; }; then
      echo "FAIL: $dir/$name includes $inc, which is not beneath $dir"; bad=$((bad + 1))
    fi
    if [ "$idir" != "$dir" ] && [[ "$ihdr" == *_int.h ]]; then
      echo "FAIL: $dir/$name includes $inc, private to $idir/"; bad=$((bad + 1))
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done
[ "$checked" -gt 100 ] || { echo "FAIL: only $checked includes found under $src"; exit 1; }
echo "$checked includes checked, $bad out of order"
[ "$bad" -eq 0 ]
