#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest side of `make check`: hand every KUnit result of the drvsim
# modules and every kselftest script's TAP to the host, one section each.
# The host expects each KUnit suite of the sources and each fixed section
# below by name (check.sh, expected_sections): one missing here fails there.
# Appending (>>, tee -a): the channel is a serial port in drvsim's guest,
# a file under virtme-ng (scripts/vng-guest.sh). KSFT_DIR: where the
# kselftest package is, / in drvsim's guest.
R=$DRVSIM_RESULTS
P=${KSFT_DIR:-}
for f in /sys/kernel/debug/kunit/drvsim*/results; do
	[ -e "$f" ] || continue
	suite=${f%/results}
	echo "DRVSIM-SECTION kunit:${suite##*/}" >> "$R"
	cat "$f" >> "$R"
done
# The kselftests through the kernel's runner, from the installed package
# (scripts/kselftest-install.sh): the host splits its output per test.
# Under KCSAN (the kcsan flavour: its debugfs file) the tests marked
# "# kcsan: skip" do not run: each drives a single writer with no
# concurrency of its own, where KCSAN, which reports two contexts racing,
# has nothing to watch, and they are among the slowest (testing.rst, "The
# gate's time").
only=
if [ -e /sys/kernel/debug/kcsan ]; then
	for t in $(cat "$P/kselftest-list.txt"); do
		grep -q '^# kcsan: skip' "$P/drvsim/${t#*:}" || only="$only -t $t"
	done
fi
echo "DRVSIM-SECTION kselftest-run" >> "$R"
# Each test's start and end also go to the kernel log, so that check.log's
# timestamps give every test's guest time (Documentation/testing.rst).
"$P/run_kselftest.sh" $only | tee -a "$R" | while IFS= read -r l; do
	printf '%s\n' "$l"
	case $l in "# selftests: "* | "ok "* | "not ok "*) echo "drvsim-ktap: $l" > /dev/kmsg ;; esac
done
# The package is portable: a copy elsewhere, run with none of the guest's
# settings and with no drvsim module loaded, loads what it needs.
mkdir -p /tmp/portable
cp -a "$P/run_kselftest.sh" "$P/kselftest" "$P/kselftest-list.txt" "$P/drvsim" /tmp/portable/
rm -f /tmp/portable/drvsim/job /tmp/portable/drvsim/job.env
for m in $(cut -d' ' -f1 /proc/modules | grep '^drvsim_') drvsim; do rmmod "$m"; done
# A precondition, as a case of its own: otherwise a module left loaded
# would make the portable run pass without loading anything.
echo "DRVSIM-SECTION kunit:portable-precondition" >> "$R"
printf 'KTAP version 1\n1..1\n' >> "$R"
if grep -q '^drvsim' /proc/modules; then
	echo "not ok 1 every drvsim module is unloaded before the portable run" >> "$R"
else
	echo "ok 1 every drvsim module is unloaded before the portable run" >> "$R"
fi
echo "DRVSIM-SECTION kselftest-run:portable" >> "$R"
env -u DRVSIM_DIR -u SAMPLES -u DRVSIM_PARAMS /tmp/portable/run_kselftest.sh -t drvsim:bus_sysfs.sh | tee -a "$R"
echo "DRVSIM-SECTION end" >> "$R"
