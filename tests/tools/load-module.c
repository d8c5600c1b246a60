// SPDX-License-Identifier: GPL-2.0
/*
 * load-module FILE [PARAMS]: load a module with one finit_module(2) and
 * print "0" or the errno's name. busybox insmod retries a failed
 * finit_module() with init_module(), which would run a failing module
 * init twice and report only the second errno as a message.
 * Exit status 0 if it loaded, 1 if not, 2 on misuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: load-module FILE [PARAMS]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, argc == 3 ? argv[2] : "", 0)) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("0\n");
	return 0;
}
