/* ipi_storm: makes node0 broadcast IPIs the way a multithreaded server does.
 *
 * One thread per CPU node0 runs (its affinity mask), each pinned to its CPU,
 * maps an anonymous page, writes it and unmaps it, ROUNDS times. Every
 * munmap() flushes the TLB of each other CPU that runs this mm at that
 * moment: one call-function IPI to all the other online CPUs at once, which
 * is exactly the case where 6.12's native_send_call_func_ipi() uses the
 * all-but-self shorthand when shorthands are enabled (arch/x86/kernel/apic/
 * ipi.c). Prints "rounds N threads T" and exits 0 when every thread is done.
 *
 * Built by tests/e2e/test_node0_ipis.py with the host's cc and run in node0
 * (node0's initramfs has the host's libc). Usage: ipi_storm ROUNDS */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static long rounds;
static pthread_barrier_t start;

static void *storm(void *arg)
{
	long cpu = (long)arg;
	cpu_set_t set;
	long i;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		exit(1);
	}
	pthread_barrier_wait(&start);
	for (i = 0; i < rounds; i++) {
		volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		*p = 1;
		munmap((void *)p, 4096);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t threads[CPU_SETSIZE];
	cpu_set_t online;
	long cpu, n = 0, i;

	if (argc != 2 || (rounds = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: ipi_storm ROUNDS\n");
		return 2;
	}
	if (sched_getaffinity(0, sizeof(online), &online)) {
		perror("sched_getaffinity");
		return 1;
	}
	pthread_barrier_init(&start, NULL, CPU_COUNT(&online));
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &online))
			continue;
		if (pthread_create(&threads[n], NULL, storm, (void *)cpu)) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
		n++;
	}
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	printf("rounds %ld threads %ld\n", rounds, n);
	return 0;
}
