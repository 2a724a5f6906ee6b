// SPDX-License-Identifier: GPL-2.0
/*
 * mint-thesis: the evaluation program of the Mint thesis (Okayama, 2013),
 * rewritten: three workloads, each timed with the TSC (and CLOCK_MONOTONIC
 * beside it), so the same static binary runs unchanged in node0, in a node
 * and in a KVM guest (bench/README.md, "thesis").
 *
 *   io   random lseek + read of L 4 KiB blocks of a file of SIZE KiB,
 *        through the page cache as the thesis's program did (the file is
 *        written and read once before the timed reads)
 *   cpu  M increments of a register
 *   mem  N memcpy()s of SIZE KiB between two buffers touched beforehand
 *
 * Usage:
 *   mint-thesis io  SIZE_KIB L [DIR]   (DIR default /tmp; the file is removed)
 *   mint-thesis cpu M
 *   mint-thesis mem SIZE_KIB N
 *   mint-thesis all L M N [RUNS] [DIR]  every workload of the thesis in turn
 *                                       (io and mem at 256, 512, 1024 KiB),
 *                                       RUNS times (default 1)
 *
 * One line per timed run on stdout:
 *   mint-thesis: workload=io size_kib=256 count=5000 run=1 tsc=123 ns=456
 * Exit status 0, or 1 with the reason on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "mint-thesis"
#include "number.h"

#define BLOCK 4096
#define MAX_SIZE_KIB (1024 * 1024)
#define MAX_COUNT 1000000000000ULL

static const unsigned int sizes_kib[] = { 256, 512, 1024 };

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;

	/* lfence: the reads before it are done before the TSC is read */
	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct span {
	uint64_t tsc0, ns0;
};

static void begin(struct span *s)
{
	s->ns0 = now_ns();
	s->tsc0 = tsc();
}

static void report(const struct span *s, const char *workload, unsigned int size_kib,
		   unsigned long long count, unsigned int run)
{
	uint64_t t = tsc() - s->tsc0;
	uint64_t ns = now_ns() - s->ns0;

	printf("mint-thesis: workload=%s size_kib=%u count=%llu run=%u tsc=%llu ns=%llu\n",
	       workload, size_kib, count, run, (unsigned long long)t, (unsigned long long)ns);
	fflush(stdout);
}

static int fail(const char *what)
{
	fprintf(stderr, "mint-thesis: %s: %s\n", what, strerror(errno));
	return 1;
}

/* xorshift64: the block sequence, the same in every partition */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int run_io(unsigned int size_kib, unsigned long long count, const char *dir,
		  unsigned int run)
{
	char path[4096], *block;
	size_t size = (size_t)size_kib * 1024, done;
	unsigned long long blocks = size / BLOCK, i;
	uint64_t x = 88172645463325252ULL;
	struct span s;
	int fd;

	if (snprintf(path, sizeof(path), "%s/mint-thesis.%d", dir, (int)getpid()) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return fail(dir);
	}
	block = malloc(BLOCK);
	if (!block)
		return fail("malloc");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return fail(path);
	unlink(path);
	memset(block, 0x6d, BLOCK);
	for (done = 0; done < size; done += BLOCK)
		if (write(fd, block, BLOCK) != BLOCK)
			return fail("write");
	for (done = 0; done < size; done += BLOCK)
		if (pread(fd, block, BLOCK, (off_t)done) != BLOCK)
			return fail("read");
	begin(&s);
	for (i = 0; i < count; i++) {
		off_t off = (off_t)(next_random(&x) % blocks) * BLOCK;

		if (lseek(fd, off, SEEK_SET) != off)
			return fail("lseek");
		if (read(fd, block, BLOCK) != BLOCK)
			return fail("read");
	}
	report(&s, "io", size_kib, count, run);
	close(fd);
	free(block);
	return 0;
}

static int run_cpu(unsigned long long count, unsigned int run)
{
	unsigned long long i, r = 0;
	struct span s;

	begin(&s);
	for (i = 0; i < count; i++)
		__asm__ __volatile__("inc %0" : "+r"(r));
	report(&s, "cpu", 0, count, run);
	return r == count ? 0 : 1;
}

static int run_mem(unsigned int size_kib, unsigned long long count, unsigned int run)
{
	size_t size = (size_t)size_kib * 1024;
	unsigned long long i;
	char *src = malloc(size), *dst = malloc(size);
	struct span s;

	if (!src || !dst)
		return fail("malloc");
	memset(src, 0x6d, size);
	memset(dst, 0, size);
	begin(&s);
	for (i = 0; i < count; i++) {
		memcpy(dst, src, size);
		/* the copy is used: the compiler keeps every one */
		__asm__ __volatile__("" :: "r"(dst) : "memory");
	}
	report(&s, "mem", size_kib, count, run);
	free(src);
	free(dst);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: mint-thesis io SIZE_KIB L [DIR] | cpu M | mem SIZE_KIB N |\n"
		"       mint-thesis all L M N [RUNS] [DIR]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long long a, b, c, runs = 1, r;
	const char *dir = "/tmp";
	size_t k;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "cpu") && argc == 3) {
		if (number(argv[2], MAX_COUNT, "M", &a))
			return 2;
		return run_cpu(a, 1);
	}
	if ((!strcmp(argv[1], "io") && (argc == 4 || argc == 5)) ||
	    (!strcmp(argv[1], "mem") && argc == 4)) {
		if (number(argv[2], MAX_SIZE_KIB, "SIZE_KIB", &a) ||
		    number(argv[3], MAX_COUNT, argv[1][0] == 'i' ? "L" : "N", &b))
			return 2;
		if (argv[1][0] == 'i' && a * 1024 < BLOCK) {
			fprintf(stderr, "mint-thesis: SIZE_KIB %llu: the file must hold a 4 KiB block\n",
				a);
			return 2;
		}
		if (argc == 5)
			dir = argv[4];
		return argv[1][0] == 'i' ? run_io(a, b, dir, 1) : run_mem(a, b, 1);
	}
	if (!strcmp(argv[1], "all") && argc >= 5 && argc <= 7) {
		if (number(argv[2], MAX_COUNT, "L", &a) || number(argv[3], MAX_COUNT, "M", &b) ||
		    number(argv[4], MAX_COUNT, "N", &c) ||
		    (argc >= 6 && number(argv[5], 1000000, "RUNS", &runs)))
			return 2;
		if (argc == 7)
			dir = argv[6];
		for (r = 1; r <= runs; r++) {
			for (k = 0; k < sizeof(sizes_kib) / sizeof(sizes_kib[0]); k++)
				if (run_io(sizes_kib[k], a, dir, r))
					return 1;
			if (run_cpu(b, r))
				return 1;
			for (k = 0; k < sizeof(sizes_kib) / sizeof(sizes_kib[0]); k++)
				if (run_mem(sizes_kib[k], c, r))
					return 1;
		}
		return 0;
	}
	return usage();
}
