// SPDX-License-Identifier: GPL-2.0
/*
 * fail-each FILE VALUE UNDO_FILE UNDO_VALUE...: systematic fault injection of
 * one sysfs write (Documentation/fault-injection/fault-injection.rst,
 * /proc/thread-self/fail-nth). For N = 1, 2, ...: write VALUE to FILE with
 * the Nth fault-injection point of the write failing (with failslab set
 * up: its Nth slab allocation), until the write no longer reaches an Nth
 * point. A write that fails must fail with ENOMEM; one that succeeds
 * anyway (the failed allocation was optional) is undone by writing
 * UNDO_VALUE to UNDO_FILE (each pair in turn, if there are several). After each, the drvsim bus must look exactly as
 * before the first: the same devices with the same entries (attributes,
 * virtfn/physfn links), drivers and their entries, bindings, VF counts.
 *
 * Prints one line per anomaly (per point with FAIL_EACH_VERBOSE set) and
 * a summary, "points P failed F succeeded S bad B", and exits 0 if B is
 * 0, 1 otherwise (2: misuse).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUS "/sys/bus/drvsim"

static char *out;
static size_t len, size;

/* Makes room for n more bytes: the snapshot grows, it is never truncated. */
static void reserve(size_t n)
{
	if (len + n <= size)
		return;
	size = 2 * (len + n);
	out = realloc(out, size);
	if (!out) {
		perror("fail-each: bus listing");
		exit(2);
	}
}

/* Appends s and a newline. */
static void add(const char *s)
{
	size_t n = strlen(s);

	reserve(n + 2);
	memcpy(out + len, s, n);
	len += n;
	out[len++] = '\n';
	out[len] = 0;
}

static int visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Adds the sorted entries of dir; calls each(dir, entry) if given. */
static void list(const char *dir, void (*each)(const char *, const char *))
{
	struct dirent **e;
	int i, n = scandir(dir, &e, visible, alphasort);

	add(dir);
	for (i = 0; i < n; i++) {
		add(e[i]->d_name);
		if (each)
			each(dir, e[i]->d_name);
		free(e[i]);
	}
	if (n >= 0)
		free(e);
}

static void device(const char *dir, const char *name)
{
	char path[512], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/", dir, name);
	list(path, NULL);
	snprintf(path, sizeof(path), "%s/%s/driver", dir, name);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	add(n > 0 ? strrchr(buf, '/') + 1 : "unbound");
	snprintf(path, sizeof(path), "%s/%s/sriov_numvfs", dir, name);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		add(buf);
		close(fd);
	}
}

static void driver(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	list(path, NULL);
}

static char *snapshot(void)
{
	out = NULL;
	len = size = 0;
	reserve(65536);
	out[0] = 0;
	list(BUS "/devices", device);
	list(BUS "/drivers", driver);
	list("/sys/devices/drvsim", NULL);
	return out;
}

/* write(2) VALUE to FILE: 0 or errno. */
static int write_file(const char *file, const char *value)
{
	int fd = open(file, O_WRONLY), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, value, strlen(value)) < 0)
		err = errno;
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	int nth, points = 0, failed = 0, succeeded = 0, bad = 0;
	int verbose = getenv("FAIL_EACH_VERBOSE") != NULL;
	char *before, *after, arm[16], left[16];

	if (argc < 5 || argc % 2 == 0) {
		fprintf(stderr, "usage: fail-each FILE VALUE UNDO_FILE UNDO_VALUE...\n");
		return 2;
	}
	nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth < 0) {
		perror("fail-each: /proc/thread-self/fail-nth");
		return 2;
	}
	before = snapshot();
	for (int n = 1;; n++) {
		int fd = open(argv[1], O_WRONLY), err = 0, injected;

		if (fd < 0) {
			perror(argv[1]);
			return 2;
		}
		snprintf(arm, sizeof(arm), "%d", n);
		memset(left, 0, sizeof(left));
		if (write(nth, arm, strlen(arm)) < 0)
			return 2;
		if (write(fd, argv[2], strlen(argv[2])) < 0)
			err = errno;
		/* What is left of N: 0 once the Nth point failed. Then disarm. */
		if (pread(nth, left, sizeof(left) - 1, 0) < 0 || write(nth, "0", 1) < 0)
			return 2;
		close(fd);
		injected = atoi(left) == 0;
		if (verbose)
			printf("point %d: %s (injected %d)\n", n, err ? strerrorname_np(err) : "0", injected);
		if (injected)
			points++;
		if (err == ENOMEM && injected) {
			failed++;
		} else if (err) {
			printf("point %d: %s (injected %d)\n", n, strerrorname_np(err), injected);
			bad++;
		} else {
			succeeded += injected;
			for (int i = 3; i + 1 < argc; i += 2) {
				int u = write_file(argv[i], argv[i + 1]);

				if (u) {
					printf("point %d: undo %s failed: %s\n", n, argv[i],
					       strerrorname_np(u));
					bad++;
				}
			}
		}
		after = snapshot();
		if (strcmp(before, after)) {
			printf("point %d (%s): the bus changed; before:\n%s\nafter:\n%s\n",
			       n, err ? strerrorname_np(err) : "0", before, after);
			bad++;
		}
		free(after);
		if (!injected || bad > 5)
			break;
	}
	printf("points %d failed %d succeeded %d bad %d\n", points, failed, succeeded, bad);
	return bad ? 1 : 0;
}
