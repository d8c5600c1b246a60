#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The job of a virtme-ng guest (scripts/vng.sh), run as root by vng's
# --exec on the host's own userspace: what guest-init.sh does in drvsim's
# busybox guest after boot, then the suite or some of its tests.
#
# vng-guest.sh RWDIR: RWDIR/job.env holds the settings; the results go to
# RWDIR/results (the sections results.py reads).
rw=${1:?usage: vng-guest.sh RWDIR}
. "$rw/job.env"
export DRVSIM_RESULTS=$rw/results DRVSIM_PARAMS SAMPLES
: > "$DRVSIM_RESULTS"
report() { echo "$*" >> "$DRVSIM_RESULTS"; }

mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
# virtme-ng-init started the host's systemd-udevd (without a coldplug,
# vng.sh): stop it, so that no test but autoload.sh sees a module loaded
# behind its back, as in drvsim's own guest. autoload_on
# (tests/lib/drvsim.sh) starts the same daemon for autoload.sh, and
# DRVSIM_LOADER tells autoload.sh that udev must be the loader here:
# skipping would hide a broken setup.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
if udevadm control --ping 2> /dev/null; then
	udevadm settle --timeout=60
	udevadm control --exit
fi
export DRVSIM_LOADER=udev
# depmod's indexes of the modules vng linked to /lib/modules/<release>
# (vng.sh): what kmod's modprobe and udevd's kmod builtin read.
echo "vng-guest: /lib/modules/$(uname -r) -> $(readlink -f "/lib/modules/$(uname -r)")"

echo "${HUNG_TASK_SECS:-20}" > /proc/sys/kernel/hung_task_timeout_secs
echo clear > /sys/kernel/debug/kmemleak 2>/dev/null

# The package at PKG (on the host's root): guest-check.sh finds the
# runner under KSFT_DIR, the tests their collection under DRVSIM_DIR.
export KSFT_DIR=$PKG DRVSIM_DIR=$PKG/drvsim
load_modules() {
	# shellcheck disable=SC2086
	insmod "$DRVSIM_DIR/modules/drvsim.ko" $DRVSIM_PARAMS || return 1
	for m in $SAMPLES; do
		insmod "$DRVSIM_DIR/modules/$m.ko" || return 1
	done
}
cd /tmp || exit 1
# KUnit only at this first load, as in guest-init.sh.
if ! load_modules; then
	echo "vng-guest: loading modules failed"
	rc=125
elif [ -e /sys/module/kunit/parameters/filter_glob ] &&
	! echo skip-all-suites > /sys/module/kunit/parameters/filter_glob; then
	echo "vng-guest: kunit's filter_glob is not writable"
	rc=125
elif [ "$MODE" = check ]; then
	sh "$(dirname "$0")/guest-check.sh"
	rc=$?
else
	only=()
	for t in $TESTS; do only+=(-t "drvsim:$t"); done
	report "DRVSIM-SECTION kselftest-run:vng"
	"$PKG/run_kselftest.sh" "${only[@]}" | tee -a "$DRVSIM_RESULTS"
	report "DRVSIM-SECTION end"
	rc=0
fi
report "DRVSIM-EXIT $rc"

# kmemleak, as in guest-init.sh: two scans, objects in flight settle.
if [ "$KMEMLEAK_SCAN" != 0 ] && [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
report "DRVSIM-END"
# virtme-ng's init would power the guest off, which a kernel without ACPI
# cannot do ("System halted instead"), and QEMU would wait for the
# timeout: reboot instead, which QEMU's -no-reboot turns into its exit.
sync
echo b > /proc/sysrq-trigger
