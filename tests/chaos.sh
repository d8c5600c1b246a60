#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Chaos, in the spirit of a fuzzer: for CHAOS_SECS (60) seconds, four
# writers run random operations on a few device names at once (new_device,
# del_device, hot_unplug, remove, bind, unbind, driver_override,
# sriov_numvfs, sriov_drivers_autoprobe, new_id, remove_id, rescan,
# drivers_probe, drvsim_faulty's probe modes, register-file reads, writes
# and holds), while a fifth task unloads and loads the sample modules, with
# random parameters, throughout. Errors of single operations are expected;
# what must hold is that every task finishes, that every device left can
# be removed, that the bus then works as new, and (the log scan) that no
# splat was printed. The operation counts are printed.
#
# CHAOS_SEED replays each writer's sequence of operations (not their
# interleaving, which is the scheduler's); CHAOS_GRACE (60) is how long
# the tasks get to finish after the end.
#
# Probe modes (Documentation/sysfs.rst): ok, fail=<errno>, defer and
# sleep=1..200 ms only. Not block: a blocked probe waits for a write to
# drvsim_faulty's release, and an rmmod of drvsim_faulty meanwhile removes
# that file first and then waits for the probe (in klist_remove() for a
# new_device writer's probe, in kernfs_drain() for a bind writer's), so
# nothing but a signal could end it. Not register_driver:
# with lockdep_device_class=1, as the suite runs, lockdep reports it on
# purpose (Documentation/bugs.rst). Not oops. Sleeps stay far below the
# hung-task timeout, since writers wait for the device lock in D state.
. "$(dirname "$0")/lib/drvsim.sh"
SECS=${CHAOS_SECS:-60}
GRACE=${CHAOS_GRACE:-60}
SEED=${CHAOS_SEED:-$RANDOM}
ktap_print_header
ktap_set_plan 11
reset_bus
TMP=/tmp/chaos
rm -rf $TMP
mkdir -p $TMP

