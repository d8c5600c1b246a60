#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: build everything, run the kernel's style tools on the
# sources, run every KUnit suite and kselftest in one guest, scan its log
# for splats, then run each positive control in a throwaway guest and
# check that the scanner flags the splat it provokes.
# Prints one line per case, then "N passed, N failed"; non-zero exit on
# any failure. CHECK_GUEST=0: the build and the style cases only.
# CHECK_FLAVOURS: the kernel flavours whose suites run (default "debug
# kcsan", the gate; `make check FLAVOUR=x` runs x alone). The style cases
# use the first; the controls, the flavour their header names.
# RUNNER=vng: the suites run under virtme-ng on the host's userspace
# (scripts/vng.sh) instead of drvsim's own guest; the controls stay there.
set -euo pipefail
. "$(dirname "$0")/env.sh"
S=$DRVSIM_ROOT/scripts
t0=$SECONDS
read -r -a flavours <<< "${CHECK_FLAVOURS:-debug kcsan}"
RUNNER=${RUNNER:-qemu}
case $RUNNER in qemu | vng) ;; *) die "RUNNER=$RUNNER: not one of qemu, vng" ;; esac
KDIR_USER=${KDIR:-}
# A kernel of one's own (KDIR=) is one kernel: its suite runs once.
[ -z "${KDIR:-}" ] || flavours=(debug)
declare -A kdirs
for f in "${flavours[@]}"; do
	kdirs[$f]=$(FLAVOUR=$f "$S/kdir.sh")
	FLAVOUR=$f "$S/modules.sh" "${kdirs[$f]}"
done
export FLAVOUR=${flavours[0]}
KDIR=${kdirs[$FLAVOUR]}
export KDIR
note "toolchain, kernels (${flavours[*]}) and modules ready after $((SECONDS - t0))s"

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

