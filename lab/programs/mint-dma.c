// SPDX-License-Identifier: GPL-2.0
/*
 * mint-dma: the lab's DMA test hook (tests/e2e/test_node_iommu.py). It
 * drives QEMU's "edu" device (docs/specs/edu.rst in QEMU: a 4 KiB buffer
 * at device address 0x40000 and a DMA engine, registers in BAR0) from
 * user space, so a node can aim its device's DMA at any physical address,
 * its own memory or not, and keeps canary pages whose contents it checks.
 * Static, so the same binary runs in node0 and in every node.
 *
 *   canary                 a page filled with a pattern, locked in memory;
 *                          prints "canary PHYS", then waits for SIGUSR1 and
 *                          prints "canary intact" (exit 0) or
 *                          "canary changed N" (N bytes differ, exit 1)
 *   roundtrip BDF          DMA 2 KiB of a page of this process into the
 *                          device and back into another page;
 *                          prints "roundtrip ok PHYS PHYS" (exit 0) or
 *                          "roundtrip differs" (exit 1)
 *   write BDF PHYS         DMA 2 KiB of a pattern into the device, then
 *                          from the device to PHYS, wherever that is;
 *                          prints "write done PHYS" once the device says it
 *                          finished (whether the write landed or faulted)
 *   msi BDF HANDLE         point the device's MSI at interrupt remapping
 *                          entry HANDLE (VT-d remappable format), whoever
 *                          holds it, and raise one interrupt; prints
 *                          "msi raised HANDLE" (node0's IOMMU delivers it
 *                          only if the entry accepts this device)
 *
 * BDF is DDDD:BB:DD.F in sysfs. Exit status 2 on a bad argument, 3 when
 * the device or a page cannot be had.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define EDU_ID 0x00
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_BUF 0x40000
#define EDU_BAR_SIZE 0x100000
/*
 * Bytes per transfer. QEMU 7.2's edu aborts the whole machine (hw_error)
 * on a transfer that ends exactly at the end of its 4 KiB buffer, so each
 * moves half of it, well inside.
 */
#define XFER 2048

static void die(int status, const char *what)
{
	fprintf(stderr, "mint-dma: %s: %s\n", what, strerror(errno));
	exit(status);
}

/* A locked, zeroed page and its physical address (/proc/self/pagemap). */
static uint8_t *page(uint64_t *phys)
{
	uint8_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	uint64_t entry;
	int fd;

	if (p == MAP_FAILED)
		die(3, "mmap of a page");
	p[0] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		die(3, "/proc/self/pagemap");
	if (pread(fd, &entry, sizeof(entry),
		  (off_t)((uintptr_t)p / PAGE) * sizeof(entry)) != sizeof(entry))
		die(3, "reading /proc/self/pagemap");
	close(fd);
	if (!(entry >> 63) || !(entry & ((1ULL << 55) - 1))) {
		errno = EPERM;
		die(3, "the page's frame number (root only)");
	}
	*phys = (entry & ((1ULL << 55) - 1)) * PAGE;
	memset(p, 0, PAGE);
	return p;
}

static void fill(uint8_t *p, uint8_t seed)
{
	for (int i = 0; i < PAGE; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static volatile sig_atomic_t checked;

static void on_usr1(int sig)
{
	(void)sig;
	checked = 1;
}

static int canary(void)
{
	uint8_t want[PAGE];
	uint64_t phys;
	uint8_t *p = page(&phys);
	struct sigaction sa = { .sa_handler = on_usr1 };
	int differ = 0;
	sigset_t block, old;

	fill(p, 0xc3);
	memcpy(want, p, PAGE);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGUSR1, &sa, NULL);
	printf("canary 0x%" PRIx64 "\n", phys);
	fflush(stdout);
	while (!checked)
		sigsuspend(&old);
	for (int i = 0; i < PAGE; i++)
		differ += p[i] != want[i];
	if (differ)
		printf("canary changed %d\n", differ);
	else
		printf("canary intact\n");
	return differ ? 1 : 0;
}

struct edu {
	volatile uint8_t *bar;
};

static uint32_t rd32(struct edu *e, unsigned int off)
{
	return *(volatile uint32_t *)(e->bar + off);
}

static void wr32(struct edu *e, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(e->bar + off) = v;
}

static void wr64(struct edu *e, unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(e->bar + off) = v;
}

/* The edu function's BAR0, with memory decoding and bus mastering on. */
static void edu_open(struct edu *e, const char *bdf)
{
	char path[256];
	uint16_t cmd;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die(3, path);
	if (pread(fd, &cmd, 2, 4) != 2)
		die(3, "reading the command register");
	cmd |= 0x6;	/* memory space, bus master */
	if (pwrite(fd, &cmd, 2, 4) != 2)
		die(3, "writing the command register");
	close(fd);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		die(3, path);
	e->bar = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	if (e->bar == MAP_FAILED)
		die(3, "mmap of BAR0");
	close(fd);
	if ((rd32(e, EDU_ID) & 0xffff) != 0x00ed) {
		fprintf(stderr, "mint-dma: %s is not QEMU's edu device (id %#x)\n",
			bdf, rd32(e, EDU_ID));
		exit(3);
	}
}

/* One transfer; the device runs it about 100 ms later. */
static void edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint64_t cmd)
{
	struct timespec step = { 0, 10 * 1000 * 1000 };
	int waited = 0;

	wr64(e, EDU_DMA_SRC, src);
	wr64(e, EDU_DMA_DST, dst);
	wr64(e, EDU_DMA_CNT, XFER);
	wr64(e, EDU_DMA_CMD, cmd | EDU_DMA_RUN);
	while (rd32(e, EDU_DMA_CMD) & EDU_DMA_RUN) {
		if (++waited > 1000) {
			fprintf(stderr, "mint-dma: the device did not finish its DMA in 10 s\n");
			exit(3);
		}
		nanosleep(&step, NULL);
	}
}