# Every sample module (drvsim_sample, drvsim_faulty, drvsim_pair,
# drvsim_bench); the set loaded now is the set restored at the end.
ALL=
for m in "$MODULES"/drvsim_*.ko; do
	m=${m##*/}
	ALL="$ALL ${m%.ko}"
done
at_start=
for m in $ALL; do loaded "$m" && at_start="$at_start $m"; done
drivers_before=$(ls "$BUS/drivers"/*)
dev_before=$(ls /dev | grep drvsim)

# rnd N: R = a number from 0 to N-1; pick WORD...: P = one of the words.
# Both draw from this shell's own $RANDOM, never in a subshell (busybox
# reseeds a forked shell), so that a writer's draws depend on its seed only.
rnd() { R=$((RANDOM % $1)); }
pick() {
	rnd $#
	eval "P=\${$((R + 1))}"
}
# count KIND OK: one operation of KIND, successful if OK is 0.
count() {
	eval "n_$1=\$((\${n_$1:-0} + 1))"
	[ "$2" = 0 ] && eval "ok_$1=\$((\${ok_$1:-0} + 1))"
	case " $KINDS " in *" $1 "*) ;; *) KINDS="$KINDS $1" ;; esac
}
# dump: "KIND OK TOTAL" per kind.
dump() {
	for k in $KINDS; do
		eval "echo $k \${ok_$k:-0} \${n_$k:-0}"
	done
}
running() {
	read -r up _ < /proc/uptime
	[ "${up%.*}" -lt "$END" ]
}

NEW='c0 c1 c2 cp'
NAMES='c0 c1 c2 cp cp-vf0 cp-vf1 c0-vf1'
OPTS="'' ' regions=2' ' regions=3' ' type=faulty' ' type=faulty regions=1' \
	' totalvfs=2 regions=1' ' totalvfs=2 regions=2' ' type=faulty totalvfs=2' ' type=pair' \
	' type=pair-front' ' type=bench regions=1' ' type=other regions=1'"
DRIVERS='drvsim_sample drvsim_faulty drvsim_pair drvsim_pair_companion drvsim_bench'
TYPES='sample faulty sample-vf faulty-vf pair pair-front bench other'
nl='
'

# op: one random operation. Sysfs writes are the shell's own printf (one
# write(2), no fork); the register files go through regfile.
op() {
	local k f v t
	rnd 16
	case $R in
	0 | 1)
		k=new_device f=$BUS/new_device
		pick $NEW
		v=$P
		eval "pick $OPTS"
		v=$v$P
		;;
	2) k=del_device f=$BUS/del_device; pick $NAMES; v=$P ;;
	3) k=hot_unplug f=$BUS/hot_unplug; pick $NAMES; v=$P ;;
	4) k=remove; pick $NAMES; f=$BUS/devices/$P/remove v=1 ;;
	5 | 6)
		k=bind
		pick $NAMES
		v=$P
		pick $DRIVERS
		# Three times in four, the driver of the device's type.
		rnd 4
		if [ $R != 0 ] && read -r t 2> /dev/null < "$BUS/devices/$v/type"; then
			case $t in
			sample*) P=drvsim_sample ;;
			faulty*) P=drvsim_faulty ;;
			pair-front) P=drvsim_pair ;;
			pair) P=drvsim_pair_companion ;;
			bench) P=drvsim_bench ;;
			esac
		fi
		f=$BUS/drivers/$P/bind
		;;
	7)
		k=unbind
		pick $NAMES
		v=$P
		pick $DRIVERS
		# Three times in four, the driver the device is bound to.
		rnd 4
		if [ $R != 0 ]; then
			for t in $DRIVERS; do
				[ -e "$BUS/drivers/$t/$v" ] && P=$t
			done
		fi
		f=$BUS/drivers/$P/unbind
		;;
	8)
		k=driver_override
		pick $NAMES
		f=$BUS/devices/$P/driver_override
		pick drvsim_sample drvsim_faulty drvsim_pair_companion nobody "$nl"
		v=$P
		;;
	9)
		k=sriov_numvfs
		pick cp cp c0
		f=$BUS/devices/$P/sriov_numvfs
		pick 0 0 1 2 3
		v=$P
		;;
	10)
		k=new_id
		pick $DRIVERS
		f=$BUS/drivers/$P/new_id
		pick $TYPES
		v=$P
		;;
	11)
		k=remove_id
		pick $DRIVERS
		f=$BUS/drivers/$P/remove_id
		pick $TYPES
		v=$P
		;;
	12)
		k=probe_mode f=$FAULTY/probe_mode
		pick $NAMES
		v=$P
		pick ok ok defer fail sleep
		case $P in
		fail)
			rnd 2
			if [ $R = 0 ]; then
				pick 5 12 16 19 22 110 517
			else
				rnd 4095
				P=$((R + 1))
			fi
			v="$v fail=$P"
			;;
		sleep) rnd 200; v="$v sleep=$((R + 1))" ;;
		*) v="$v $P" ;;
		esac
		;;
	13)
		pick rescan drivers_probe sriov_drivers_autoprobe
		k=$P
		case $k in
		rescan) f=$BUS/rescan v=1 ;;
		drivers_probe) f=$BUS/drivers_probe; pick $NAMES; v=$P ;;
		*) pick cp c0; f=$BUS/devices/$P/sriov_drivers_autoprobe; pick 0 1; v=$P ;;
		esac
		;;
	*)
		k=regfile
		pick $NAMES
		f=/dev/drvsim-$P
		# Three times in four, a file that exists, if any does (the
		# draws are the same either way).
		rnd 4
		t=$R
		rnd 64
		set -- /dev/drvsim-*
		[ $t != 0 ] && [ -e "$1" ] && eval "f=\${$((R % $# + 1))}"
		pick read write pread pwrite hold
		case $P in
		read) rnd 3; set -- read "$R"; pick 0 4 8 12 252 256 ;;
		write) rnd 3; set -- write "$R"; pick 0 4 8 12 252; set -- "$@" "$P"; P=$RANDOM ;;
		pread) rnd 192; set -- pread $((R * 4)); rnd 4; P=$((R + 1)) ;;
		pwrite) rnd 192; set -- pwrite $((R * 4)); P=$RANDOM ;;
		hold) set -- hold; rnd 50; P=$((R + 1)) ;;
		esac
		$BIN/regfile $1 "$f" $2 $3 $P > /dev/null 2>&1
		count "$k" $?
		return
		;;
	esac
	printf %s "$v" 2> /dev/null > "$f"
	count "$k" $?
}

# writer I: operations until the end, then the counts into $TMP/wI.
writer() {
	RANDOM=$((SEED + $1 * 7919))
	KINDS=
	while running; do op; done
	dump > $TMP/w$1
}

# loader: unload a random sample module, or load it with random
# parameters, until the end. rmmod fails (EAGAIN) while a file of the
# module is open or a device is held: counted as a failed operation.
loader() {
	RANDOM=$((SEED + 5 * 7919))
	KINDS=
	while running; do
		pick $ALL
		if loaded "$P"; then
			rmmod "$P" 2> /dev/null
			count rmmod $?
		else
			case $P in
			drvsim_sample) m=$P; pick set devres bound; a="resource_model=$P"; P=$m ;;
			drvsim_pair) rnd 200; a="probe_ms=$R"; rnd 100; a="$a window_ms=$R" ;;
			*) a= ;;
			esac
			$BIN/load-module "$MODULES/$P.ko" "$a" > /dev/null
			count insmod $?
		fi
		rnd 5
		sleep "0.$R"
	done
	dump > $TMP/w5
}

# Probe and unbind messages to the serial console would set the pace
# under TCG: keep them in dmesg only; warnings and worse still reach it.
level=$(cut -f1 /proc/sys/kernel/printk)
dmesg -n 5
ktap_print_msg "chaos: seed $SEED (CHAOS_SEED=$SEED replays each writer's operations), $SECS s"
read -r up _ < /proc/uptime
START=${up%.*}
END=$((START + SECS))
pids=
for i in 1 2 3 4; do
	writer $i 2> /dev/null &
	pids="$pids $!"
done
loader 2> /dev/null &
pids="$pids $!"
loader_pid=$!

# stat_of PID: S = the state letter of PID and PP = its parent, read from
# /proc/PID/stat without a fork (forks are slow in the guest, and the
# waits below must keep to their time); fails once PID is reaped.
stat_of() {
	local l
	read -r l 2> /dev/null < "/proc/$1/stat" || return 1
	set -- ${l##*) }
	S=$1 PP=$2
}
all_finished() {
	for p in $pids; do
		stat_of "$p" && [ "$S" != Z ] && return 1
	done
	return 0
}
# wait_finished UPTIME: wait for every task until UPTIME (seconds).
wait_finished() {
	while ! all_finished; do
		read -r up _ < /proc/uptime
		[ "${up%.*}" -lt "$1" ] || return 1
		sleep 0.5
	done
}
# tree PID: PID and its descendants.
tree() {
	local t
	echo "$1"
	for t in /proc/[0-9]*; do
		t=${t#/proc/}
		stat_of "$t" && [ "$PP" = "$1" ] && tree "$t"
	done
}

sleep "$SECS"
stuck=0
wait_finished $((END + GRACE)) || stuck=1
read -r up _ < /proc/uptime
FIN=${up%.*}
dmesg -n "$level"
if [ $stuck = 1 ]; then
	for p in $pids; do
		stat_of "$p" && [ "$S" != Z ] || continue
		who=writer
		[ "$p" = "$loader_pid" ] && who=loader
		ktap_print_msg "the $who $p has not finished $GRACE s after the end:"
		for t in $(tree "$p"); do
			stat_of "$t"
			echo "# $t $(tr '\0' ' ' < "/proc/$t/cmdline" 2>/dev/null)state $S wchan $(cat "/proc/$t/wchan" 2>/dev/null)"
			sed 's/^/#   /' "/proc/$t/stack" 2>/dev/null
		done
	done
fi
ktap_test_result "every writer and the loader finish within $GRACE s of the end" test $stuck = 0
if [ $stuck = 1 ]; then
	for p in $pids; do
		for t in $(tree "$p"); do kill -9 "$t" 2> /dev/null; done
	done
	read -r up _ < /proc/uptime
	wait_finished $((${up%.*} + 10)) ||
		ktap_exit_fail_msg "tasks still stuck after SIGKILL: the bus cannot be reset, the other cases are not run"
fi
wait

# The counts.
total=0 total_ok=0
for i in 1 2 3 4 5; do
	[ -e $TMP/w$i ] || continue
	set -- $(awk '{ ok += $2; n += $3 } END { print ok + 0, n + 0 }' $TMP/w$i)
	total_ok=$((total_ok + $1)) total=$((total + $2))
	who="writer $i"
	[ $i = 5 ] && who=loader
	ktap_print_msg "$who: $2 operations, $1 succeeded:" $(awk '{ printf "%s %d/%d, ", $1, $2, $3 }' $TMP/w$i | sed 's/, $//')
done
ktap_print_msg "chaos: $total operations in $SECS s, $total_ok succeeded, the last task finished $((FIN - END)) s after the end; seed $SEED"
new_ok=$(cat $TMP/w[1-4] 2>/dev/null | awk '$1 == "new_device" { n += $2 } END { print n + 0 }')
ktap_test_result "all four writers and the loader ran, and devices were created" \
	test "$(ls $TMP | wc -l)" = 5 -a "$new_ok" -gt 0

# Every device left is removed by del_device: VFs first (their PF's
# removal may take them meanwhile: ENOENT, and gone), then the others.
left=$(ls "$BUS/devices")
ktap_print_msg "devices left: $(echo $left)"
bad=
for d in $(ls "$BUS/devices" | grep -- -vf) $(ls "$BUS/devices" | grep -v -- -vf); do
	got=$(errno_of "$BUS/del_device" "$d")
	[ "$got" = 0 ] || { [ "$got" = ENOENT ] && [ ! -e "$BUS/devices/$d" ]; } ||
		bad="$bad $d:$got"
done
expect_eq "" "$bad" "every device left is removed by del_device"
expect_eq "$dev_before" "$(ls "$BUS/devices"; ls /sys/devices/drvsim | grep -v -e '^power$' -e '^uevent$'; ls /dev | grep drvsim)" \
	"nothing is left on the bus, in /sys/devices/drvsim or in /dev"

# The sample modules unload (nothing holds them any more) and load again,
# as at the start, without the chaos's parameters and dynamic ids.
bad=
for m in $ALL; do
	loaded "$m" || continue
	rmmod "$m" 2>/dev/null || bad="$bad rmmod:$m"
done
for m in $at_start; do
	got=$($BIN/load-module "$MODULES/$m.ko")
	[ "$got" = 0 ] || bad="$bad insmod:$m:$got"
done
expect_eq "" "$bad" "every sample module unloads, and loads again"
expect_eq "$drivers_before" "$(ls "$BUS/drivers"/*)" "the drivers and their entries are as at the start"

# The bus works as new.
R=$BIN/regfile
printf 'cn regions=2' > "$BUS/new_device"
expect_eq drvsim_sample "$(driver_of cn)" "a new device binds drvsim_sample"
expect_eq "0 none 0 drvsim_sample" \
	"$(errno_of "$BUS/drivers/drvsim_sample/unbind" cn) $(driver_of cn) $(errno_of "$BUS/drivers/drvsim_sample/bind" cn) $(driver_of cn)" \
	"it unbinds and binds again"
expect_eq "0xd5150001 0" "$($R read /dev/drvsim-cn 1 0) $($R write /dev/drvsim-cn 1 4 7)" "its register file reads and writes"
printf 'cq totalvfs=2' > "$BUS/new_device"
printf 2 > "$BUS/devices/cq/sriov_numvfs"
printf 'cf type=faulty' > "$BUS/new_device"
printf 'cx type=other' > "$BUS/new_device"
expect_eq "drvsim_sample drvsim_sample drvsim_sample drvsim_faulty none" \
	"$(driver_of cq) $(driver_of cq-vf0) $(driver_of cq-vf1) $(driver_of cf) $(driver_of cx)" \
	"a PF enables VFs that bind, faulty binds, no dynamic id is left"
reset_bus
expect_eq "" "$(ls "$BUS/devices"; cat "$FAULTY/probe_mode")" "everything is deleted again, no probe mode is left"
ktap_finished
