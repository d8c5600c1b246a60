// SPDX-License-Identifier: GPL-2.0
/*
 * timed-write FILE VALUE: write VALUE to FILE with one write(2) and print
 * how long the write took, in nanoseconds (CLOCK_MONOTONIC). On failure
 * print the errno's name to stderr and exit 1. For benchmarks of sysfs
 * stores, whose cost is all inside the write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: timed-write FILE VALUE\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "%s\n", strerrorname_np(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	n = write(fd, argv[2], strlen(argv[2]));
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (n < 0) {
		fprintf(stderr, "%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
