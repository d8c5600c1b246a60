# SPDX-License-Identifier: GPL-2.0
# Helpers for drvsim's kselftest scripts (POSIX sh; busybox in the guest).
# TAP comes from the kernel tree's own ktap_helpers.sh.
#
# The tests are written for busybox's ash (drvsim's guest) and bash, and
# some draw from $RANDOM (chaos, stress, sysfs_fuzz, driver_lifetime),
# which dash, Debian's /bin/sh, lacks: under it (a virtme-ng guest runs the
# tests with the host's /bin/sh, as kernel CI on Debian would), a test
# runs itself again under bash, before it has printed anything.
if [ -z "${DRVSIM_RERUN:-}" ] && [ "$RANDOM" = "$RANDOM" ] && command -v bash > /dev/null; then
	export DRVSIM_RERUN=bash
	exec bash "$0" "$@"
fi

# DRVSIM_DIR is the suite's kselftest collection directory (drvsim/ of
# the package that scripts/kselftest-install.sh lays out): that of the
# running test unless set (drvsim's guest sets /drvsim for its jobs).
DRVSIM_DIR=${DRVSIM_DIR:-$(cd "$(dirname "$0")" && pwd)}
BIN=$DRVSIM_DIR/bin
MODULES=$DRVSIM_DIR/modules
. "$DRVSIM_DIR/../kselftest/ktap_helpers.sh"
# The modules a test expects loaded, and drvsim.ko's parameters; in the
# guest, what it loaded at boot (guest-init.sh), elsewhere the suite's
# defaults (Documentation/testing.rst).
SAMPLES=${SAMPLES-drvsim_sample drvsim_faulty}
DRVSIM_PARAMS=${DRVSIM_PARAMS-lockdep_device_class=1}

BUS=/sys/bus/drvsim
# The second bus (Documentation/drvsim.rst, "The second bus"): its own
# devices and drivers, names shared with $BUS.
BUS1=/sys/bus/drvsim1

# errno_of FILE VALUE: write VALUE to FILE in one write(2); print "0" on
# success, else the errno name (EINVAL, EEXIST, ...) it failed with.
errno_of() {
	$BIN/sysfs-write "$1" "$2"
}

# expect_errno WANT FILE VALUE DESC: one test case.
expect_errno() {
	local got
	got=$(errno_of "$2" "$3")
	if [ "$got" = "$1" ]; then
		ktap_test_pass "$4"
	else
		ktap_print_msg "$4: wrote '$3' to $2: want $1, got $got"
		ktap_test_fail "$4"
	fi
}

# expect_eq WANT GOT DESC: one test case.
expect_eq() {
	if [ "$1" = "$2" ]; then
		ktap_test_pass "$3"
	else
		ktap_print_msg "$3: want '$1', got '$2'"
		ktap_test_fail "$3"
	fi
}

# The driver a device (of either bus) is bound to, or "none".
driver_of() {
	local l
	l=$(readlink "$BUS/devices/$1/driver" 2>/dev/null ||
		readlink "$BUS1/devices/$1/driver" 2>/dev/null) && echo "${l##*/}" || echo none
}
# bound DEV, unbound DEV: predicates on driver_of (for wait_until and
# ktap_test_result).
bound() { [ "$(driver_of "$1")" != none ]; }
unbound() { [ "$(driver_of "$1")" = none ]; }

# bus_state PF: what a write could change: every device with its driver
# and driver_override, PF's VF count and autoprobe, every driver's
# entries (bind, new_id, ...).
bus_state() {
	local d
	for d in "$BUS"/devices/*; do
		echo "${d##*/} $(driver_of "${d##*/}") $(cat "$d/driver_override")"
	done
	cat "$BUS/devices/$1/sriov_numvfs" "$BUS/devices/$1/sriov_drivers_autoprobe"
	ls "$BUS/drivers"/*
}

# Remove every device of both buses, so each script starts from empty
# buses.
reset_bus() {
	local b d
	for b in "$BUS" "$BUS1"; do
		for d in "$b"/devices/*; do
			[ -e "$d" ] && printf '%s' "${d##*/}" > "$b/del_device" 2>/dev/null
		done
	done
	return 0
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s; fail after SECONDS.
wait_until() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# task_state PID: the state letter of /proc/PID/stat (R, S, D, Z...), or
# nothing once PID is reaped.
task_state() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1
}

# Is process PID still running? A child that exited but is not reaped yet
# (a zombie) is not.
alive() {
	local st
	st=$(task_state "$1")
	[ -n "$st" ] && [ "$st" != Z ]
}

# finished PID: the opposite of alive.
finished() {
	! alive "$1"
}

