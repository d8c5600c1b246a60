#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest side of `make check`: hand every KUnit result of the drvsim
# modules and every kselftest script's TAP to the host, one section each.
R=${DRVSIM_RESULTS:-/dev/ttyS1}
for f in /sys/kernel/debug/kunit/drvsim*/results; do
	[ -e "$f" ] || continue
	suite=${f%/results}
	echo "DRVSIM-SECTION kunit:${suite##*/}" > "$R"
	cat "$f" > "$R"
done
for t in /drvsim/tests/*.sh; do
	echo "DRVSIM-SECTION kselftest:${t##*/}" > "$R"
	echo "drvsim-check: running ${t##*/} at $(cut -d" " -f1 /proc/uptime) s"
	# TAP to the host; diagnostics to the console log.
	sh "$t" > "$R"
	echo "drvsim-check: ${t##*/} exited $?"
done
echo "DRVSIM-SECTION end" > "$R"
