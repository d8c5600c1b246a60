#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make hit-rate`: how often hammering hits each race of the bug catalogue
# without pause points, against the one attempt the pause-point version
# needs (tests/races_one_shot.sh, tests/controls/). Boots guests with each
# broken design switched on, runs the guest scripts of tests/hit-rate/
# (writers racing in background loops, as the suite's tests did before
# the pause points), counts the hits in the guests' logs and prints a
# Markdown table (also kept in $DRVSIM_OUT/hit-rate.md). Not part of
# `make check`: it measures, it asserts nothing.
#
# Environment (defaults in brackets):
#   HIT_RATE_ROWS      rows to run ["1 2 2b 3 4 5"]
#   HIT_RATE_SMP       vCPUs per guest [2]
#   HIT_RATE_SECS      row 1: seconds of hammering [60]
#   HIT_RATE_LOCKDEP_BOOTS   row 2: boots, one attempt each [20]
#   HIT_RATE_BOOTS     rows 3 and 4: boots [5]
#   HIT_RATE_ATTEMPTS  rows 3 and 4: attempts per boot at most [100]
#   HIT_RATE_2B_BOOTS, HIT_RATE_2B_ATTEMPTS   row 2b [2, 100]
#   HIT_RATE_5_ATTEMPTS   row 5: unbind cycles [10]
#   HIT_RATE_RECOUNT=1    boot nothing: count the logs of the last run again
set -euo pipefail
. "$(dirname "$0")/env.sh"
: "${KDIR:?}"
export KDIR
T=$DRVSIM_ROOT/tests/hit-rate
ROWS=${HIT_RATE_ROWS:-"1 2 2b 3 4 5"}
SMP=${HIT_RATE_SMP:-2}
mkdir -p "$DRVSIM_OUT"
out=$DRVSIM_OUT/hit-rate.md
t0=$SECONDS

header() { sed -n "s/^# hit-rate-$2: //p" "$1"; }

# guest SCRIPT NAME TIMEOUT [VAR=VALUE...]: run SCRIPT in a guest with the
# switches of its header; the variables are set at the top of the job.
guest() {
	local script=$1 name=$2 timeout=$3 job
	shift 3
	[ "${HIT_RATE_RECOUNT:-0}" = 1 ] && return
	job=$DRVSIM_OUT/$name.job.sh
	{
		echo '#!/bin/sh'
		for v in "$@"; do echo "$v"; done
		cat "$script"
	} > "$job"
	DRVSIM_PARAMS=$(header "$script" params) SAMPLES=$(header "$script" samples) \
		HUNG_TASK_SECS=3 KMEMLEAK_SCAN=0 QEMU_SMP=$SMP QUIET=1 TIMEOUT=$timeout \
		"$DRVSIM_ROOT/scripts/vm.sh" run "$job" "$name" > /dev/null 2>&1 || true
	rm -f "$job"
}

# No `grep -q` after it: under pipefail, grep quitting at the first match
# can kill tr with SIGPIPE and fail the pipeline on a large log.
log_of() { tr -d '\r' < "$DRVSIM_OUT/$1.log"; }
# result NAME KEY: KEY's value on the job's "HIT-RATE key=value..." line.
result() {
	tr -d '\r' < "$DRVSIM_OUT/$1.results" 2> /dev/null |
		sed -n "s/^HIT-RATE.* $2=\([0-9]*\).*/\1/p" | tail -1
}
# crashed NAME: whether the guest oopsed (oopses panic: the guest died).
crashed() {
	log_of "$1" | grep -E 'Oops|BUG: unable to handle|general protection fault|Kernel panic' > /dev/null
}
# attempts_before_crash NAME: the last attempt the job announced before the
# first oops, or the last one at all.
attempts_before_crash() {
	log_of "$1" | awk '
		/Oops|BUG: unable to handle|general protection fault|Kernel panic/ { done = 1 }
		!done && /hit-rate: attempt [0-9]+$/ { n = $NF }
		END { print n + 0 }'
}
rate() { # HITS ATTEMPTS
	awk -v h="$1" -v a="$2" 'BEGIN { if (a == 0) print "-"; else if (h == 0) print "0"; else { p = 100 * h / a; printf "%s %%\n", (p >= 10 ? sprintf("%.0f", p) : sprintf("%.2g", p)) } }'
}

rows=()
row() { rows+=("| $(IFS='|'; echo "$*" | sed 's/|/ | /g') |"); }

# Per-boot crash rows (3, 4, 2b): BOOTS boots of up to ATTEMPTS attempts.
# Sets: total (attempts), hits (boots that hit), firsts ("8, 23, >100").
crash_boots() { # SCRIPT NAME BOOTS ATTEMPTS HIT-CHECK
	local script=$1 name=$2 boots=$3 attempts=$4 check=$5 b n a
	total=0 hits=0 firsts=""
	for b in $(seq "$boots"); do
		n=hit-rate-$name-$b
		guest "$script" "$n" $((attempts * 4 + 180)) HIT_RATE_ATTEMPTS="$attempts"
		a=$(result "$n" attempts)
		if $check "$n"; then
			a=$(attempts_before_crash "$n")
			hits=$((hits + 1))
			firsts+="${firsts:+, }$a"
		elif [ -n "$a" ]; then
			firsts+="${firsts:+, }>$a"
		else
			a=$(attempts_before_crash "$n")
			firsts+="${firsts:+, }?($a, guest failed: $n.log)"
		fi
		total=$((total + a))
		note "hit-rate: $name boot $b: ${firsts##*, }"
	done
}
deadlocked() { [ "$(result "$1" deadlock)" = 1 ]; }

