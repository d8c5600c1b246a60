// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs-write FILE VALUE: write VALUE to FILE with one write(2), as a
 * sysfs store sees it, and print "0" or the errno's name (EINVAL, ...;
 * its number if it has no name, e.g. 517 for a leaked EPROBE_DEFER).
 * VALUE "-" writes what standard input holds instead (at most 1 MiB, any
 * bytes: NULs, non-UTF-8, several lines), still in one write(2).
 * Exit status 0 if the write succeeded, 1 if it failed, 2 on misuse.
 * Shell redirections cannot report which errno a write failed with.
 *
 * With FAIL_NTH=N in the environment, the write's Nth fault-injection
 * point fails (/proc/thread-self/fail-nth, set after the open, so only
 * the write counts; with failslab's defaults, its Nth slab allocation
 * that cannot sleep), and the errno is followed by " injected" if the
 * write reached that point, " missed" if not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STDIN_MAX (1 << 20)

/* All of standard input, in buf; its length, or -1. */
static ssize_t slurp(char *buf)
{
	ssize_t len = 0, n;

	while (len < STDIN_MAX) {
		n = read(0, buf + len, STDIN_MAX - len);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += n;
	}
	return len;
}

/* /proc/thread-self/fail-nth, open before the write (FAIL_NTH). */
static int fail_nth_fd = -1;

/* Makes this thread's Nth fault-injection point fail. */
static void fail_nth_set(const char *nth)
{
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fail_nth_fd < 0 || write(fail_nth_fd, nth, strlen(nth)) < 0) {
		perror("sysfs-write: /proc/thread-self/fail-nth");
		exit(2);
	}
}

/*
 * " injected" if the point set by fail_nth_set() was reached (fail-nth
 * reads 0), else " missed", and cancels it.
 */
static const char *fail_nth_left(void)
{
	char left[16] = "";

	if (pread(fail_nth_fd, left, sizeof(left) - 1, 0) < 0) {
		perror("sysfs-write: /proc/thread-self/fail-nth");
		exit(2);
	}
	if (atoi(left) == 0)
		return " injected";
	if (pwrite(fail_nth_fd, "0", 1, 0) < 0)
		perror("sysfs-write: /proc/thread-self/fail-nth");
	return " missed";
}

/* The errno's name, or its number if it has none (517: EPROBE_DEFER). */
static const char *errname(int err)
{
	static char num[16];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(num, sizeof(num), "%d", err);
	return num;
}

int main(int argc, char **argv)
{
	static char buf[STDIN_MAX];
	const char *value;
	ssize_t n, len;
	int fd, err;

	if (argc != 3) {
		fprintf(stderr, "usage: sysfs-write FILE VALUE|-\n");
		return 2;
	}
	value = argv[2];
	len = strlen(value);
	if (strcmp(value, "-") == 0) {
		len = slurp(buf);
		if (len < 0) {
			perror("sysfs-write: standard input");
			return 2;
		}
		value = buf;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		printf("%s\n", errname(errno));
		return 1;
	}
	if (getenv("FAIL_NTH"))
		fail_nth_set(getenv("FAIL_NTH"));
	n = write(fd, value, len);
	err = errno;
	printf("%s%s\n", n < 0 ? errname(err) : "0",
	       getenv("FAIL_NTH") ? fail_nth_left() : "");
	return n < 0;
}