# blocked PID: is PID asleep uninterruptibly (state D), as in a mutex?
blocked() {
	[ "$(task_state "$1")" = D ]
}

# asleep_in PID PATTERN: is PID in D state with a frame matching PATTERN
# (in_kernel, below)?
asleep_in() {
	blocked "$1" && in_kernel "$1" "$2"
}

# never_blocked PID: PID is not seen in D state in ten looks over half a
# second (a task that sleeps interruptibly in a polling loop, as a held
# drvsim_faulty callback does, is seen in R now and then, never in D).
never_blocked() {
	local n=10
	while [ $n -gt 0 ]; do
		! blocked "$1" || return 1
		sleep 0.05
		n=$((n - 1))
	done
}

# in_kernel PID PATTERN: does PID's kernel stack (/proc/PID/stack) have a
# frame matching PATTERN (a grep regex: a function, or a module as
# '\[drvsim_faulty\]')? Where a task sleeps, which a test can wait for
# instead of guessing how long it takes to get there.
in_kernel() {
	grep -q -- "$2" "/proc/$1/stack" 2>/dev/null
}

# waits_in PID PATTERN: wait (10 s at most) until PID sleeps in a frame
# matching PATTERN (in_kernel); if it does not, its stack goes to the log,
# for the failed case.
waits_in() {
	wait_until 10 in_kernel "$1" "$2" && return 0
	ktap_print_msg "stack of $1: $(tr '\n' ' ' < "/proc/$1/stack" 2>/dev/null)"
	return 1
}

# tasks_in PID N PATTERN: do N threads of PID have a kernel frame
# matching PATTERN (in_kernel)? E.g. all of cdevfile's sleepers asleep in
# the cdev layer; a predicate, for wait_until.
tasks_in() {
	# One grep for all threads: a fork per thread is slow under TCG.
	[ "$(grep -l -- "$3" /proc/$1/task/*/stack 2>/dev/null | wc -l)" = "$2" ]
}

# lines_in FILE N: does FILE have N lines (a predicate, for wait_until)?
lines_in() {
	[ "$(wc -l < "$1")" = "$2" ]
}

# outcome PID PATTERN: "done" once PID has finished, "waits" once it
# sleeps in D state with a frame matching PATTERN on its stack (in_kernel),
# "neither" if it does neither within 15 s (then its stack goes to the
# log). No wall-clock window decides: a slow guest only makes it poll
# longer. PATTERN names where PID would wait for the lock in question, so
# that a passing D state elsewhere (another mutex) is not taken for it.
outcome() {
	local n=150
	while [ $n -gt 0 ]; do
		if finished "$1"; then echo done; return; fi
		if blocked "$1" && in_kernel "$1" "$2"; then echo waits; return; fi
		sleep 0.1
		n=$((n - 1))
	done
	echo neither
	ktap_print_msg "stack of $1: $(tr '\n' ' ' < "/proc/$1/stack" 2>/dev/null)" >&2
}

# debugfs `live`: the drvsim devices not yet released, plus one; released:
# every removed device has really been freed (what module unload waits for).
LIVE=/sys/kernel/debug/drvsim/live
released() {
	[ "$(cat $LIVE)" = 1 ]
}

# new_with_region DEV...: new devices with one region each.
new_with_region() {
	local d
	for d in "$@"; do printf '%s regions=1' "$d" > "$BUS/new_device"; done
}

FAULTY=$BUS/drivers/drvsim_faulty

# reload_drvsim PARAMS...: unload the samples and drvsim, load drvsim with
# PARAMS and the samples again (the samples the guest started with).
reload_drvsim() {
	unload_drvsim && load_drvsim "$@"
}

# unload_drvsim: unload the samples, then drvsim.
unload_drvsim() {
	local m
	for m in $SAMPLES; do rmmod "$m" || return 1; done
	rmmod drvsim
}

# load_drvsim PARAMS...: load drvsim with PARAMS, then the samples.
load_drvsim() {
	local m
	insmod $MODULES/drvsim.ko "$@" || return 1
	for m in $SAMPLES; do insmod "$MODULES/$m.ko" || return 1; done
}

# Pause points (Documentation/sysfs.rst, "Pause points").
PAUSE=/sys/kernel/debug/drvsim/pause

# pause_arm POINT: the next task that reaches POINT stops there.
pause_arm() {
	printf arm > "$PAUSE/$1"
}

# pause_state POINT: idle, armed or "held <pid>".
pause_state() {
	cat "$PAUSE/$1" 2>/dev/null
}

