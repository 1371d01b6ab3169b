/* zbbench times libzbar (Debian libzbar-dev) decoding QR codes in raw
 * 8-bit gray frames, in-process, for comparison with markd's Go path and
 * zxing-cpp (zxbench.cpp), on the same frames.
 *
 * Input on stdin, one frame per line: RAWFILE WIDTH HEIGHT EXPECTED_TEXT
 * Output, one line per frame: RAWFILE<TAB>ms-per-decode<TAB>1|0 (decoded
 * the expected text on the first call)<TAB>cpu-ms-per-decode (clock(),
 * process CPU time). Only the QR symbology is enabled.
 * Usage: zbbench ITERATIONS < list */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zbar.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 5;
	if (iters < 1)
		iters = 1;
	zbar_image_scanner_t *sc = zbar_image_scanner_create();
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	char line[8192], path[4096], want[4096];
	int w, h;
	while (fgets(line, sizeof line, stdin)) {
		if (sscanf(line, "%4095s %d %d %4095s", path, &w, &h, want) != 4 || w <= 0 || h <= 0)
			continue;
		size_t n = (size_t)w * h;
		unsigned char *pix = malloc(n);
		FILE *f = fopen(path, "rb");
		if (!pix || !f || fread(pix, 1, n, f) != n) {
			fprintf(stderr, "%s: short raw frame\n", path);
			return 1;
		}
		fclose(f);
		zbar_image_t *img = zbar_image_create();
		zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
		zbar_image_set_size(img, w, h);
		zbar_image_set_data(img, pix, n, NULL);
		int ok = 0;
		if (zbar_scan_image(sc, img) > 0)
			for (const zbar_symbol_t *s = zbar_image_first_symbol(img); s; s = zbar_symbol_next(s))
				if (strcmp(zbar_symbol_get_data(s), want) == 0)
					ok = 1;
		double start = now_ms();
		clock_t cpu = clock();
		for (int i = 0; i < iters; i++)
			zbar_scan_image(sc, img);
		double el = now_ms() - start;
		double el_cpu = 1e3 * (double)(clock() - cpu) / CLOCKS_PER_SEC;
		printf("%s\t%.3f\t%d\t%.3f\n", path, el / iters, ok, el_cpu / iters);
		fflush(stdout);
		zbar_image_destroy(img);
		free(pix);
	}
	zbar_image_scanner_destroy(sc);
	return 0;
}
