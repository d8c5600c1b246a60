// SPDX-License-Identifier: GPL-2.0
/*
 * cdevfile: drive drvsim_cdev's /dev/drvsim-cdev-<name> files (the cdev
 * layer, Documentation/sysfs.rst "The cdev layer's files").
 *
 *   cdevfile read FILE          one blocking read(2); prints the event's
 *                               sequence number
 *   cdevfile post FILE          write(2) one event; prints 0
 *   cdevfile poll FILE MS       poll(2) for POLLIN up to MS ms; prints
 *                               IN, ERR|HUP, NONE or the revents in hex
 *   cdevfile mmap FILE          maps the register page, prints register 0
 *                               (0x%08x) and register 1 (closes, %u),
 *                               then for each line on stdin
 *                               reads register 0 again: the value, or
 *                               SIGBUS; a line "q" ends it
 *   cdevfile sleepers FILE N    N threads each block in read(2) on its
 *                               own open file; prints "asleep N" once all
 *                               are in (or past) their read, then, when all
 *                               returned, one line per distinct result with
 *                               its count ("N ENXIO")
 *   cdevfile calls FILE N       N reads of 4 bytes at position 0, with
 *                               O_NONBLOCK; prints the mean ns per call
 *                               (any result: EAGAIN is a full pass through
 *                               the layer's section)
 *
 * FILE is a path, or @N for an inherited file descriptor N.
 * A failed call prints the errno's name and exits 1; misuse exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case ENXIO: return "ENXIO";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	case EINVAL: return "EINVAL";
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case EFAULT: return "EFAULT";
	default: return strerrorname_np(e) ? strerrorname_np(e) : "E?";
	}
}

static int fail(void)
{
	printf("%s\n", errname(errno));
	return 1;
}

/* FILE is a path, or @N for an inherited file descriptor N. */
static int open_file(const char *path, int flags)
{
	int fd = path[0] == '@' ? atoi(path + 1) : open(path, O_RDWR | flags);

	if (fd < 0) {
		printf("%s\n", errname(errno));
		exit(1);
	}
	return fd;
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

static int do_mmap(const char *path)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	uint32_t *regs;
	char line[64];
	int fd = open_file(path, 0);

	regs = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (regs == MAP_FAILED)
		return fail();
	sigaction(SIGBUS, &sa, NULL);
	/* Atomic loads: each one reaches the mapping (no volatile). */
	printf("0x%08x %u\n", __atomic_load_n(&regs[0], __ATOMIC_RELAXED),
	       __atomic_load_n(&regs[1], __ATOMIC_RELAXED));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) && line[0] != 'q') {
		if (sigsetjmp(bus_jmp, 1))
			printf("SIGBUS\n");
		else
			printf("0x%08x\n", __atomic_load_n(&regs[0], __ATOMIC_RELAXED));
		fflush(stdout);
	}
	return 0;
}

struct sleeper {
	pthread_t t;
	int fd;
	int err;
};

static atomic_int entered;

static void *sleep_in_read(void *arg)
{
	struct sleeper *s = arg;
	uint32_t v;

	atomic_fetch_add(&entered, 1);
	s->err = read(s->fd, &v, sizeof(v)) < 0 ? errno : 0;
	return NULL;
}

static int do_sleepers(const char *path, int n)
{
	struct sleeper *s = calloc(n, sizeof(*s));
	int i, j, count;

	if (!s || n < 1)
		return 2;
	for (i = 0; i < n; i++)
		s[i].fd = open_file(path, 0);
	for (i = 0; i < n; i++)
		if (pthread_create(&s[i].t, NULL, sleep_in_read, &s[i]))
			return 2;
	while (atomic_load(&entered) < n)
		usleep(1000);
	printf("asleep %d\n", n);
	fflush(stdout);
	for (i = 0; i < n; i++)
		pthread_join(s[i].t, NULL);
	/* One line per distinct result. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && s[j].err != s[i].err; j++)
			;
		if (j < i)
			continue;
		for (count = 0, j = i; j < n; j++)
			count += s[j].err == s[i].err;
		printf("%d %s\n", count, s[i].err ? errname(s[i].err) : "OK");
	}
	return 0;
}

static int do_calls(const char *path, long n)
{
	struct timespec a, b;
	uint32_t v;
	long i;
	int fd = open_file(path, O_NONBLOCK);

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		(void)!pread(fd, &v, sizeof(v), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", ((b.tv_sec - a.tv_sec) * 1000000000LL + b.tv_nsec - a.tv_nsec) / n);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t v = 1;
	struct pollfd p;
	int fd, r;

	if (argc < 3)
		return 2;
	if (!strcmp(argv[1], "read")) {
		fd = open_file(argv[2], 0);
		if (read(fd, &v, sizeof(v)) < 0)
			return fail();
		printf("%u\n", v);
	} else if (!strcmp(argv[1], "post")) {
		fd = open_file(argv[2], 0);
		if (write(fd, &v, sizeof(v)) < 0)
			return fail();
		printf("0\n");
	} else if (!strcmp(argv[1], "poll") && argc == 4) {
		p.fd = open_file(argv[2], 0);
		p.events = POLLIN;
		r = poll(&p, 1, atoi(argv[3]));
		if (r < 0)
			return fail();
		if (!r)
			printf("NONE\n");
		else if (p.revents == POLLIN || p.revents == (POLLIN | POLLRDNORM))
			printf("IN\n");
		else if (p.revents == (POLLERR | POLLHUP))
			printf("ERR|HUP\n");
		else
			printf("0x%x\n", p.revents);
	} else if (!strcmp(argv[1], "mmap")) {
		return do_mmap(argv[2]);
	} else if (!strcmp(argv[1], "sleepers") && argc == 4) {
		return do_sleepers(argv[2], atoi(argv[3]));
	} else if (!strcmp(argv[1], "calls") && argc == 4) {
		return do_calls(argv[2], atol(argv[3]));
	} else {
		return 2;
	}
	return 0;
}