static int roundtrip(const char *bdf)
{
	uint64_t src_phys, dst_phys;
	uint8_t *src = page(&src_phys), *dst = page(&dst_phys);
	struct edu e;

	edu_open(&e, bdf);
	fill(src, 0x5a);
	edu_dma(&e, src_phys, EDU_BUF, 0);
	edu_dma(&e, EDU_BUF, dst_phys, EDU_DMA_TO_RAM);
	if (memcmp(src, dst, XFER)) {
		printf("roundtrip differs\n");
		return 1;
	}
	printf("roundtrip ok 0x%" PRIx64 " 0x%" PRIx64 "\n", src_phys, dst_phys);
	return 0;
}

static int write_to(const char *bdf, const char *where)
{
	uint64_t src_phys, target;
	uint8_t *src = page(&src_phys);
	struct edu e;
	char *end;

	errno = 0;
	target = strtoull(where, &end, 0);
	if (errno || *end || target % PAGE) {
		fprintf(stderr, "mint-dma: %s is not a page-aligned physical address\n", where);
		return 2;
	}
	edu_open(&e, bdf);
	fill(src, 0x96);
	edu_dma(&e, src_phys, EDU_BUF, 0);
	edu_dma(&e, EDU_BUF, target, EDU_DMA_TO_RAM);
	printf("write done 0x%" PRIx64 "\n", target);
	return 0;
}

static void config_rw(int fd, void *v, size_t len, off_t off, int write)
{
	ssize_t n = write ? pwrite(fd, v, len, off) : pread(fd, v, len, off);

	if (n != (ssize_t)len)
		die(3, "config space access");
}

/* The MSI capability's offset in config space, or 0. */
static unsigned int msi_cap(int fd)
{
	uint8_t at, id;
	int hops = 0;

	config_rw(fd, &at, 1, 0x34, 0);
	while (at && hops++ < 48) {
		config_rw(fd, &id, 1, at, 0);
		if (id == 0x05)
			return at;
		config_rw(fd, &at, 1, at + 1, 0);
	}
	return 0;
}

static int msi_to(const char *bdf, const char *handle_s)
{
	uint32_t addr, zero = 0;
	unsigned long handle;
	char path[128], *end;
	unsigned int cap;
	uint16_t ctrl;
	struct edu e;
	int fd;

	errno = 0;
	handle = strtoul(handle_s, &end, 0);
	if (errno || *end || handle > 0xffff) {
		fprintf(stderr, "mint-dma: %s is not a remapping entry (0-65535)\n", handle_s);
		return 2;
	}
	edu_open(&e, bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die(3, path);
	cap = msi_cap(fd);
	if (!cap) {
		fprintf(stderr, "mint-dma: %s has no MSI capability\n", bdf);
		return 3;
	}
	/* 0xfee, index[14:0] at bit 5, remappable (4), SHV (3), index[15] (2) */
	addr = 0xfee00000u | (handle & 0x7fff) << 5 | 1u << 4 | 1u << 3 |
	       ((handle >> 15) & 1) << 2;
	config_rw(fd, &ctrl, 2, cap + 2, 0);
	config_rw(fd, &addr, 4, cap + 4, 1);
	if (ctrl & 0x80) {	/* 64-bit address: data at 0xc */
		config_rw(fd, &zero, 4, cap + 8, 1);
		config_rw(fd, &zero, 2, cap + 0xc, 1);
	} else {
		config_rw(fd, &zero, 2, cap + 8, 1);
	}
	ctrl = (ctrl & ~0x70) | 1;	/* one message, enabled */
	config_rw(fd, &ctrl, 2, cap + 2, 1);
	close(fd);
	wr32(&e, EDU_IRQ_RAISE, 1);
	wr32(&e, EDU_IRQ_ACK, 1);
	printf("msi raised %lu\n", handle);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "canary"))
		return canary();
	if (argc == 3 && !strcmp(argv[1], "roundtrip"))
		return roundtrip(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "write"))
		return write_to(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "msi"))
		return msi_to(argv[2], argv[3]);
	fprintf(stderr, "usage: mint-dma canary | roundtrip BDF | write BDF PHYS | msi BDF HANDLE\n");
	return 2;
}
