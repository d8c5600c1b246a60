#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the drvsim guest.
#
#   vm.sh run SCRIPT [NAME]   run SCRIPT as root after loading the modules;
#                             exit with its status (125: guest failed)
#   vm.sh vm                  interactive shell, sample topology created
#
# Environment: FLAVOUR (the kernel's flavour, which also picks the machine:
# arm64 or x86-64), KDIR (kernel build), DRVSIM_PARAMS (drvsim.ko parameters),
# SAMPLES (sample modules to load), TIMEOUT (seconds, run mode), QUIET=1
# (do not stream the console), QEMU_SMP (vCPUs, default 2), KMEMLEAK_SCAN=0
# (skip the final kmemleak scan), STALL_SECS (stop a guest silent that long
# after a splat). Logs go to $DRVSIM_OUT/<NAME>.{log,results}.
set -euo pipefail
. "$(dirname "$0")/env.sh"

mode=$1
script=${2:-}
name=${3:-run}
: "${KDIR:?KDIR must name the kernel build directory}"
SAMPLES=${SAMPLES:-drvsim_sample drvsim_faulty}
mkdir -p "$DRVSIM_OUT"
log=$DRVSIM_OUT/$name.log
results=$DRVSIM_OUT/$name.results
stage=$(mktemp -d "$DRVSIM_OUT/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# The suite as a kselftest package (scripts/kselftest-install.sh), rooted
# at the guest's /: /run_kselftest.sh, /kselftest/, and the collection
# /drvsim (tests, lib, bin, modules), which the guest's jobs use too.
"$DRVSIM_ROOT/scripts/kselftest-install.sh" "$stage/pkg"

# The machine, by FLAVOUR. Its console is the log the host scans; two
# more channels carry the job's results and, in vm mode, the kernel log,
# named to guest-init.sh by CHANNELS. x86-64: three 8250 UARTs (ttyS0-2).
# arm64: QEMU's `virt` board has one UART (ttyAMA0), so the other two are
# virtio consoles (hvc0, hvc1). The guest's busybox and bash: the host's
# for x86-64 (bash with its shared libraries), Debian's static arm64
# builds for arm64 (scripts/arm64-userspace.sh).
# pty.legacy_count=0: no BSD ptys (the guests use /dev/ptmx), whose 512
# devices took pty_init 3.7 s of every boot under TCG, 6.6 s in the
# loaded gate (initcall_debug), in each of its ~30 guests.
cmdline="panic=-1 kmemleak=on kasan_multi_shot kunit.enable=1 pty.legacy_count=0"
if [ "$FLAVOUR" = arm64 ]; then
	userspace=$("$DRVSIM_ROOT/scripts/arm64-userspace.sh")
	busybox=$userspace/busybox
	guest_bash() { echo "file /bin/bash $userspace/bash 0755 0 0"; }
	channels="/dev/hvc0 /dev/hvc1"
	# TCG only (this host is x86-64). QEMU's default pointer-authentication
	# algorithm costs much per call; the kernel has PTR_AUTH off anyway.
	accel="-accel tcg -cpu max,pauth-impdef=on"
	cmdline="console=ttyAMA0 $cmdline"
	# shellcheck disable=SC2206
	machine=("qemu-system-$(qemu_arch)" -M virt $accel)
	results_channel=(-device virtio-serial-device
		-chardev "file,id=results,path=$results" -device virtconsole,chardev=results)
	kmsg_channel=(-chardev "file,id=kmsg,path=$DRVSIM_OUT/vm.log" -device virtconsole,chardev=kmsg)
else
	busybox=$(command -v busybox)
	guest_bash() {
		echo "dir /lib64 0755 0 0"; echo "dir /lib/x86_64-linux-gnu 0755 0 0"
		echo "file /bin/bash /bin/bash 0755 0 0"
		ldd /bin/bash | awk '/=>/ {print $3} /^\t\/lib64/ {print $1}' | sort -u | while read -r lib; do
			echo "file $lib $(readlink -f "$lib") 0755 0 0"
		done
	}
	channels="/dev/ttyS1 /dev/ttyS2"
	accel=$("$DRVSIM_ROOT/scripts/kvm-probe.sh" "$KDIR")
	cmdline="console=ttyS0 $cmdline"
	# Under TCG the guest's TSC is the host's, but the guest cannot
	# calibrate it without ACPI timers and falls back to a 4 ms jiffies
	# clock: tell it the frequency (scripts/tsc-khz.c) for a nanosecond
	# clock.
	if [[ $accel == *tcg* ]]; then
		build_c "$DRVSIM_ROOT/scripts/tsc-khz.c" "$DRVSIM_OUT/tsc-khz"
		cmdline+=" tsc_early_khz=$("$DRVSIM_OUT/tsc-khz") tsc=reliable"
	fi
	# qboot, not SeaBIOS: it lists every vCPU in its MP table, where
	# SeaBIOS under TCG lists only the boot CPU (and the guest has no ACPI
	# to find the others), and it boots faster.
	# shellcheck disable=SC2206
	machine=("qemu-system-$(qemu_arch)" -bios /usr/share/qemu/qboot.rom $accel)
	results_channel=(-serial "file:$results")
	kmsg_channel=(-serial "file:$DRVSIM_OUT/vm.log")
fi

# The initramfs: busybox, the kselftest package, the benchmarks, the job.
{
	cat <<-EOL
	dir /dev 0755 0 0
	nod /dev/console 0600 0 0 c 5 1
	dir /bin 0755 0 0
	file /bin/busybox $busybox 0755 0 0
	slink /bin/sh busybox 0777 0 0
	dir /proc 0755 0 0
	dir /sys 0755 0 0
	dir /tmp 1777 0 0
	dir /root 0700 0 0
	file /init $DRVSIM_ROOT/scripts/guest-init.sh 0755 0 0
	EOL
	(cd "$stage/pkg" && find . -mindepth 1 -type d | sort) | while read -r d; do
		echo "dir ${d#.} 0755 0 0"
	done
	(cd "$stage/pkg" && find . -type f | sort) | while read -r f; do
		echo "file ${f#.} $stage/pkg/${f#./} $(stat -c %a "$stage/pkg/$f") 0 0"
	done
	echo "file /drvsim/topology.sh $DRVSIM_ROOT/scripts/topology.sh 0755 0 0"
	echo "dir /drvsim/bench 0755 0 0"
	for t in "$DRVSIM_ROOT"/tests/bench/*.sh; do
		echo "file /drvsim/bench/$(basename "$t") $t 0755 0 0"
	done
	# Real userspace clients: driverctl (a bash script from the host) and
	# bash.
	echo "dir /usr 0755 0 0"; echo "dir /usr/sbin 0755 0 0"; echo "dir /lib 0755 0 0"
	echo "file /usr/sbin/driverctl /usr/sbin/driverctl 0755 0 0"
	guest_bash
	if [ "$mode" = run ]; then
		echo "file /drvsim/job $(readlink -f "$script") 0755 0 0"
	fi
	printf 'MODE=%q\nDRVSIM_PARAMS=%q\nSAMPLES=%q\nHUNG_TASK_SECS=%q\nKMEMLEAK_SCAN=%q\nCHANNELS=%q\n' \
		"$mode" "${DRVSIM_PARAMS:-}" "$SAMPLES" "${HUNG_TASK_SECS:-20}" "${KMEMLEAK_SCAN:-1}" \
		"$channels" > "$stage/job.env"
	echo "file /drvsim/job.env $stage/job.env 0644 0 0"
} > "$stage/cpio.list"
"$KDIR/usr/gen_init_cpio" "$stage/cpio.list" > "$stage/initramfs.cpio"

qemu=("${machine[@]}" -m 2G -smp "${QEMU_SMP:-2}"
	-kernel "$KDIR/$(kernel_image)" -initrd "$stage/initramfs.cpio"
	-no-reboot -display none -nodefaults -append "$cmdline ${KERNEL_CMDLINE:-}"
	-serial mon:stdio "${results_channel[@]}")

if [ "$mode" = vm ]; then
	# A quiet console (loglevel=1, guest-init.sh's dmesg -n 1): kernel
	# messages go to the third channel, a log file.
	note "booting ($accel); Ctrl-A X quits QEMU; kernel log: $DRVSIM_OUT/vm.log"
	exec "${qemu[@]}" -append "$cmdline loglevel=1 ${KERNEL_CMDLINE:-}" "${kmsg_channel[@]}"
fi

# Under TCG on a loaded host, now and then (a few boots in a hundred, with
# either firmware) an interrupt arrives during early boot that the kernel
# handles with a bogus descriptor: KASAN reports a wild access in
# handle_edge_irq, and the guest loops on it. That is before init and any
# drvsim module, so such a boot is stopped and retried (twice at most),
# its log kept as <log>.early-splat.<n>.
early_splat() {
	# One awk, no pipe: under pipefail, `grep -q` quitting early made sed
	# die of SIGPIPE on a large log, and the splat went unnoticed.
	awk '/Run \/init as init process/ { exit 1 } /BUG: KASAN|BUG:|Oops/ { found = 1; exit 0 } END { exit !found }' "$log"
}
booted() {
	grep -q 'Run /init as init process' "$log"
}
boot() { # exits 99 if the boot splatted before init
	local pid
	: > "$log"
	timeout -k 10 "${TIMEOUT:-900}" "${qemu[@]}" < /dev/null > "$log" 2>&1 &
	pid=$!
	[ "${QUIET:-0}" = 1 ] || tail -f --pid=$pid "$log" &
	while kill -0 $pid 2> /dev/null && ! booted; do
		if early_splat; then
			kill $pid
			wait $pid
			return 99
		fi
		sleep 1
	done
	# STALL_SECS (scripts/mutants.sh): a guest whose log has a splat and
	# then stays silent that long is hung for good (a probe deadlocked at
	# module load, before any job can notice): stop it rather than wait
	# for TIMEOUT.
	while [ -n "${STALL_SECS:-}" ] && kill -0 $pid 2> /dev/null; do
		sleep 5
		[ $(($(date +%s) - $(stat -c %Y "$log"))) -ge "$STALL_SECS" ] || continue
		"$DRVSIM_ROOT/scripts/scan-log.sh" "$log" > /dev/null 2>&1 && continue
		note "guest silent for ${STALL_SECS}s after a splat: stopped"
		kill $pid
	done
	wait $pid
}

note "guest log: $log"
set +e
for attempt in 1 2 3; do
	boot
	[ $? = 99 ] || break
	cp "$log" "$log.early-splat.$attempt"
	note "splat during early boot (kept in $log.early-splat.$attempt); booting again"
done
set -e
guest_verdict "$results" "$log"