# The `'bound` resource model's guarantee is the compiler's: each driver
# of tests/compile-fail/ that lets a `'bound` region escape the binding
# must fail to build with the rustc error its header names, and the
# correct one must build (scripts/compile-fail.sh).
for c in "$DRVSIM_ROOT"/tests/compile-fail/*.rs; do
	n=$(basename "$c" .rs)
	want=$(sed -n -E 's#^//! (compile-fail: E[0-9]+|compile-pass)$#\1#p' "$c")
	if r=$("$S/compile-fail.sh" "$c" 2>&1); then
		case_result PASS "compile-fail/$n: $want"
	else
		case_result FAIL "compile-fail/$n: $want" "$(tail -n 1 <<< "$r")"
	fi
done

# control_header FILE KEY: the value of a "# control-KEY: value" line.
control_header() { sed -n "s/^# control-$2: //p" "$1"; }
# eval_control CONTROL LOG RESULTS KUNIT_PY: the cases of one positive
# control, from its guest's console log and results channel:
# - each control-expect ERE must match a finding of scan-log.sh;
# - control-only: 1: every finding must match one of them (none at all
#   if there is none), so that the control shows its detector and
#   nothing else went wrong;
# - control-cases: SECTION: the control's own test cases, sent as
#   SECTION on the results channel (control_cases in
#   tests/lib/drvsim.sh); a guest that died before sending them fails
#   the section, as results.py fails a section it does not find.
eval_control() {
	local c=$1 log=$2 res=$3 n findings expect extra section counts p f2
	n=$(basename "$c" .sh)
	# scan-log.sh exits 1 when it finds splats, as it should here; any
	# other failure (a log it cannot read) is the control's failure.
	local rc=0
	findings=$("$S/scan-log.sh" "$log" 2> /dev/null) || rc=$?
	if [ "$rc" -gt 1 ]; then
		case_result FAIL "controls/$n: the scanner read the log" "scan-log.sh exited $rc on $log"
	fi
	while IFS= read -r expect; do
		if grep -E -q -- "$expect" <<< "$findings"; then
			case_result PASS "controls/$n: scanner flags '$expect'"
		else
			case_result FAIL "controls/$n: scanner flags '$expect'" "not found in $log"
		fi
	done < <(control_header "$c" expect)
	if [ "$(control_header "$c" only)" = 1 ]; then
		# No ERE at all: grep -f of an empty list matches nothing.
		extra=$(grep -v -E -f <(control_header "$c" expect | grep .) <<< "$findings" | grep . || true)
		if [ ! -s "$log" ]; then
			case_result FAIL "controls/$n: no finding but the expected ones" "no log $log"
		elif [ -z "$extra" ]; then
			case_result PASS "controls/$n: no finding but the expected ones"
		else
			echo "$extra" | head -20
			case_result FAIL "controls/$n: no finding but the expected ones" "$(wc -l <<< "$extra") more in $log"
		fi
	fi
	section=$(control_header "$c" cases)
	[ -n "$section" ] || return 0
	[ -e "$res" ] || res=/dev/null
	counts=$(mktemp)
	python3 "$S/results.py" "$4" "$res" "$section" 2> "$counts" || true
	read -r p f2 < <(tail -1 "$counts")
	rm -f "$counts"
	passed=$((passed + ${p:-0})) failed=$((failed + ${f2:-1}))
}

# The harness itself, on crafted input (tests/harness/): what a real run
# could hide must come out as a failure.
# scan-log.sh: each log's findings match every ERE of its .expect file;
# an empty one means the log must scan clean.
for l in "$DRVSIM_ROOT"/tests/harness/scan-log/*.log; do
	n="harness: scan-log.sh on $(basename "$l")"
	rc=0
	findings=$("$S/scan-log.sh" "$l" 2> /dev/null) || rc=$?
	miss=
	while IFS= read -r e; do
		grep -E -q -- "$e" <<< "$findings" || miss="$miss '$e'"
	done < "${l%.log}.expect"
	if [ -s "${l%.log}.expect" ] && [ "$rc" != 1 ]; then
		case_result FAIL "$n" "exit $rc, no finding"
	elif [ ! -s "${l%.log}.expect" ] && [ "$rc$findings" != 0 ]; then
		case_result FAIL "$n" "want no finding, got: $findings"
	elif [ -n "$miss" ]; then
		case_result FAIL "$n" "not found:$miss; got: $findings"
	else
		case_result PASS "$n"
	fi
done
# results.py: a KUnit suite of the sources that did not report is a
# failed case, not a case less.
n="harness: results.py fails a KUnit suite that did not run"
counts=$(mktemp)
r=$(python3 "$S/results.py" "$KDIR/source/tools/testing/kunit/kunit.py" \
	"$DRVSIM_ROOT/tests/harness/results/missing-suite.results" \
	kunit:drvsim_ran kunit:drvsim_missing 2> "$counts") || true
if grep -qx 'FAIL kunit:drvsim_missing: .*' <<< "$r" && [ "$(tail -n 1 "$counts")" = "1 1" ]; then
	case_result PASS "$n"
else
	case_result FAIL "$n" "$(tr '\n' ' ' <<< "$r"; tail -n 1 "$counts")"
fi
rm -f "$counts"
# eval_control: a control-only control with a finding it does not expect
# fails "no finding but the expected ones", and a control-cases control
# whose guest sent no cases fails its section (tests/harness/controls/).
n="harness: eval_control fails an unexpected finding and cases never sent"
r=$(passed=0 failed=0
	eval_control "$DRVSIM_ROOT/tests/harness/controls/only-and-cases.sh" \
		"$DRVSIM_ROOT/tests/harness/controls/only-and-cases.log" /nonexistent \
		"$KDIR/source/tools/testing/kunit/kunit.py" 2>&1
	echo "counts $passed $failed")
if grep -q '^PASS controls/only-and-cases: scanner flags ' <<< "$r" &&
	grep -q '^FAIL controls/only-and-cases: no finding but the expected ones' <<< "$r" &&
	grep -q '^FAIL kselftest:never_sent: not reported' <<< "$r" &&
	grep -qx 'counts 1 3' <<< "$r"; then
	case_result PASS "$n"
else
	case_result FAIL "$n" "$(tr '\n' ' ' <<< "$r")"
fi
# compile-fail.sh: the right error at another line than the case's marker
# fails the case (bound_into_static.rs with its marker one line up).
n="harness: compile-fail.sh fails a case whose error is not at its marked line"
moved=$(mktemp -d)/bound_into_static_moved.rs
awk '{ l[NR] = $0 } /\/\/~ ERROR / { m = NR; k = $0; sub(/.*\/\/~/, "//~", k) }
	END { for (i = 1; i <= NR; i++) {
		if (i == m) sub(/ *\/\/~ ERROR .*/, "", l[i])
		if (i == m - 1) l[i] = l[i] " " k
		print l[i] } }' "$DRVSIM_ROOT/tests/compile-fail/bound_into_static.rs" > "$moved"
if r=$("$S/compile-fail.sh" "$moved" 2>&1); then
	case_result FAIL "$n" "passed: $(tail -n 1 <<< "$r")"
elif grep -q 'failed, but not with error\[E0521\] at ' <<< "$(tail -n 1 <<< "$r")"; then
	case_result PASS "$n"