# pause_wait_held POINT SECONDS: wait until a task is held at POINT.
pause_wait_held() {
	wait_until "$2" sh -c "grep -q '^held ' '$PAUSE/$1'"
}

# pause_release POINT: let the held task go on (and disarm POINT).
pause_release() {
	printf release > "$PAUSE/$1"
}

# Driver autoload (Documentation/testing.rst, "Autoload"). Two loaders:
# - udev, where the system has systemd-udevd and udevadm (a virtme-ng
#   guest, scripts/vng.sh; a real machine): the host's rules
#   (80-drivers.rules: RUN{builtin}+="kmod load $MODALIAS", libkmod
#   reading modules.alias, as kmod's modprobe does). autoload_on starts
#   the daemon with its debug log in /tmp/udevd.log, unless one runs
#   already (a real machine's, which it leaves alone and whose log it
#   cannot read).
# - mdev, in drvsim's busybox guest: busybox's uevent daemon runs mdev
#   for each uevent, whose rule (/etc/mdev.conf, from guest-init.sh) runs
#   modprobe "$MODALIAS" and logs the alias to /tmp/modalias.log. (mdev -d
#   would first scan all of /sys, 20 s under TCG.)
# Off unless a test turns it on: the other tests load and unload the
# samples themselves.
# udevd_bin: the daemon: systemd's, or udevadm called systemd-udevd (it
# is udevd then, the link systemd installs), where that link is hidden
# (scripts/vng.sh hides it from virtme-ng's init).
udevd_bin() {
	for u in /usr/lib/systemd/systemd-udevd /lib/systemd/systemd-udevd; do
		[ -x "$u" ] && echo "$u" && return 0
	done
	command -v udevadm > /dev/null || return 1
	mkdir -p /tmp/drvsim-udevd
	ln -sf "$(command -v udevadm)" /tmp/drvsim-udevd/systemd-udevd
	echo /tmp/drvsim-udevd/systemd-udevd
}
# autoload_loader: udev, mdev, or nothing if neither can run here.
autoload_loader() {
	if command -v udevadm > /dev/null && udevd_bin > /dev/null; then
		echo udev
	elif command -v uevent > /dev/null && command -v mdev > /dev/null; then
		echo mdev
	fi
}
autoload_on() {
	: > /tmp/modalias.log
	if [ "$(autoload_loader)" = udev ]; then
		: > /tmp/udevd.log
		echo 0 > /tmp/udevd.pid
		udevadm control --ping 2> /dev/null && return 0
		SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=debug "$(udevd_bin)" 2> /tmp/udevd.log &
		echo $! > /tmp/udevd.pid
		wait_until 10 udevadm control --ping 2> /dev/null
		return
	fi
	uevent mdev &
	echo $! > /tmp/mdev.pid
	# Listening once it has a uevent netlink socket (protocol 15) bound to
	# a port of its own (the kernel's has port 0).
	wait_until 10 sh -c "awk '\$2 == 15 && \$3 != 0' /proc/net/netlink | grep -q ."
}
autoload_off() {
	if [ -e /tmp/udevd.pid ]; then
		# Only the daemon autoload_on started, once its queue is done.
		if [ "$(cat /tmp/udevd.pid)" != 0 ]; then
			udevadm settle --timeout=20
			udevadm control --exit
			wait "$(cat /tmp/udevd.pid)" 2>/dev/null
		fi
		rm -f /tmp/udevd.pid
		return 0
	fi
	kill "$(cat /tmp/mdev.pid)" 2>/dev/null
	wait "$(cat /tmp/mdev.pid)" 2>/dev/null
	return 0
}
# autoload_asked ALIAS: did the loader try to load ALIAS? udev's kmod
# builtin logs "Loading module: ALIAS"; mdev's rule logs "add ALIAS".
autoload_asked() {
	grep -qx "add $1" /tmp/modalias.log 2>/dev/null ||
		grep -q "Loading module: $1\$" /tmp/udevd.log 2>/dev/null
}

# zombie PID: has PID exited, unreaped?
zombie() {
	[ "$(task_state "$1")" = Z ]
}

