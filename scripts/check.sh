#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: build everything, run the kernel's style tools on the
# sources, run every KUnit suite and kselftest in one guest, scan its log
# for splats, then run each positive control in a throwaway guest and
# check that the scanner flags the splat it provokes.
# Prints one line per case, then "N passed, N failed"; non-zero exit on
# any failure. CHECK_GUEST=0: the build and the style cases only.
set -euo pipefail
. "$(dirname "$0")/env.sh"
S=$DRVSIM_ROOT/scripts
t0=$SECONDS
KDIR=$("$S/kdir.sh")
export KDIR
"$S/modules.sh" "$KDIR"
note "toolchain, kernel and modules ready after $((SECONDS - t0))s"

passed=0 failed=0
case_result() { # PASS|FAIL name [detail]
	echo "$1 $2${3:+ ($3)}"
	if [ "$1" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

# 0. Style, on the host before the guests (scripts/style.sh): rustfmt,
# clippy (a CLIPPY=1 build of a copy of the sources; the guests load the
# modules built above) and checkpatch. The last line of style.sh's output
# sums up a failure; what comes before it shows the details.
style_case() { # NAME COMMAND
	local out t=$SECONDS
	if out=$("$S/style.sh" "$2" 2>&1); then
		case_result PASS "style: $1"
	else
		sed -e '$d' -e 60q <<< "$out"
		case_result FAIL "style: $1" "$(tail -n 1 <<< "$out")"
	fi
	note "style: $1 took $((SECONDS - t))s"
}
style_case rustfmt fmt-check
style_case clippy clippy
style_case checkpatch checkpatch
style_case "no import circle in rust/" layers

# A kernel of one's own (KDIR=) is checked against scripts/required.config
# before anything is built: drvsim's own build passes, and the same config
# without one option is refused at once, naming the option.
byo=$(mktemp -d)
ln -s "$KDIR/Module.symvers" "$byo/Module.symvers"
ln -s "$KDIR/usr" "$byo/usr"
cp "$KDIR/.config" "$byo/.config"
if KDIR=$byo "$S/kdir.sh" > /dev/null 2>&1; then
	case_result PASS "kdir: a KDIR with all of required.config is accepted"
else
	case_result FAIL "kdir: a KDIR with all of required.config is accepted"
fi
grep -vx 'CONFIG_KASAN=y' "$KDIR/.config" > "$byo/.config"
if out=$(KDIR=$byo "$S/kdir.sh" 2>&1); then
	case_result FAIL "kdir: a KDIR without CONFIG_KASAN is refused, naming it" "accepted"
elif grep -qx 'CONFIG_KASAN=y' <<< "$out"; then
	case_result PASS "kdir: a KDIR without CONFIG_KASAN is refused, naming it"
else
	case_result FAIL "kdir: a KDIR without CONFIG_KASAN is refused, naming it" "$out"
fi
rm -rf "$byo"
if [ "${CHECK_GUEST:-1}" = 0 ]; then
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
fi

# Positive controls (evaluated in step 2): each must make the scanner
# report what it expects. They need one vCPU and (unless they say so) no
# kmemleak pass, and spend much of their time waiting (for the hung-task
# detector, for a blocked probe), so they run in the background while the
# suite's guest runs, CONTROL_JOBS (default 2) at a time.
# control_header FILE KEY: the value of a "# control-KEY: value" line.
control_header() { sed -n "s/^# control-$2: //p" "$1"; }
run_control() {
	local c=$1 n
	n=$(basename "$c" .sh)
	DRVSIM_PARAMS=$(control_header "$c" params) SAMPLES=$(control_header "$c" samples) \
		HUNG_TASK_SECS=$(control_header "$c" hung-task-secs) \
		KMEMLEAK_SCAN=$(control_header "$c" kmemleak-scan | grep -x 1 || echo 0) \
		QEMU_SMP=1 QUIET=1 TIMEOUT=${CONTROL_TIMEOUT:-600} \
		"$S/vm.sh" run "$c" "control-$n" > /dev/null 2>&1 || true
}
controls=("$DRVSIM_ROOT"/tests/controls/*.sh)
run_controls() {
	local c
	for c in "${controls[@]}"; do
		while [ "$(jobs -pr | wc -l)" -ge "${CONTROL_JOBS:-2}" ]; do wait -n; done
		run_control "$c" &
	done
	wait
}
run_controls &
controls_pid=$!

# 1. The suite, in one guest with every module loaded.
# The suite runs with per-device lockdep classes, so that every test is
# also a lockdep check of the device lock (see Documentation/testing.rst).
export SAMPLES=${SAMPLES:-"drvsim_sample drvsim_faulty"}
export DRVSIM_PARAMS=${DRVSIM_PARAMS:-"lockdep_device_class=1"}
set +e
QUIET=1 TIMEOUT=${CHECK_TIMEOUT:-2400} "$S/vm.sh" run "$S/guest-check.sh" check
guest_rc=$?
set -e
out=$DRVSIM_OUT
if [ "$guest_rc" = 125 ]; then
	case_result FAIL "guest: finished" "see $out/check.log"
	tail -40 "$out/check.log" | tr -d '\r' >&2
else
	case_result PASS "guest: finished"
fi
counts=$(python3 "$S/results.py" "$KDIR/source/tools/testing/kunit/kunit.py" "$out/check.results" 2>"$out/results.counts") || true
echo "$counts"
read -r p f < <(tail -1 "$out/results.counts")
passed=$((passed + ${p:-0})) failed=$((failed + ${f:-1}))
if splats=$("$S/scan-log.sh" "$out/check.log"); then
	case_result PASS "guest: log free of splats"
else
	echo "$splats" | head -40
	case_result FAIL "guest: log free of splats" "see $out/check.log"
fi

# 2. The positive controls' findings.
wait $controls_pid
for c in "${controls[@]}"; do
	n=$(basename "$c" .sh)
	# scan-log.sh exits 1 when it finds splats, as it should here.
	findings=$("$S/scan-log.sh" "$out/control-$n.log" || true)
	while IFS= read -r expect; do
		if grep -E -q -- "$expect" <<< "$findings"; then
			case_result PASS "controls/$n: scanner flags '$expect'"
		else
			case_result FAIL "controls/$n: scanner flags '$expect'" "not found in $out/control-$n.log"
		fi
	done < <(control_header "$c" expect)
done

note "check took $((SECONDS - t0))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