else
	case_result FAIL "$n" "$(tail -n 1 <<< "$r")"
fi
rm -rf "$(dirname "$moved")"

# The mutant catalogue (tests/mutants/, `make mutants`) cannot rot: each
# patch names its upstream fix (or "synthetic") and its expected killer, a
# test or KUnit suite that exists, and still applies to the kernel source
# drvsim builds. Against a kernel
# of one's own the patches need not apply: skipped.
for p in "$DRVSIM_ROOT"/tests/mutants/*.patch; do
	[ -e "$p" ] || continue
	n="mutants: $(basename "$p" .patch) applies to the kernel source"
	if [ -n "${KDIR_USER:-}" ]; then
		echo "SKIP $n (KDIR=$KDIR_USER is the user's kernel)"
	elif ! grep -q '^mutant-upstream: ' "$p" || ! grep -q '^mutant-expect: ' "$p"; then
		case_result FAIL "$n" "no mutant-upstream: or mutant-expect: line"
	elif bad=$(sed -n 's/^mutant-expect: \([^ ]*\).*/\1/p' "$p" | while read -r e; do
		case $e in
		kselftest:*) [ -f "$DRVSIM_ROOT/tests/${e#kselftest:}" ] || echo "$e" ;;
		kunit:*) kunit_suites | grep -qxF "$e" || echo "$e" ;;
		none) grep -q '^mutant-survivor: ' "$p" || echo "none without mutant-survivor:" ;;
		*) echo "$e" ;;
		esac
	done) && [ -n "$bad" ]; then
		case_result FAIL "$n" "mutant-expect: names no test of the suite: $bad"
	elif r=$(patch -p1 --dry-run -s -d "$(readlink -f "${kdirs[debug]:-$KDIR}/source")" < "$p" 2>&1); then
		case_result PASS "$n"
	else
		case_result FAIL "$n" "$(tr '\n' ' ' <<< "$r")"
	fi
done

# A kernel of one's own (KDIR=) is checked against scripts/required.config
# before anything is built: drvsim's own build passes, and the same config
# without one option is refused at once, naming the option. The build that
# passes must have the debug configuration (debug's or arm64's; a kernel of
# one's own runs as debug): kcsan and prod lack KASAN on purpose.
accepted="kdir: a KDIR with all of required.config is accepted"
refused="kdir: a KDIR without CONFIG_KASAN is refused, naming it"
debug_kdir=${kdirs[debug]:-${kdirs[arm64]:-}}
if [ -z "$debug_kdir" ]; then
	for n in "$accepted" "$refused"; do
		echo "SKIP $n (needs the debug or arm64 kernel, not in this run's flavours: ${flavours[*]})"
	done
else
	byo=$(mktemp -d)
	ln -s "$debug_kdir/Module.symvers" "$byo/Module.symvers"
	ln -s "$debug_kdir/usr" "$byo/usr"
	cp "$debug_kdir/.config" "$byo/.config"
	if KDIR=$byo "$S/kdir.sh" > /dev/null 2>&1; then
		case_result PASS "$accepted"
	else
		case_result FAIL "$accepted"
	fi
	grep -vx 'CONFIG_KASAN=y' "$debug_kdir/.config" > "$byo/.config"
	if out=$(KDIR=$byo "$S/kdir.sh" 2>&1); then
		case_result FAIL "$refused" "accepted"
	elif grep -qx 'CONFIG_KASAN=y' <<< "$out"; then
		case_result PASS "$refused"
	else
		case_result FAIL "$refused" "$out"
	fi
	rm -rf "$byo"
fi
if [ "${CHECK_GUEST:-1}" = 0 ]; then
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
fi

