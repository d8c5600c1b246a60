#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make mutants [MUTANTS="a b"]`: for each kernel mutant of tests/mutants/
# (a patch that puts a bug back into the kernel's drivers/base/ or
# rust/kernel/), rebuild the cached kernel with the patch, build the
# modules against it, run the unchanged suite, and print one table row:
# killed (a failed case, a splat, a guest that did not finish) or
# survived; "boot" when the kernel splats before init, before any drvsim
# module (the mutant must be made narrower). Exits non-zero unless every
# mutant was killed or is a named survivor (a "mutant-survivor:" header
# that says why no test can kill it).
#
# The cache is never touched. Each mutant gets a hard-linked copy of the
# kernel source (the patched files are copied first, so the cache's own
# inodes stay as they are) and a copy of the build directory; a private
# mount namespace binds them over the cache's paths, so that kbuild sees
# the paths it was built with and rebuilds only what the patch changed.
#
# Environment:
#   MUTANTS            names (tests/mutants/<name>.patch); default all.
#                      "none" is the control: the clean kernel through the
#                      same copies and reordered suite, which must survive
#   MUTANT_FAILFAST=0  run the whole suite instead of stopping at the first
#                      failed case or splat (the mutant's mutant-expect:
#                      tests run first either way)
#   MUTANT_STEP=compile  only compile the objects each patch touches
#                      (a cheap check that the catalogue builds)
#   MUTANT_KEEP=1      keep each mutant's copies under $DRVSIM_CACHE/mutants
# Logs: $DRVSIM_OUT/mutants/<name>.{build.log,log,results}; the table also
# goes to $DRVSIM_OUT/mutants/table.txt.
set -euo pipefail
. "$(dirname "$0")/env.sh"
S=$DRVSIM_ROOT/scripts
dir=$DRVSIM_ROOT/tests/mutants
out=$DRVSIM_OUT/mutants
mkdir -p "$out"
[ "$(id -u)" = 0 ] || die "make mutants needs root (a private mount namespace: unshare -m)"
read -r -a names <<< "${MUTANTS:-$(cd "$dir" && ls *.patch | sed 's/\.patch$//' | tr '\n' ' ')}"
[ ${#names[@]} -gt 0 ] || die "no mutants in $dir"
for n in "${names[@]}"; do
	[ "$n" = none ] || [ -f "$dir/$n.patch" ] || die "no mutant $n ($dir/$n.patch)"
done
# Copies of runs that were killed (their pid is gone) are removed; copies
# of other runs going on now (another clone) are theirs.
for d in "$DRVSIM_CACHE"/mutants/*.[0-9]*; do
	[ -e "$d" ] || continue
	kill -0 "${d##*.}" 2> /dev/null || [ "${MUTANT_KEEP:-0}" = 1 ] || rm -rf "$d"
done
w=
trap '[ -z "$w" ] || [ "${MUTANT_KEEP:-0}" = 1 ] || rm -rf "$w"' EXIT
trap 'exit 130' INT TERM

# header FILE KEY: the values of the patch's "mutant-KEY: value" lines.
header() { [ ! -f "$1" ] || sed -n "/^diff \|^--- /q; s/^mutant-$2: *//p" "$1"; }
# What a suite that ran to its end reported: every KUnit suite and every
# kselftest (a survivor is one only if the whole suite ran).
expected=$(kunit_suites; for t in "$DRVSIM_ROOT"/tests/*.sh; do echo "kselftest:$(basename "$t")"; done)

table=$out/table.txt
row() { printf '%-30s %-8s %-64s %-12s %7s %7s\n' "$@" | tee -a "$table"; }
mmss() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
: > "$table"
row mutant verdict "first failing case" detector rebuild run
survivors=0

for n in "${names[@]}"; do
	p=$dir/$n.patch
	flavour=$(header "$p" flavour | grep . || echo debug)
	cmdline=$(header "$p" cmdline)
	kdir=$(FLAVOUR=$flavour "$S/kdir.sh")
	src=$(readlink -f "$kdir/source")
	w=$DRVSIM_CACHE/mutants/$n.$$
	rm -rf "$w" "$out/$n".{log,results,build.log}
	mkdir -p "$w"
	note "mutant $n ($flavour): copying the kernel source and build"
	t0=$SECONDS
	cp -al "$src" "$w/src"
	# Break the hard links of what the patch changes before patching.
	for f in $(sed -n 's#^+++ b/\([^[:space:]]*\).*#\1#p' "$p" 2> /dev/null); do
		[ ! -e "$w/src/$f" ] || { cp "$w/src/$f" "$w/src/$f.new" && mv "$w/src/$f.new" "$w/src/$f"; }
	done
	if [ "$n" != none ] && ! patch -p1 -s --no-backup-if-mismatch -d "$w/src" < "$p" > "$out/$n.build.log" 2>&1; then
		row "$n" error "patch does not apply (see $out/$n.build.log)" - - -
		survivors=$((survivors + 1)); rm -rf "$w"; continue
	fi
	cp -a "$kdir" "$w/build"
	# The objects the patch touches, for MUTANT_STEP=compile: a C file's
	# object, the kernel crate for rust/kernel/, vmlinux for a header.
	objs=$({ sed -n 's#^+++ b/\([^[:space:]]*\).*#\1#p' "$p" 2> /dev/null || true; } | sed -E \
		-e 's#^rust/kernel/.*#rust/kernel.o#' -e 's#\.c$#.o#' -e 's#^include/.*#vmlinux#' | sort -u)
	[ "${MUTANT_STEP:-}" = compile ] || objs=all
	# Inside the namespace: bind the copies over the cache's paths, build,
	# then (unless compiling only) the modules and the suite's guest.
	job=$w/job.sh
	{
		printf 'FIRST=%q\nFAILFAST=%q\n' \
			"$(header "$p" expect | awk '!s[$1]++ { print $1 }' | sed -n 's/^kselftest://p' | tr '\n' ' ')" \
			"${MUTANT_FAILFAST:-1}"
		echo "cat > /tmp/scan-log.sh <<'DRVSIM_SCAN_LOG'"
		cat "$S/scan-log.sh"
		echo "DRVSIM_SCAN_LOG"
		cat "$S/guest-mutant.sh"
	} > "$job"
	rc=0 ns0=$SECONDS
	DRVSIM_ROOT=$DRVSIM_ROOT DRVSIM_OUT=$out FLAVOUR=$flavour W=$w SRC=$src KDIR=$kdir OBJS="$objs" N=$n OUT=$out \
		DRVSIM_MODULES_DIR=$w/modules KERNEL_CMDLINE=$cmdline QUIET=1 TIMEOUT=${MUTANT_TIMEOUT:-2400} STALL_SECS=90 \
		unshare -m --propagation private bash -c '
		set -euo pipefail
		. "$DRVSIM_ROOT/scripts/env.sh"
		suite_env
		mount --bind "$W/src" "$SRC"
		mount --bind "$W/build" "$KDIR"
		# shellcheck disable=SC2086
		make -C "$SRC" O="$KDIR" $(kmake_args) -j"$(($(nproc) + 1))" $OBJS >> "$OUT/$N.build.log" 2>&1 || exit 10
		[ "$OBJS" = all ] || exit 0
		echo "rebuilt-after $((SECONDS))" >> "$OUT/$N.build.log"
		"$DRVSIM_ROOT/scripts/modules.sh" "$KDIR" >> "$OUT/$N.build.log" 2>&1 || exit 11
		echo "built-after $((SECONDS))" >> "$OUT/$N.build.log"
		"$DRVSIM_ROOT/scripts/vm.sh" run "$W/job.sh" "$N" >> "$OUT/$N.build.log" 2>&1' || rc=$?
	# The rebuild: the copies, the kernel and the modules; the run: the guest.
	built=$(sed -n 's/^built-after //p' "$out/$n.build.log")
	built=$((ns0 - t0 + ${built:-$((SECONDS - ns0))}))
	rebuild=$(mmss "$built")
	run=$(mmss $((SECONDS - t0 - built)))
	[ "${MUTANT_KEEP:-0}" = 1 ] || rm -rf "$w"
	if [ "$rc" = 10 ] || [ "$rc" = 11 ]; then
		grep -E 'error' -m3 "$out/$n.build.log" >&2 || true
		row "$n" error "$([ $rc = 10 ] && echo kernel || echo modules) build failed ($out/$n.build.log)" - "$rebuild" -
		survivors=$((survivors + 1)); continue
	fi
	if [ "${MUTANT_STEP:-}" = compile ]; then
		row "$n" compiled "$objs" - "$(mmss $((SECONDS - t0)))" -
		continue
	fi
	# The guest job exits 0, or 3 for a mutant-expect: test that does not
	# exist; vm.sh 125 for a guest that did not finish; anything else is
	# the runner's own failure (mount, initramfs).
	if [ "$rc" != 0 ] && [ "$rc" != 125 ]; then
		row "$n" error "exit $rc: $(grep -m1 -E 'drvsim-mutant: no test|error' "$out/$n.build.log" "$out/$n.log" 2> /dev/null | cut -c1-50)" - "$rebuild" "$run"
		survivors=$((survivors + 1)); continue
	fi
	if ! grep -q 'Run /init as init process' "$out/$n.log" 2> /dev/null; then
		row "$n" boot "the guest never reached init" "-" "$rebuild" "$run"
		survivors=$((survivors + 1)); continue
	fi
	# The verdict, from the same tools as make check's: results.py for the
	# cases, scan-log.sh for the splats, vm.sh's 125 for a guest that did
	# not finish.
	cases=$(python3 "$S/results.py" "$src/tools/testing/kunit/kunit.py" "$out/$n.results" 2> /dev/null || true)
	fail=$(grep -m1 '^FAIL ' <<< "$cases" | cut -c6- | sed 's#^\(kunit:\)\([^/]*\)/\2:#\1\2:#' || true)
	# A splat before init is the mutant's, not the suite's: such a mutant
	# is too blunt to tell anything about drvsim (verdict "boot").
	boot=$("$S/scan-log.sh" <(sed '/Run \/init as init process/q' "$out/$n.log") 2> /dev/null | head -1 || true)
	if [ -n "$boot" ]; then
		row "$n" boot "$(cut -c1-64 <<< "${boot#splat: }")" "before init" "$rebuild" "$run"
		survivors=$((survivors + 1)); continue
	fi
	splat=$("$S/scan-log.sh" <(sed '1,/Run \/init as init process/d' "$out/$n.log") 2> /dev/null | head -1 || true)
	last=$(tr -d '\r' < "$out/$n.results" 2> /dev/null | sed -n 's/^DRVSIM-SECTION //p' | { grep -v '^end$' || true; } | tail -1)
	detector=
	[ -z "$splat" ] || detector=$(sed 's/^splat: \([^:]*\):.*/\1/' <<< "$splat")
	[ -n "$detector" ] || [ "$rc" != 125 ] || detector="guest dead"
	[ -n "$detector" ] || [ -z "$fail" ] || detector="failed case"
	# A survivor must have run the whole suite to its end.
	missing=
	if [ -z "$detector" ]; then
		# shellcheck disable=SC2086
		missing=$(python3 "$S/results.py" "$src/tools/testing/kunit/kunit.py" "$out/$n.results" \
			$expected 2> /dev/null | sed -n 's/^FAIL \([^:]*:[^:]*\): not reported.*/\1/p' | head -3 | tr '\n' ' ')
		grep -q '^DRVSIM-END' "$out/$n.results" || missing="$missing(no DRVSIM-END)"
	fi
	if [ "$n" = none ]; then
		# The control: the clean kernel must survive, whole.
		if [ -n "$detector$missing" ]; then
			row "$n" error "the clean kernel failed: ${fail:-${missing:-$splat}}" "${detector:--}" "$rebuild" "$run"
			survivors=$((survivors + 1))
		else
			row "$n" clean "survived, as it must (the control)" - "$rebuild" "$run"
		fi
	elif [ -n "$missing" ]; then
		row "$n" error "survived a suite cut short: $missing" - "$rebuild" "$run"
		survivors=$((survivors + 1))
	elif [ -n "$detector" ]; then
		row "$n" killed "$(cut -c1-64 <<< "${fail:-${last:-boot}}")" "$detector" "$rebuild" "$run"
	elif [ -n "$(header "$p" survivor)" ]; then
		# A named survivor: its header argues why (equivalent, or a
		# window no test can hold open); not a failure of the catalogue.
		row "$n" named "survived: $(header "$p" survivor | cut -c1-54)" - "$rebuild" "$run"
	else
		row "$n" SURVIVED "-" - "$rebuild" "$run"
		survivors=$((survivors + 1))
	fi
done
echo "table: $table"
[ "$survivors" = 0 ]
