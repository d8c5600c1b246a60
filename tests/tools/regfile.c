// SPDX-License-Identifier: GPL-2.0
/*
 * regfile: drive drvsim_sample's /dev/drvsim-<name> register files.
 *
 * FILE is a path, or @N for an inherited file descriptor N (so a shell can
 * keep one file open across unbind: exec 3<>/dev/drvsim-x; regfile read @3 ...).
 *
 *   regfile read FILE REGION OFFSET        DRVSIM_IOC_READ32; prints 0x%08x
 *   regfile write FILE REGION OFFSET VALUE DRVSIM_IOC_WRITE32; prints 0
 *   regfile pread FILE POS COUNT           read(2) of COUNT registers at POS
 *   regfile pwrite FILE POS VALUE          write(2) of one register at POS
 *   regfile hold FILE MS                   DRVSIM_IOC_HOLD; prints 0
 *   regfile hammer FILE THREADS MS         see hammer() below
 *
 * A failed call prints the errno's name (ENXIO, ...) and exits 1; misuse
 * exits 2. The ioctl layout is in Documentation/sysfs.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct drvsim_reg {
	uint32_t region;
	uint32_t offset;
	uint32_t value;
};

#define DRVSIM_IOC_READ32 _IOWR('D', 1, struct drvsim_reg)
#define DRVSIM_IOC_WRITE32 _IOW('D', 2, struct drvsim_reg)
#define DRVSIM_IOC_HOLD _IOW('D', 3, uint32_t)
#define DRVSIM_ID_BASE 0xd5150000u

static int open_file(const char *f)
{
	int fd = f[0] == '@' ? atoi(f + 1) : open(f, O_RDWR);

	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		exit(1);
	}
	return fd;
}

static int fail(void)
{
	printf("%s\n", strerrorname_np(errno));
	return 1;
}

static uint32_t num(const char *s)
{
	return strtoul(s, NULL, 0);
}

/*
 * hammer: THREADS threads share one file descriptor and read region 0's ID
 * register through ioctl and read(2), alternately, until MS milliseconds
 * have passed and a call saw the revocation (ENXIO; at most 60 s more);
 * then the main thread closes the descriptor under them.
 * Meanwhile the test unbinds the device. Each call must return the right
 * ID, or ENXIO once revoked (and then for good), or EBADF once closed.
 * Prints "ok=N enxio=N closed=N bad=N"; exits 1 if bad > 0.
 */
static int hammer_fd;
static atomic_long ok, enxio, closed, bad;

static void *hammer_thread(void *arg)
{
	int revoked = 0, i;

	(void)arg;
	for (i = 0;; i++) {
		struct drvsim_reg r = { 0, 0, 0 };
		uint32_t v = 0;
		int ret;

		if (i & 1) {
			ret = ioctl(hammer_fd, DRVSIM_IOC_READ32, &r);
			v = r.value;
		} else {
			ret = pread(hammer_fd, &v, 4, 0) == 4 ? 0 : -1;
		}
		if (ret == 0 && v == DRVSIM_ID_BASE && !revoked) {
			ok++;
		} else if (ret < 0 && errno == ENXIO) {
			enxio++;
			revoked = 1;
		} else if (ret < 0 && errno == EBADF) {
			closed++;
			return NULL;
		} else if (bad++ < 5) {
			fprintf(stderr, "hammer: ret %d errno %s value %#x after revoke %d\n", ret,
				ret ? strerrorname_np(errno) : "0", v, revoked);
		}
	}
}

static int hammer(const char *f, int threads, int ms)
{
	pthread_t t[64];
	struct timespec d = { ms / 1000, ms % 1000 * 1000000L };
	int i;

	if (threads < 1 || threads > 64)
		return 2;
	hammer_fd = open_file(f);
	for (i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, hammer_thread, NULL);
	nanosleep(&d, NULL);
	/*
	 * The close must come after the revocation: under a loaded host the
	 * unbind the test started may still be waiting for the threads'
	 * accesses when MS is over. Up to 60 s more, in 10 ms steps.
	 */
	for (i = 0; i < 6000 && !enxio; i++)
		nanosleep(&(struct timespec){ 0, 10000000L }, NULL);
	close(hammer_fd);
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("ok=%ld enxio=%ld closed=%ld bad=%ld\n", ok, enxio, closed, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct drvsim_reg r;
	uint32_t buf[64];
	int fd, i, n;

	if (argc < 3)
		goto usage;
	if (!strcmp(argv[1], "hammer") && argc == 5)
		return hammer(argv[2], atoi(argv[3]), atoi(argv[4]));
	fd = open_file(argv[2]);
	if (!strcmp(argv[1], "read") && argc == 5) {
		r = (struct drvsim_reg){ num(argv[3]), num(argv[4]), 0 };
		if (ioctl(fd, DRVSIM_IOC_READ32, &r))
			return fail();
		printf("0x%08x\n", r.value);
	} else if (!strcmp(argv[1], "write") && argc == 6) {
		r = (struct drvsim_reg){ num(argv[3]), num(argv[4]), num(argv[5]) };
		if (ioctl(fd, DRVSIM_IOC_WRITE32, &r))
			return fail();
		printf("0\n");
	} else if (!strcmp(argv[1], "pread") && argc == 5) {
		n = num(argv[4]);
		if (n > 64)
			goto usage;
		n = pread(fd, buf, 4 * n, num(argv[3]));
		if (n < 0)
			return fail();
		for (i = 0; i < n / 4; i++)
			printf("%s0x%08x", i ? " " : "", buf[i]);
		printf("\n");
	} else if (!strcmp(argv[1], "pwrite") && argc == 5) {
		buf[0] = num(argv[4]);
		if (pwrite(fd, buf, 4, num(argv[3])) != 4)
			return fail();
		printf("0\n");
	} else if (!strcmp(argv[1], "hold") && argc == 4) {
		uint32_t ms = num(argv[3]);

		if (ioctl(fd, DRVSIM_IOC_HOLD, &ms))
			return fail();
		printf("0\n");
	} else {
		goto usage;
	}
	return 0;
usage:
	fprintf(stderr, "usage: see the comment at the top of regfile.c\n");
	return 2;
}