# Positive controls (evaluated in step 2): each must make the scanner
# report what it expects. They need one vCPU (unless control-smp says
# otherwise) and no kmemleak pass (unless control-kmemleak-scan: 1), run on
# debug (unless control-flavour names another flavour; arm64 stands in for
# debug when it runs alone; a control runs only when its flavour is in
# CHECK_FLAVOURS, and is listed as SKIP otherwise), and spend much of their time waiting (for
# the hung-task detector, for a blocked probe), so they run in the
# background while the suite's guest runs, CONTROL_JOBS (default 2) at a
# time, together with the suites of the other flavours.
# A control of flavour debug (the default) needs the debug configuration:
# debug's kernel, or arm64's (the same configuration) without debug's.
control_flavour() {
	local f
	f=$(control_header "$1" flavour | grep . || echo debug)
	[ "$f" != debug ] || [ -n "${kdirs[debug]:-}" ] || [ -z "${kdirs[arm64]:-}" ] || f=arm64
	echo "$f"
}
run_control() {
	local c=$1 n f kunit=" kunit.filter_glob=skip-all-suites"
	n=$(basename "$c" .sh)
	f=$(control_flavour "$c")
	# KUnit only in a control that expects a KUnit finding: elsewhere the
	# suites, run at boot and at drvsim's load, only cost the pool time.
	! control_header "$c" expect | grep -q '^kunit: ' || kunit=
	# No log or cases of an earlier run may stand in for this one's.
	rm -f "$DRVSIM_OUT/control-$n".{log,results}
	FLAVOUR=$f KDIR=${kdirs[$f]} \
		DRVSIM_PARAMS=$(control_header "$c" params) SAMPLES=$(control_header "$c" samples) \
		HUNG_TASK_SECS=$(control_header "$c" hung-task-secs) \
		KMEMLEAK_SCAN=$(control_header "$c" kmemleak-scan | grep -x 1 || echo 0) \
		KERNEL_CMDLINE="$(control_header "$c" cmdline)$kunit" \
		QEMU_SMP=$(control_header "$c" smp | grep . || echo 1) QUIET=1 TIMEOUT=${CONTROL_TIMEOUT:-600} \
		"$S/vm.sh" run "$c" "control-$n" > /dev/null 2>&1 || true
}
controls=()
for c in "$DRVSIM_ROOT"/tests/controls/*.sh; do
	f=$(control_flavour "$c")
	if [ -n "${kdirs[$f]:-}" ]; then
		controls+=("$c")
	else
		echo "SKIP controls/$(basename "$c" .sh) (needs the $f kernel, not in this run's flavours: ${flavours[*]})"
	fi
done
# The suite, in one guest with every module loaded, on flavour F; its log
# is check.log for the first flavour, check-F.log for the others.
# The suite's samples and parameters: env.sh's suite_env.
suite_env
suite_name() { if [ "$1" = "${flavours[0]}" ]; then echo check; else echo "check-$1"; fi; }
run_suite() {
	local f=$1 rc=0
	# No result of an earlier run may stand in for this one's.
	rm -f "$DRVSIM_OUT/$(suite_name "$f")".{log,results,rc}
	if [ "$RUNNER" = vng ]; then
		# Every exec reads the host's binaries over 9p: slower than
		# drvsim's own guest.
		FLAVOUR=$f KDIR=${kdirs[$f]} QUIET=1 TIMEOUT=${CHECK_TIMEOUT:-4800} \
			"$S/vng.sh" check "$(suite_name "$f")" || rc=$?
	else
		FLAVOUR=$f KDIR=${kdirs[$f]} QUIET=1 TIMEOUT=${CHECK_TIMEOUT:-2400} \
			"$S/vm.sh" run "$S/guest-check.sh" "$(suite_name "$f")" || rc=$?
	fi
	echo "$rc" > "$DRVSIM_OUT/$(suite_name "$f").rc"
}
# The vng case: autoload.sh under virtme-ng on the host's userspace
# (scripts/vng.sh), through the host's systemd-udevd and kmod, so that
# RUNNER=vng cannot rot (one test: each costs minutes of the gate there).
# On debug's kernel, one vCPU, in the pool;
# not with RUNNER=vng (the whole suite runs there) nor without an x86-64
# debug kernel.
# CHECK_VNG=0 leaves it out (Documentation/testing.rst, "Under
# virtme-ng", for what it costs).
VNG_TESTS="autoload.sh"
vng_case=
[ "${CHECK_VNG:-1}" != 1 ] || [ "$RUNNER" = vng ] || [ -z "${kdirs[debug]:-}" ] || vng_case=1
run_vng_case() {
	local rc=0
	rm -f "$DRVSIM_OUT"/vng-case.{log,results,rc}
	# shellcheck disable=SC2086
	# No kmemleak scan (20 s there): the debug suite's covers the same
	# code, and RUNNER=vng's scans under virtme-ng.
	FLAVOUR=debug KDIR=${kdirs[debug]} QEMU_SMP=1 KMEMLEAK_SCAN=0 QUIET=1 TIMEOUT=${CONTROL_TIMEOUT:-600} \
		"$S/vng.sh" tests vng-case $VNG_TESTS > "$DRVSIM_OUT/vng-case.out" 2>&1 || rc=$?
	echo "$rc" > "$DRVSIM_OUT/vng-case.rc"
}
run_background() {
	local f c
	for f in "${flavours[@]:1}"; do
		run_suite "$f" &
	done
	[ -z "$vng_case" ] || run_vng_case &
	for c in "${controls[@]}"; do
		while [ "$(jobs -pr | wc -l)" -ge "${CONTROL_JOBS:-2}" ]; do wait -n; done
		run_control "$c" &
	done
	wait
}
run_background &
background_pid=$!

# 1. The suites: the first flavour's in the foreground.
out=$DRVSIM_OUT
run_suite "${flavours[0]}"
# The sections a whole run reports, each one expected by results.py: every
# KUnit suite of the sources (its #[kunit_tests(name)] in rust/ or
# samples/; one whose file is not built would fail here, loudly) and
# guest-check.sh's own fixed sections.
expected_sections() {
	kunit_suites
	sed -n 's/^[[:space:]]*echo "DRVSIM-SECTION \([a-z:-]*\)" >>* .*/\1/p' "$S/guest-check.sh" | grep -vx end
}
# eval_suite F: the cases of flavour F's suite, tagged "[F]" but for the
# first flavour.
eval_suite() {
	local f=$1 name rc tag= counts p f2
	name=$(suite_name "$f")
	[ "$f" = "${flavours[0]}" ] || tag="[$f] "
	rc=$(cat "$out/$name.rc" 2>/dev/null || echo 125)
	# guest-check.sh always ends with 0: anything else is a guest (or
	# vm.sh) that did not finish.
	if [ "$rc" != 0 ]; then
		case_result FAIL "${tag}guest: finished" "see $out/$name.log"
		tail -40 "$out/$name.log" | tr -d '\r' >&2
	else
		case_result PASS "${tag}guest: finished"
	fi
	counts=$(python3 "$S/results.py" "${kdirs[$f]}/source/tools/testing/kunit/kunit.py" \
		"$out/$name.results" $(expected_sections) 2>"$out/$name.counts") || true
	sed "s/^\(PASS\|FAIL\|SKIP\) /\1 $tag/" <<< "$counts"
	read -r p f2 < <(tail -1 "$out/$name.counts")
	passed=$((passed + ${p:-0})) failed=$((failed + ${f2:-1}))
	if splats=$("$S/scan-log.sh" "$out/$name.log" 2>"$out/$name.filtered"); then
		case_result PASS "${tag}guest: log free of splats"
	else
		echo "$splats" | head -40
		case_result FAIL "${tag}guest: log free of splats" "see $out/$name.log"
	fi
	[ ! -s "$out/$name.filtered" ] || note "$f: filtered, not counted: $(cat "$out/$name.filtered")"
}
eval_suite "${flavours[0]}"
wait $background_pid
for f in "${flavours[@]:1}"; do
	eval_suite "$f"
