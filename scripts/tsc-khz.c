// SPDX-License-Identifier: GPL-2.0
/*
 * tsc-khz: print the host's TSC frequency in kHz, measured against
 * CLOCK_MONOTONIC_RAW over 200 ms.
 *
 * Under TCG, QEMU's guest TSC is the host's TSC, but the guest has no
 * timer to calibrate it against (no HPET without ACPI, and the emulated
 * PIT is too irregular), so it marks the TSC unstable and its clock ticks
 * in jiffies (4 ms). scripts/vm.sh passes this figure as tsc_early_khz=
 * so that the guest gets a nanosecond clock for its benchmarks.
 */
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

int main(void)
{
	struct timespec a, b, d = { 0, 200000000 };
	unsigned long long t0, t1;
	double ns;

	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	t0 = __rdtsc();
	nanosleep(&d, NULL);
	t1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	printf("%.0f\n", (double)(t1 - t0) / ns * 1e6);
	return 0;
}
