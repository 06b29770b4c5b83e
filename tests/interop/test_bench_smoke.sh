#!/usr/bin/env bash
# Smoke test of `lancepool bench --quick --seconds 0.5`: every workload table is printed, every CSV row has
# positive throughput and latencies, every mode (ours and the LanceDB peer's) is present, the ratio lines
# and the pool statistics after each pooled run are there, the chart is written when gnuplot exists, the
# run names its files, and LanceDB's own log lines go to the peer's log file.
# Timings are never asserted.
set -euo pipefail
: "${LANCEPOOL:?}" "${LP_TEST_TMP:?}"
out="$LP_TEST_TMP/bench_smoke"
rm -rf "$out" && mkdir -p "$out"
png=()
command -v gnuplot >/dev/null && png=(--png "$out/bench.png")
"$LANCEPOOL" bench --quick --seconds 0.5 --records 2000 --dim 32 --threads 2 \
  --csv "$out/bench.csv" "${png[@]}" >"$out/tables.txt" 2>"$out/stderr.txt" || {
  echo "bench failed"; cat "$out/stderr.txt"; exit 1; }
for w in search get add1 add100 delete mixed fts hybrid; do
  grep -q "^== $w:" "$out/tables.txt" || { echo "missing table for $w"; cat "$out/tables.txt"; exit 1; }
done
head -1 "$out/bench.csv" | grep -qx 'workload,mode,threads,ops_per_sec,p50_us,p99_us'
for m in per-op persistent pooled lancedb-per-op lancedb-persistent lancedb-pooled; do
  grep -q ",$m," "$out/bench.csv" || { echo "no rows for mode $m"; cat "$out/bench.csv"; exit 1; }
done
awk -F, 'NR > 1 && !($4 > 0 && $5 > 0 && $6 > 0) { print "non-positive figures: " $0; bad = 1 } END { exit bad }' "$out/bench.csv"
rows=$(($(wc -l <"$out/bench.csv") - 1))
[ "$rows" -eq $((8 * 6)) ] || { echo "expected 48 rows, found $rows"; exit 1; }
[ "$(grep -c "^pool after pooled 2 threads: hits=[0-9]* misses=[0-9]* created=[1-9]" "$out/tables.txt")" -eq 8 ] || {
  echo "pool statistics missing"; cat "$out/tables.txt"; exit 1; }
[ "$(grep -c "^threads *pooled/per-op *pooled/persistent *pooled/lancedb-best" "$out/tables.txt")" -eq 8 ]
if [ ${#png[@]} -gt 0 ]; then [ -s "$out/bench.png" ] || { echo "no chart"; exit 1; }; fi
# The run ends by saying where its files went; LanceDB's own log lines go to the peer's log, not the terminal.
grep -qx "CSV written to $out/bench.csv" "$out/tables.txt" || { echo "no line naming the CSV"; exit 1; }
if [ ${#png[@]} -gt 0 ]; then grep -qx "chart written to $out/bench.png" "$out/tables.txt" || { echo "no line naming the chart"; exit 1; }; fi
grep -qx "LanceDB peer log written to $out/bench-peer.log" "$out/tables.txt" || { echo "no line naming the peer log"; exit 1; }
[ -f "$out/bench-peer.log" ] || { echo "no peer log file"; exit 1; }
if grep -E "lance(db)?::|WARN|INFO" "$out/stderr.txt"; then echo "LanceDB log lines reached the terminal"; exit 1; fi
echo "bench smoke: $rows measurements"
