#!/usr/bin/env bash
# The CLI on every bad input of tests/data/bad/ (made by make_bad.py from the LanceDB sample): `lancepool
# dump` and `lancepool count` must exit 1 with exactly one stderr line starting with "lancepool: " that
# contains the case's expected message (naming the file and what was wrong): never a crash, never exit 0.
# dump streams, so rows of the fragments before the damaged one may come out first; they must be exactly
# the rows the undamaged table has there. (`count` needs only the manifest, so it is checked only for
# cases whose damage is in the manifest or the directory.)
set -uo pipefail
: "${LANCEPOOL:?path of the lancepool binary}" "${LP_SOURCE_DIR:?}" "${LP_TEST_TMP:?}"
out="$LP_TEST_TMP/bad_cli"
mkdir -p "$out"
passed=0
failed=0
check() { # case-name expected-message args...
  local name=$1 msg=$2
  shift 2
  "$LANCEPOOL" "$@" >"$out/stdout" 2>"$out/stderr"
  local status=$?
  if [ "$status" -ne 1 ]; then
    echo "FAIL: $name: exit status $status, expected 1 (lancepool $*): $(head -c 300 "$out/stderr")"
    failed=$((failed + 1))
  elif [ "$(wc -l <"$out/stderr")" -ne 1 ] || ! grep -q '^lancepool: ' "$out/stderr"; then
    echo "FAIL: $name: stderr is not one 'lancepool: ' line: $(head -c 300 "$out/stderr")"
    failed=$((failed + 1))
  elif ! grep -qF -- "$msg" "$out/stderr"; then
    echo "FAIL: $name: stderr lacks \"$msg\": $(cat "$out/stderr")"
    failed=$((failed + 1))
  elif [ -s "$out/stdout" ] && { [ "$1" != dump ] || ! head -c "$(wc -c <"$out/stdout")" "$out/good$good_suffix" | cmp -s - "$out/stdout"; }; then
    echo "FAIL: $name: printed output that is not a prefix of the good table's: $(head -c 200 "$out/stdout")"
    failed=$((failed + 1))
  else
    echo "ok: $name: $(cat "$out/stderr")"
    passed=$((passed + 1))
  fi
}
for dir in "$LP_SOURCE_DIR"/tests/data/bad/*/; do
  [ -f "$dir/expect" ] || continue
  name=$(basename "$dir")
  table=$(sed -n 's/^table=//p' "$dir/expect")
  version=$(sed -n 's/^version=//p' "$dir/expect")
  op=$(sed -n 's/^op=//p' "$dir/expect")
  msg=$(sed -n 's/^message=//p' "$dir/expect")
  # the undamaged sample at the version the case damages (default 4)
  good_version=$(sed -n 's/^good_version=//p' "$dir/expect")
  sample="$LP_SOURCE_DIR/tests/data/sample_v031"
  "$LANCEPOOL" dump "$sample" sample --version "${good_version:-4}" >"$out/good" || exit 1
  "$LANCEPOOL" dump "$sample" sample --version "${good_version:-4}" --columns flag,id >"$out/good.cols" || exit 1
  vargs=()
  [ "$version" != 0 ] && vargs=(--version "$version")
  good_suffix=""
  check "$name dump" "$msg" dump "$dir/db" "$table" "${vargs[@]}"
  good_suffix=".cols"
  check "$name dump --columns" "$msg" dump "$dir/db" "$table" "${vargs[@]}" --columns flag,id
  [ "$op" = open ] && check "$name count" "$msg" count "$dir/db" "$table" "${vargs[@]}"
done
echo "bad inputs (CLI): $passed passed, $failed failed"
[ "$passed" -ge 40 ] && [ "$failed" -eq 0 ]