done

# The vng case: finished, its tests' cases, a clean log.
if [ -n "$vng_case" ]; then
	if [ "$(cat "$out/vng-case.rc" 2>/dev/null || echo 125)" = 0 ]; then
		case_result PASS "vng: guest finished"
	else
		tail -20 "$out/vng-case.out" >&2
		case_result FAIL "vng: guest finished" "see $out/vng-case.log"
	fi
	counts=$(python3 "$S/results.py" "${kdirs[debug]}/source/tools/testing/kunit/kunit.py" \
		"$out/vng-case.results" kselftest-run:vng 2>"$out/vng-case.counts") || true
	echo "$counts"
	read -r p f2 < <(tail -1 "$out/vng-case.counts")
	passed=$((passed + ${p:-0})) failed=$((failed + ${f2:-1}))
	# Each test ran and reported cases (a test missing from the package
	# would leave only the runner's count short).
	for t in $VNG_TESTS; do
		if grep -q "^PASS kselftest-vng:$t: " <<< "$counts"; then
			case_result PASS "vng: $t reported cases"
		else
			case_result FAIL "vng: $t reported cases" "see $out/vng-case.log"
		fi
	done
	if splats=$("$S/scan-log.sh" "$out/vng-case.log" 2>/dev/null); then
		case_result PASS "vng: log free of splats"
	else
		echo "$splats" | head -40
		case_result FAIL "vng: log free of splats" "see $out/vng-case.log"
	fi
else
	echo "SKIP vng: a few tests under virtme-ng (CHECK_VNG=${CHECK_VNG:-1}, RUNNER=$RUNNER, flavours: ${flavours[*]})"
fi

# 2. The positive controls' findings and cases.
for c in "${controls[@]}"; do
	n=$(basename "$c" .sh)
	eval_control "$c" "$out/control-$n.log" "$out/control-$n.results" \
		"${kdirs[$(control_flavour "$c")]}/source/tools/testing/kunit/kunit.py"
done

note "check took $((SECONDS - t0))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