# oops_probe DEV: make DEV's probe oops (drvsim_faulty reloaded with
# allow_oops=1; panic_on_oops off, which debug.config turns on) and add
# DEV from a writer of its own, which the oops kills with DEV's device
# lock held. Prints the writer's PID once it is dead. Its parent is a
# sleep that never reaps it: the lock still names the dead writer as its
# owner, and a task that tries the lock reads the owner's task_struct,
# which reaping frees (Documentation/bugs.rst, row 13, "How the oopsed
# device stays unusable").
oops_probe() {
	local w
	echo 0 > /proc/sys/kernel/panic_on_oops
	rmmod drvsim_faulty && insmod "$MODULES/drvsim_faulty.ko" allow_oops=1 || return 1
	printf '%s oops' "$1" > "$FAULTY/probe_mode" || return 1
	rm -f /tmp/oops-writer
	sh -c "(printf '%s type=faulty' '$1' > $BUS/new_device) &
		echo \$! > /tmp/oops-writer; exec sleep 100000" > /dev/null 2>&1 &
	echo $! > /tmp/oops-parent
	wait_until 10 test -s /tmp/oops-writer || return 1
	w=$(cat /tmp/oops-writer)
	wait_until 60 zombie "$w" || return 1
	echo "$w"
}

# oops_in_dmesg: does dmesg hold an oops in drvsim_faulty's oops probe?
oops_in_dmesg() {
	dmesg | grep -q Oops && dmesg | grep -q 'drvsim_faulty_read+'
}

# load_or_stuck MODULE [PARAMS...]: insmod in the background; print
# "done" once it finished, "stuck" as soon as it sleeps in D state in the
# bus's match (waiting for a device lock), "neither" after 60 s. A stuck
# insmod stays so; its PID is in /tmp/stuck-insmod. Its output goes to
# stderr, so that "$(load_or_stuck ...)" does not wait for it.
load_or_stuck() {
	local m=$1 i n=600
	shift
	insmod "$MODULES/$m.ko" "$@" >&2 &
	i=$!
	echo $i > /tmp/stuck-insmod
	while [ $n -gt 0 ]; do
		if finished $i; then echo done; return; fi
		if asleep_in $i bus_match; then echo stuck; return; fi
		sleep 0.1
		n=$((n - 1))
	done
	echo neither
}

# pid_of COMM: the PID of the (first) task named COMM, a kernel thread's
# too (busybox has no pgrep).
pid_of() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" != "$1" ] || { echo "${p#/proc/}"; return 0; }
	done
	return 1
}

# sleeps_of PID: how many times PID went to sleep (its voluntary context
# switches); khungtaskd sleeps once per check.
sleeps_of() {
	sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "/proc/$1/status"
}

# control_cases SECTION: a positive control that reports test cases too
# (its "# control-cases: SECTION" header, Documentation/testing.rst):
# from here on its stdout, the KTAP of ktap_helpers.sh, goes to the
# console and to the host's results channel as SECTION. A reader copies
# it line by line up to control_cases_done's marker, not to end of file:
# a task the control leaves hung on purpose may hold the pipe open for
# ever.
control_cases() {
	rm -f /tmp/control-cases
	mkfifo /tmp/control-cases
	echo "DRVSIM-SECTION $1" > "$DRVSIM_RESULTS"
	exec 9>&1
	while IFS= read -r l; do
		[ "$l" != DRVSIM-CASES-DONE ] || break
		printf '%s\n' "$l" >&9
		printf '%s\n' "$l" > "$DRVSIM_RESULTS"
	done < /tmp/control-cases &
	CONTROL_CASES=$!
	exec > /tmp/control-cases
}

# control_cases_done: the control's cases are all out (with
# ktap_print_totals; ktap_finished would exit first); stdout is the
# console again.
control_cases_done() {
	ktap_print_totals
	echo DRVSIM-CASES-DONE
	exec >&9 9>&-
	wait $CONTROL_CASES
}

# loaded MODULE: is MODULE loaded?
loaded() {
	grep -q "^$1 " /proc/modules
}

# unloaded MODULE: is MODULE not loaded?
unloaded() {
	! loaded "$1"
}

# The package loads what it needs: drvsim.ko and the samples, unless
# they are loaded already (always in drvsim's own guest).
if ! loaded drvsim; then
	insmod "$MODULES/drvsim.ko" $DRVSIM_PARAMS
fi
for m in $SAMPLES; do
	loaded "$m" || insmod "$MODULES/$m.ko"
done

# read_of FILE: what one read of FILE gives, or the errno's name if it
# fails (ENXIO, ENODEV, ENOENT; else the message cat(1) printed).
read_of() {
	errno_text "$(cat "$1" 2>&1)"
}
# read_of_fd FD: the same, for an open descriptor (read from its position).
read_of_fd() {
	errno_text "$(eval "cat <&$1" 2>&1)"
}
# errno_text TEXT: TEXT, with cat(1)'s messages of the errnos above turned
# into their names.
errno_text() {
	case $1 in
	cat:*"No such device or address") echo ENXIO ;;
	cat:*"No such device") echo ENODEV ;;
	cat:*"No such file or directory") echo ENOENT ;;
	*) echo "$1" ;;
	esac
}
