/*
 * LD_PRELOAD shim that turns kexec-tools into a pure function for the
 * kexec cross-check: with MINT_KEXEC_CAPTURE=<dir> set, `kexec -l` reads a
 * fake host (MINT_KEXEC_IOMEM replaces /proc/iomem; /sys/firmware,
 * /sys/kernel/boot_params, debugfs and /dev/fb* look absent, so its memory
 * map, EDD, EFI, subarch and framebuffer inputs are only what the test
 * gives), and its kexec_load(2) call is not made: the entry point and every
 * segment (mem, memsz, bytes) are written to <dir> and the call fails with
 * ENOSYS. kexec_file_load(2) fails with ENOSYS too. Nothing is loaded into
 * any kernel, so it runs unprivileged and on hosts with kexec enabled alike.
 * Without MINT_KEXEC_CAPTURE every call passes through unchanged.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* capture_dir(void) { return getenv("MINT_KEXEC_CAPTURE"); }

/* Paths whose contents would make kexec's output depend on this host. */
static int hidden(const char* path) {
  static const char* const prefixes[] = {
      "/sys/firmware", "/sys/kernel/boot_params", "/sys/kernel/debug", "/dev/fb",
      "/proc/xen",     "/sys/hypervisor",
  };
  size_t i;

  if (!capture_dir() || !path) return 0;
  for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
    if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0) return 1;
  return 0;
}

static const char* redirect(const char* path) {
  const char* iomem = getenv("MINT_KEXEC_IOMEM");

  if (capture_dir() && iomem && path && strcmp(path, "/proc/iomem") == 0) return iomem;
  return path;
}

/* The next definition of name (libc's), as a function pointer in *out. */
static void resolve(void* out, const char* name) {
  void* p = dlsym(RTLD_NEXT, name);

  memcpy(out, &p, sizeof(p));
}

#define REAL(name)                      \
  static __typeof__(&name) real_##name; \
  if (!real_##name) resolve(&real_##name, #name)

FILE* fopen(const char* path, const char* mode) {
  REAL(fopen);

  if (hidden(path)) {
    errno = ENOENT;
    return NULL;
  }
  return real_fopen(redirect(path), mode);
}

int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  va_list ap;
  REAL(open);

  if (flags & (O_CREAT | O_TMPFILE)) {
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    va_end(ap);
  }
  if (hidden(path)) {
    errno = ENOENT;
    return -1;
  }
  return real_open(redirect(path), flags, mode);
}

DIR* opendir(const char* path) {
  REAL(opendir);

  if (hidden(path)) {
    errno = ENOENT;
    return NULL;
  }
  return real_opendir(path);
}

int stat(const char* path, struct stat* st) {
  REAL(stat);

  if (hidden(path)) {
    errno = ENOENT;
    return -1;
  }
  return real_stat(redirect(path), st);
}

int access(const char* path, int mode) {
  REAL(access);

  if (hidden(path)) {
    errno = ENOENT;
    return -1;
  }
  return real_access(redirect(path), mode);
}

static int write_all(const char* dir, const char* name, const void* buf, size_t len) {
  char path[4096];
  FILE* f;
  size_t n;
  REAL(fopen);

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = real_fopen(path, "wb");
  if (!f) return -1;
  n = len ? fwrite(buf, 1, len, f) : 0;
  return (fclose(f) == 0 && n == len) ? 0 : -1;
}

static void capture(const char* dir, unsigned long entry, unsigned long nr,
                    const struct kexec_segment* segs, unsigned long flags) {
  char index[65536];
  size_t used;
  unsigned long i;

  used =
      (size_t)snprintf(index, sizeof(index), "entry 0x%lx flags 0x%lx nr %lu\n", entry, flags, nr);
  for (i = 0; i < nr && used < sizeof(index); i++) {
    char name[64];

    used += (size_t)snprintf(index + used, sizeof(index) - used,
                             "segment %lu mem 0x%lx memsz 0x%zx bufsz 0x%zx\n", i,
                             (unsigned long)segs[i].mem, segs[i].memsz, segs[i].bufsz);
    snprintf(name, sizeof(name), "segment%lu.bin", i);
    write_all(dir, name, segs[i].buf, segs[i].bufsz);
  }
  write_all(dir, "segments.txt", index, used < sizeof(index) ? used : sizeof(index));
}

long syscall(long nr, ...) {
  long a[6];
  va_list ap;
  int i;
  const char* dir = capture_dir();
  REAL(syscall);

  va_start(ap, nr);
  for (i = 0; i < 6; i++) a[i] = va_arg(ap, long);
  va_end(ap);
  if (dir && nr == SYS_kexec_load) {
    capture(dir, (unsigned long)a[0], (unsigned long)a[1], (const struct kexec_segment*)a[2],
            (unsigned long)a[3]);
    errno = ENOSYS;
    return -1;
  }
  if (dir && nr == SYS_kexec_file_load) {
    errno = ENOSYS;
    return -1;
  }
  return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