for r in $ROWS; do
	ts=$SECONDS
	case $r in
	1)
		secs=${HIT_RATE_SECS:-60}
		guest "$T/driver_override.sh" hit-rate-1 $((secs + 240)) HIT_RATE_SECS="$secs"
		a=$(result hit-rate-1 attempts)
		h=$(log_of hit-rate-1 | grep -c 'BUG: KASAN: slab-use-after-free' || true)
		row 1 "driver_override store vs match (bind), KASAN use-after-free" \
			"legacy_driver_override=1" "1 ($secs s)" "${a:-?} bind writes ($(result hit-rate-1 stores) stores)" \
			"$h" "$(rate "$h" "${a:-0}")" "-" 1
		;;
	2)
		boots=${HIT_RATE_LOCKDEP_BOOTS:-20}
		lockdep=0 dead=0 setup=0
		for b in $(seq "$boots"); do
			n=hit-rate-2-$b
			guest "$T/rescan_remove_abba.sh" "$n" 240
			if log_of "$n" | grep 'possible circular locking dependency' > /dev/null; then
				lockdep=$((lockdep + 1))
				# Whether it came from the setup's sriov_numvfs write (device
				# lock held, rescan/remove lock wanted), before the race.
				log_of "$n" | grep -A1 'but task is already holding lock' | grep numvfs_store > /dev/null &&
					setup=$((setup + 1))
			fi
			deadlocked "$n" && dead=$((dead + 1))
			note "hit-rate: 2 boot $b: lockdep $lockdep, from setup $setup, deadlocks $dead"
		done
		row 2 "remove vs unbind (SR-IOV AB-BA): lockdep report" \
			"legacy_rescan_remove=1 lockdep_device_class=1" "$boots" "$boots (1 per boot)" \
			"$lockdep ($setup of them at the setup's sriov_numvfs write, before the race)" \
			"$(rate "$lockdep" "$boots")" "-" "1 (its report too comes from the setup's write)"
		row 2 "remove vs unbind: writers deadlocked (not done after 5 s)" \
			"same" "$boots" "$boots" "$dead" "$(rate "$dead" "$boots")" "-" "- (the one-shot does not deadlock either)"
		;;
	2b)
		crash_boots "$T/rescan_remove_numvfs.sh" 2b "${HIT_RATE_2B_BOOTS:-2}" "${HIT_RATE_2B_ATTEMPTS:-100}" deadlocked
		row 2b "remove vs sriov_numvfs=0 (drvsim's legacy AB-BA): deadlock" \
			"legacy_rescan_remove=1 lockdep_device_class=1" "${HIT_RATE_2B_BOOTS:-2}" "$total" "$hits" \
			"$(rate "$hits" "$total")" "$firsts" "-"
		;;
	3)
		crash_boots "$T/unload_poll.sh" 3 "${HIT_RATE_BOOTS:-5}" "${HIT_RATE_ATTEMPTS:-100}" crashed
		row 3 "remove writer vs rmmod drvsim: fault in freed module code" \
			"legacy_unload_poll=1" "${HIT_RATE_BOOTS:-5}" "$total" "$hits" "$(rate "$hits" "$total")" "$firsts" 1
		;;
	4)
		crash_boots "$T/get_driver.sh" 4 "${HIT_RATE_BOOTS:-5}" "${HIT_RATE_ATTEMPTS:-100}" crashed
		row 4 "new_id in usb-serial's window (insmod drvsim_pair): crash" \
			"legacy_get_driver=1" "${HIT_RATE_BOOTS:-5}" "$total" "$hits" "$(rate "$hits" "$total")" "$firsts" 1
		;;
	5)
		guest "$T/devres_set_unlock.sh" hit-rate-5 300 HIT_RATE_ATTEMPTS="${HIT_RATE_5_ATTEMPTS:-10}"
		a=$(result hit-rate-5 attempts)
		bad=$(result hit-rate-5 bad)
		h=$((${bad:-0} + $(log_of hit-rate-5 | grep -c 'BUG: KASAN' || true)))
		k=$(log_of hit-rate-5 | grep -c 'revocation_is_complete_when_either_side_returns: ASSERTION FAILED' || true)
		row 5 "DevresSet early drop vs revocation (readers hammered across unbind)" \
			"legacy_devres_set_unlock=1" 1 "${a:-?} unbinds" "$h" "no signal from user space" "-" \
			"1 (KUnit case, deterministic: failed $k time(s) at load)"
		;;
	*) die "unknown row $r (rows: 1 2 2b 3 4 5)" ;;
	esac
	note "hit-rate: row $r took $((SECONDS - ts)) s"
done

{
	if [ "${HIT_RATE_RECOUNT:-0}" = 1 ]; then
		echo "Hammering without pause points, $SMP vCPU(s) per guest (TCG); counted again from the logs."
	else
		echo "Hammering without pause points, $SMP vCPU(s) per guest (TCG), $((SECONDS - t0)) s in all."
	fi
	echo
	echo "| row | race | switch | boots | attempts | hits | hit rate | attempts to first hit, per boot | pause-point version's attempts |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	printf '%s\n' "${rows[@]}"
} > "$out"
cat "$out"
note "hit-rate: table in $out; logs in $DRVSIM_OUT/hit-rate-*.log"
