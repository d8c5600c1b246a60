// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs-write FILE VALUE: write VALUE to FILE with one write(2), as a
 * sysfs store sees it, and print "0" or the errno's name (EINVAL, ...).
 * VALUE "-" writes what standard input holds instead (at most 1 MiB, any
 * bytes: NULs, non-UTF-8, several lines), still in one write(2).
 * Exit status 0 if the write succeeded, 1 if it failed, 2 on misuse.
 * Shell redirections cannot report which errno a write failed with.
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

int main(int argc, char **argv)
{
	static char buf[STDIN_MAX];
	const char *value;
	ssize_t n, len;
	int fd;

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
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	n = write(fd, value, len);
	if (n < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("0\n");
	return 0;
}
