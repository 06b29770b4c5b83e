/* Seed maker for the page fuzz targets (not part of the build): cuts each small page of the given
 * LanceDB-written data files into the fuzz_page.h input format and writes it to OUT_DIR/<layout>/.
 *   cc -I src -I build/proto -I tests tests/fuzz/make_page_seeds.c build/liblancepool.a \
 *      -lprotobuf-c -lzstd -llz4 -ljansson -lm -o /tmp/make_page_seeds
 *   /tmp/make_page_seeds OUT_DIR SHAPE FILE...   (SHAPE: index into fuzz_shapes.h for every column) */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/datafile_int.h"

#define MAX_SEED_BYTES 12000

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int shape = atoi(argv[2]);
  for (int a = 3; a < argc; a++) {
    int fd = open(argv[a], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return 1;
    lp__datafile_meta *m = NULL;
    lp_error err;
    if (lp__datafile_meta_read(fd, (uint64_t)st.st_size, argv[a], &m, &err) != LP_OK) {
      fprintf(stderr, "%s\n", err.message);
      return 1;
    }
    for (uint32_t c = 0; c < m->n_columns; c++) {
      for (size_t p = 0; p < m->columns[c].n_pages && p < 2; p++) {
        const lp__page *pg = &m->columns[c].pages[p];
        uint64_t total = 0;
        for (size_t k = 0; k < pg->n_bufs; k++) total += pg->buf_size[k];
        if (pg->layout == NULL || total > MAX_SEED_BYTES || pg->n_bufs > 4 || pg->n_rows > 20000) continue;
        const char *kind = pg->layout->layout_case == 1 ? "page_miniblock" : pg->layout->layout_case == 3 ? "page_fullzip" : "page_allnull";
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/seed_%d_%u_%zu_%s", argv[1], kind, a, c, p, strrchr(argv[a], '/') + 1);
        FILE *f = fopen(path, "wb");
        if (!f) return 1;
        uint8_t sh = (uint8_t)shape;
        uint32_t rows = (uint32_t)pg->n_rows, ll = (uint32_t)lance__encodings21__page_layout__get_packed_size(pg->layout);
        uint8_t *lb = malloc(ll + 1);
        lance__encodings21__page_layout__pack(pg->layout, lb);
        fwrite(&sh, 1, 1, f);
        fwrite(&rows, 4, 1, f);
        fwrite(&ll, 4, 1, f);
        fwrite(lb, 1, ll, f);
        free(lb);
        uint8_t nb = (uint8_t)pg->n_bufs;
        fwrite(&nb, 1, 1, f);
        for (size_t k = 0; k < pg->n_bufs; k++) {
          uint32_t bl = (uint32_t)pg->buf_size[k];
          uint8_t *b = malloc(bl + 1);
          if (pread(fd, b, bl, (off_t)pg->buf_off[k]) != (ssize_t)bl) return 1;
          fwrite(&bl, 4, 1, f);
          fwrite(b, 1, bl, f);
          free(b);
        }
        fclose(f);
      }
    }
    lp__datafile_meta_unref(m);
    close(fd);
  }
  return 0;
}
