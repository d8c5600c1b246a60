// SPDX-License-Identifier: GPL-2.0
/*
 * write-loop STOPFILE FILE VALUE [FILE VALUE]...: write each VALUE to its
 * FILE (one write(2) each, in turn) until STOPFILE exists, then print how
 * the writes ended, one "<result> <count>" line per result ("0" for
 * success, else the errno's name, ENOENT included: a file not there).
 * A racing writer without a fork per write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ERRNOS 256

int main(int argc, char **argv)
{
	static unsigned long count[ERRNOS];
	int i;

	if (argc < 4 || argc % 2) {
		fprintf(stderr, "usage: write-loop STOPFILE FILE VALUE [FILE VALUE]...\n");
		return 2;
	}
	while (access(argv[1], F_OK)) {
		for (i = 2; i < argc; i += 2) {
			int fd = open(argv[i], O_WRONLY), err = 0;

			if (fd < 0)
				err = errno;
			else if (write(fd, argv[i + 1], strlen(argv[i + 1])) < 0)
				err = errno;
			if (fd >= 0)
				close(fd);
			count[err < ERRNOS ? err : 0]++;
		}
	}
	for (i = 0; i < ERRNOS; i++)
		if (count[i])
			printf("%s %lu\n", i ? strerrorname_np(i) : "0", count[i]);
	return 0;
}
