// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs-write FILE VALUE: write VALUE to FILE with one write(2), as a
 * sysfs store sees it, and print "0" or the errno's name (EINVAL, ...).
 * Exit status 0 if the write succeeded, 1 if it failed, 2 on misuse.
 * Shell redirections cannot report which errno a write failed with.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: sysfs-write FILE VALUE\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	n = write(fd, argv[2], strlen(argv[2]));
	if (n < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("0\n");
	return 0;
}
