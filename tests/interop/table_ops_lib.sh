# Shared by tests/interop/test_update_interop.sh and test_merge_interop.sh (sourced): the table operations
# run by lancepool on table lp and by official LanceDB 0.31.0 (node/table_ops_peer.mjs) on its twin ref.
# Needs W (the test's folder, made afresh here) set; sets DB, N (the node folder) and L (lancepool).
rm -rf "$W" && mkdir -p "$W"
N="$LP_NODE_DIR"
L="$LANCEPOOL"
DB="$W/db"
fail() { echo "FAIL: $*" >&2; exit 1; }
peer() { node "$N/table_ops_peer.mjs" "$@" 2> "$W/peer.err" || { cat "$W/peer.err" >&2; fail "LanceDB: $*"; }; }
ldump() { node "$N/lancedb_dump.mjs" dump "$DB" "$1" > "$2"; }
# LanceDB reads the same rows from lp and ref (in any order when $1 = sorted), and lancepool reads lp as
# LanceDB does; $2 names the step for messages.
same_tables() {
  local order=$1 step=$2
  ldump lp "$W/lp.jsonl"
  ldump ref "$W/ref.jsonl"
  if [ "$order" = sorted ]; then
    sort -o "$W/lp.sorted" "$W/lp.jsonl"; sort -o "$W/ref.sorted" "$W/ref.jsonl"
  else
    cp "$W/lp.jsonl" "$W/lp.sorted"; cp "$W/ref.jsonl" "$W/ref.sorted"
  fi
  if ! cmp -s "$W/lp.sorted" "$W/ref.sorted"; then
    diff "$W/ref.sorted" "$W/lp.sorted" | head -10 >&2
    fail "after $step LanceDB reads other rows than its own operation gives"
  fi
  "$L" dump "$DB" lp > "$W/ours.jsonl"
  cmp -s "$W/ours.jsonl" "$W/lp.jsonl" || fail "after $step lancepool's read differs from LanceDB's"
}
# Run a bad lancepool command ("$@"); it must fail with a message and commit nothing, leaving no file.
refused() {
  local nver nfiles
  nver=$("$L" versions "$DB" lp | wc -l)
  nfiles=$(find "$DB/lp.lance" -type f | wc -l)
  if "$L" "$@" 2> "$W/err"; then fail "$* succeeded"; fi
  grep -q "^lancepool: " "$W/err" || fail "$*: no error message"
  [ "$("$L" versions "$DB" lp | wc -l)" = "$nver" ] || fail "$* committed a version"
  [ "$(find "$DB/lp.lance" -type f | wc -l)" = "$nfiles" ] || fail "$* left files behind"
  echo "refused $*: $(head -1 "$W/err")"
}
