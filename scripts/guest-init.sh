#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the drvsim guest (busybox). Loads the modules, runs the job the
# host packed into /drvsim, reports on the host's channel, and reboots
# (QEMU runs with -no-reboot, so rebooting ends it).
#
# The console (ttyS0; ttyAMA0 on arm64): the kernel's messages and the
# job's output (the log the host scans). The two host channels named by
# CHANNELS in job.env (scripts/vm.sh): job results and the exit/end
# markers; in vm mode, the kernel log.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# What udev adds on a real system; the kernel's kselftest runner writes
# to /dev/stdout.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmp /tmp
export PATH=/bin:/usr/sbin HOME=/root DRVSIM_DIR=/drvsim
cd /root

. /drvsim/job.env
set -- $CHANNELS
export DRVSIM_RESULTS=$1
KMSG_CHANNEL=$2
# A virtio console's ports appear after its device has probed, from a
# message of the host's: wait for them (a few seconds at most). The
# kernel-log channel exists in vm mode only.
wanted=$DRVSIM_RESULTS
[ "$MODE" != vm ] || wanted="$wanted $KMSG_CHANNEL"
for _ in $(seq 100); do
	missing=
	for c in $wanted; do [ -e "$c" ] || missing=$c; done
	[ -z "$missing" ] && break
	sleep 0.1
done
[ -z "$missing" ] || echo "drvsim-init: $missing did not appear; the host will see no results"
# Scripts that reload drvsim need to know how it was loaded.
export DRVSIM_PARAMS SAMPLES
report() { echo "$*" > "$DRVSIM_RESULTS"; }

# The modules where modprobe looks for them, with depmod's modules.alias,
# so that a device's MODALIAS names its driver module; busybox's mdev
# (autoload_on in tests/lib/drvsim.sh; always in the VM) loads it on the
# device's uevent as udev does (busybox's uevent daemon runs it for each
# uevent). The rule logs each alias it gets.
kver=$(uname -r)
mkdir -p "/lib/modules/$kver/extra" /etc
ln /drvsim/modules/*.ko "/lib/modules/$kver/extra/"
depmod
echo '$MODALIAS=.* 0:0 660 @echo "$ACTION $MODALIAS" >> /tmp/modalias.log; modprobe -q "$MODALIAS"' > /etc/mdev.conf

# Hung tasks must be reported within a test run, not after it.
echo "${HUNG_TASK_SECS:-20}" > /proc/sys/kernel/hung_task_timeout_secs
# Only leaks made by the job count: forget boot-time objects.
echo clear > /sys/kernel/debug/kmemleak 2>/dev/null

load_modules() {
	insmod /drvsim/modules/drvsim.ko $DRVSIM_PARAMS || return 1
	for m in $SAMPLES; do
		insmod /drvsim/modules/$m.ko || return 1
	done
}

# KUnit runs at each load of a module with suites (kunit.enable=1); the
# results that count are this first load's (guest-check.sh reads them
# from debugfs). The tests reload drvsim about fifteen times a suite, at
# 3.5 s of KUnit each under TCG: a filter no suite matches (kunit's
# filter_glob, applied at every later load) spares that. The interactive
# VM keeps KUnit at every load.
kunit_once() {
	local glob=/sys/module/kunit/parameters/filter_glob
	[ "$MODE" = vm ] || [ ! -e $glob ] || echo skip-all-suites > $glob
}

if ! load_modules; then
	echo "drvsim-init: loading modules failed"
	rc=125
elif ! kunit_once; then
	echo "drvsim-init: kunit's filter_glob is not writable"
	rc=125
elif [ "$MODE" = vm ]; then
	# A quiet console: only the shell and what the user types. Kernel
	# messages stay in dmesg and go to the third channel, which the host
	# writes to the log file.
	dmesg -n 1
	cat /proc/kmsg > "$KMSG_CHANNEL" &
	uevent mdev &
	[ -x /drvsim/topology.sh ] && /drvsim/topology.sh
	echo "drvsim VM: bus at /sys/bus/drvsim; Ctrl-A X quits QEMU, 'exit' reboots."
	setsid cttyhack sh -l
	rc=0
else
	sh /drvsim/job
	rc=$?
fi
report "DRVSIM-EXIT $rc"

# kmemleak reports objects older than 5 s that nothing points to; scan
# twice so that objects still in flight during the first scan settle.
if [ "$KMEMLEAK_SCAN" != 0 ] && [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
report "DRVSIM-END"
sync
# A job that leaves tasks hung on purpose (scripts/guest-mutant.sh, on a
# kernel with a bug put back) asks for a reboot without the device
# shutdown, which would wait for the device locks those tasks hold.
[ ! -e /tmp/reboot-without-shutdown ] || echo b > /proc/sysrq-trigger
reboot -f
