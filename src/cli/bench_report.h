/* Output of `lancepool bench`: the tables per workload, the CSV file and the PNG chart. */
#ifndef LP_CLI_BENCH_REPORT_H
#define LP_CLI_BENCH_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "cli/bench_run.h"

/* The workloads in report order, with one-line descriptions. */
#define LP_BENCH_N_WORKLOADS 8
extern const char *const lp__bench_workloads[LP_BENCH_N_WORKLOADS];
const char *lp__bench_workload_title(const char *workload);

/* Print one table per workload present in results: every mode and thread count, then the ratios
 * pooled/per-op, pooled/persistent and lancepool/LanceDB (each lancepool mode against LanceDB's best mode
 * at the same thread count), then the pool statistics after each pooled run. */
void lp__bench_print_tables(FILE *out, const lp_bench_result *results, size_t n, unsigned records, unsigned dim);

/* Write the CSV (header + one row per measurement). */
LP_MUST_CHECK lp_status lp__bench_write_csv(const char *path, const lp_bench_result *results, size_t n,
                                            lp_error *err);

/* Draw throughput by mode and threads, one panel per workload, with gnuplot (pngcairo, else png).
 * LP_ENOTFOUND when gnuplot is not installed. */
LP_MUST_CHECK lp_status lp__bench_write_chart(const char *png_path, const lp_bench_result *results, size_t n,
                                              unsigned records, unsigned dim, lp_error *err);

#endif
