// SPDX-License-Identifier: GPL-2.0
/*
 * mint-bench: the workloads of the bench suites other than the thesis's
 * (bench/rt.py, bench/passthrough.py): the throughput halves of the RT
 * evaluation (RedHawk on KVM), which the RT suite runs in 1, 2 and 3
 * partitions at once (the timer half is rt-tests' cyclictest, the network
 * half busybox's ping), and the passthrough evaluation's device read.
 * Static, so the same binary runs in node0, in nodes and in guests.
 *
 *   stones COUNT        COUNT rounds of a Dhrystone-style integer mix
 *                       (record copies, string compares, arithmetic and
 *                       branches); prints rounds per second
 *   rewrite MIB PASSES  rewrite a buffer of MIB MiB with a 4 KiB stride
 *                       (one word per page), PASSES times, after touching it
 *                       once; prints pages per second
 *   readdev DEV MIB     read MIB MiB from the block device DEV with O_DIRECT
 *                       (1 MiB reads, from its start again after its last
 *                       whole MiB);
 *                       prints MiB per second
 *
 * One line on stdout:
 *   mint-bench: test=stones count=N ns=T per_s=R
 * Exit status 0, 2 on a bad argument, 1 when memory is short.
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

#define PROGRAM "mint-bench"
#include "number.h"

#define PAGE 4096
#define MAX_COUNT 1000000000000ULL

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void report(const char *test, unsigned long long count, uint64_t ns)
{
	printf("mint-bench: test=%s count=%llu ns=%llu per_s=%.0f\n", test, count,
	       (unsigned long long)ns, ns ? count * 1e9 / (double)ns : 0.0);
	fflush(stdout);
}

struct record {
	struct record *next;
	int kind, number;
	char text[31];
};

/* kept out of line: each round makes real calls, as Dhrystone does */
static __attribute__((noinline)) int compare(const char *a, const char *b)
{
	return strcmp(a, b) > 0;
}

static __attribute__((noinline)) int mix(int a, int b)
{
	int c = a + b;

	if (c > 10)
		c = c * 3 / 2 - b;
	else
		c = c - a * 2;
	return c & 0xffff;
}

static int run_stones(unsigned long long count)
{
	static struct record r1, r2;
	char s1[31] = "DHRYSTONE PROGRAM, 1'ST STRING";
	char s2[31];
	volatile int sink = 0;
	unsigned long long i;
	uint64_t t0;
	int a = 2, b = 3;

	r1.next = &r2;
	strcpy(r1.text, "DHRYSTONE PROGRAM, SOME STRING");
	t0 = now_ns();
	for (i = 0; i < count; i++) {
		strcpy(s2, "DHRYSTONE PROGRAM, 2'ND STRING");
		r2 = r1;
		r2.number = mix(a, b);
		r2.kind = compare(s1, s2) ? r2.number % 7 : r2.number % 5;
		a = (r2.kind + (int)i) & 0xff;
		b = mix(b, a) & 0xff;
		sink += r2.kind + r1.next->number;
	}
	report("stones", count, now_ns() - t0);
	return sink == -1;
}

static int run_rewrite(unsigned long long mib, unsigned long long passes)
{
	size_t size = (size_t)mib << 20, off;
	unsigned long long p;
	volatile char *buf = malloc(size);
	uint64_t t0;

	if (!buf) {
		fprintf(stderr, "mint-bench: cannot allocate %llu MiB: %s\n", mib,
			strerror(errno));
		return 1;
	}
	for (off = 0; off < size; off += PAGE)
		buf[off] = 1;
	t0 = now_ns();
	for (p = 0; p < passes; p++)
		for (off = 0; off < size; off += PAGE)
			buf[off] = (char)p;
	report("rewrite", passes * (size / PAGE), now_ns() - t0);
	free((void *)buf);
	return 0;
}

static int run_readdev(const char *dev, unsigned long long mib)
{
	const size_t chunk = 1 << 20;
	unsigned long long done;
	uint64_t t0;
	off_t size;
	void *buf;
	int fd;

	/* O_DIRECT wants an aligned buffer */
	if (posix_memalign(&buf, PAGE, chunk)) {
		fprintf(stderr, "mint-bench: cannot allocate 1 MiB\n");
		return 1;
	}
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "mint-bench: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size < (off_t)chunk) {
		fprintf(stderr, "mint-bench: %s holds less than 1 MiB\n", dev);
		return 1;
	}
	t0 = now_ns();
	for (done = 0; done < mib; done++) {
		/* whole MiB only: at the last one, from the start again */
		off_t off = (off_t)(done % (unsigned long long)(size / (off_t)chunk)) * chunk;

		if (pread(fd, buf, chunk, off) != (ssize_t)chunk) {
			fprintf(stderr, "mint-bench: reading %s at %lld: %s\n", dev, (long long)off,
				errno ? strerror(errno) : "short read");
			return 1;
		}
	}
	report("readdev", done, now_ns() - t0);
	close(fd);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long a, b;

	if (argc == 3 && !strcmp(argv[1], "stones")) {
		if (number(argv[2], MAX_COUNT, "COUNT", &a))
			return 2;
		return run_stones(a);
	}
	if (argc == 4 && !strcmp(argv[1], "rewrite")) {
		if (number(argv[2], 1 << 20, "MIB", &a) ||
		    number(argv[3], MAX_COUNT, "PASSES", &b))
			return 2;
		return run_rewrite(a, b);
	}
	if (argc == 4 && !strcmp(argv[1], "readdev")) {
		if (number(argv[3], MAX_COUNT, "MIB", &a))
			return 2;
		return run_readdev(argv[2], a);
	}
	fprintf(stderr, "usage: mint-bench stones COUNT | rewrite MIB PASSES | readdev DEV MIB\n");
	return 2;
}
