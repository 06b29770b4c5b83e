#!/usr/bin/env bash
# Smoke test of `lancepool bench --quick`: every workload table is printed, every CSV row has positive
# throughput and latencies, and every mode (ours and the LanceDB peer's) is present. Timings are never
# asserted. Workloads the engine cannot run yet (delete needs lp_db_delete) are left out.
set -euo pipefail
: "${LANCEPOOL:?}" "${LP_TEST_TMP:?}"
out="$LP_TEST_TMP/bench_smoke"
rm -rf "$out" && mkdir -p "$out"
workloads=search,get,add1,add100,mixed
"$LANCEPOOL" bench --quick --seconds 1 --records 2000 --dim 32 --threads 1,2 --workloads "$workloads" \
  --csv "$out/bench.csv" >"$out/tables.txt"
for w in ${workloads//,/ }; do
  grep -q "^== $w:" "$out/tables.txt" || { echo "missing table for $w"; cat "$out/tables.txt"; exit 1; }
done
head -1 "$out/bench.csv" | grep -qx 'workload,mode,threads,ops_per_sec,p50_us,p99_us'
for m in per-op persistent pooled lancedb-per-op lancedb-persistent lancedb-pooled; do
  grep -q ",$m," "$out/bench.csv" || { echo "no rows for mode $m"; cat "$out/bench.csv"; exit 1; }
done
awk -F, 'NR > 1 && !($4 > 0 && $5 > 0 && $6 > 0) { print "non-positive figures: " $0; bad = 1 } END { exit bad }' "$out/bench.csv"
rows=$(($(wc -l <"$out/bench.csv") - 1))
[ "$rows" -eq $((5 * 6 * 2)) ] || { echo "expected 60 rows, found $rows"; exit 1; }
grep -q "^pool after pooled 2 threads: hits=" "$out/tables.txt"
echo "bench smoke: $rows measurements"
