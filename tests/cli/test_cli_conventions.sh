#!/usr/bin/env bash
# Command-line conventions: --version/-V, --help, `help CMD` and `CMD --help` print on stdout and exit 0;
# usage errors go to stderr with exit 2; `create` makes the database directory and its parents.
set -euo pipefail
: "${LANCEPOOL:?}" "${LP_TEST_TMP:?}"
work="$LP_TEST_TMP/cli_conventions"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

# Runs the CLI; sets rc, out, errout.
run() {
  set +e
  "$LANCEPOOL" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  set -e
  out=$(cat "$work/out")
  errout=$(cat "$work/err")
}
expect_ok_stdout() { # what the call was, for messages
  [ "$rc" -eq 0 ] || fail "$1: exit $rc, stderr: $errout"
  [ -n "$out" ] || fail "$1: nothing on stdout"
  [ -z "$errout" ] || fail "$1: wrote to stderr: $errout"
}

version_re='^lancepool [0-9]+\.[0-9]+\.[0-9]+$'
for v in --version -V version; do
  run "$v"
  expect_ok_stdout "lancepool $v"
  [[ "$out" =~ $version_re ]] || fail "lancepool $v printed '$out'"
done

run --help
expect_ok_stdout "lancepool --help"
top_help=$out
commands=$(printf '%s\n' "$top_help" | sed -n 's/^  \([a-z-]*\)  .*/\1/p')
[ "$(printf '%s\n' "$commands" | wc -l)" -ge 15 ] || fail "--help lists too few commands: $commands"
run help
expect_ok_stdout "lancepool help"
[ "$out" = "$top_help" ] || fail "'help' and '--help' differ"

checked=0
for c in $commands; do
  run help "$c"
  expect_ok_stdout "lancepool help $c"
  help_out=$out
  printf '%s\n' "$help_out" | head -1 | grep -q "^usage: lancepool $c" || fail "help $c: no usage line: $help_out"
  for flag in --help -h; do
    run "$c" "$flag"
    expect_ok_stdout "lancepool $c $flag"
    [ "$out" = "$help_out" ] || fail "'$c $flag' differs from 'help $c'"
  done
  run "$c" DB TABLE --help # after other arguments too
  expect_ok_stdout "lancepool $c DB TABLE --help"
  checked=$((checked + 1))
done

# Usage errors: stderr, exit 2, nothing on stdout.
for args in "dump" "help no-such-command" "no-such-command" "count a b c d"; do
  # shellcheck disable=SC2086
  run $args
  [ "$rc" -eq 2 ] || fail "'$args': exit $rc, expected 2"
  [ -z "$out" ] || fail "'$args': wrote to stdout: $out"
  [ -n "$errout" ] || fail "'$args': no message on stderr"
done
run dump
printf '%s\n' "$errout" | grep -q "^usage: lancepool dump" || fail "dump without arguments: no usage line: $errout"

# create makes the database directory and its parents, as LanceDB's connect + createTable does.
db="$work/new/nested/db"
run create "$db" t --schema 'id:int64 not null, name:utf8'
[ "$rc" -eq 0 ] || fail "create in a missing directory: exit $rc: $errout"
[ -d "$db/t.lance/_versions" ] || fail "create made no table under $db"
run count "$db" t
[ "$rc" -eq 0 ] && [ "$out" = 0 ] || fail "count of the new table: exit $rc, '$out' $errout"
touch "$work/plain-file"
run create "$work/plain-file/db" t --schema 'id:int64'
[ "$rc" -eq 1 ] || fail "create under a regular file: exit $rc, expected 1"
printf '%s\n' "$errout" | grep -q "^lancepool: .*plain-file: exists and is not a directory" ||
  fail "create under a regular file: message '$errout'"

echo "cli conventions: $checked commands' help checked"
