#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# compile-fail.sh CASE.rs: build one driver of tests/compile-fail/ as an
# out-of-tree module against KDIR. Its doc comment says what must happen:
# "compile-fail: E<code>": the build fails with rustc's error E<code> at
# the one line of the case marked "//~ ERROR E<code>" (not merely fails,
# nor with that error elsewhere, in rust/ or at another line);
# "compile-pass": it builds. Exit 0 if so, 1 if not, with the reason on
# the last line.
set -euo pipefail
. "$(dirname "$0")/env.sh"
: "${KDIR:?KDIR must name the kernel build directory}"
case_rs=$(readlink -f "${1:?usage: compile-fail.sh CASE.rs}")
name=$(basename "$case_rs" .rs)
want=$(sed -n -E 's#^//! (compile-fail: E[0-9]+|compile-pass)$#\1#p' "$case_rs")
[ -n "$want" ] || die "$case_rs: no '//! compile-fail: E<code>' or '//! compile-pass' line"
code=${want#compile-fail: }
if [ "$want" != compile-pass ]; then
	line=$(grep -n -- "//~ ERROR $code\$" "$case_rs" | cut -d: -f1 || true)
	[ "$(wc -w <<< "$line")" = 1 ] || die "$case_rs: not one line marked '//~ ERROR $code'"
fi
# The case includes ../../rust/driver.rs: give it that layout.
d=$DRVSIM_OUT/compile-fail/$name
rm -rf "$d"
mkdir -p "$d/t/c"
ln -s "$DRVSIM_ROOT/rust" "$d/rust"
cp "$case_rs" "$d/t/c/"
echo "obj-m += $name.o" > "$d/t/c/Kbuild"
rc=0
make -C "$KDIR" M="$d/t/c" $(kmake_args) KBUILD_EXTRA_SYMBOLS="$(modules_dir)/Module.symvers" modules > "$d/build.log" 2>&1 || rc=$?
case $want in
compile-pass)
	[ "$rc" = 0 ] || { grep -E '^error' -A6 "$d/build.log" | head -20; echo "expected to build, but the build failed"; exit 1; } ;;
*)
	[ "$rc" != 0 ] || { echo "expected error[$code], but it built"; exit 1; }
	# Where each error[E<code>] points: the "--> FILE:LINE:COL" after it.
	at=$(awk -v e="error[$code]" 'index($0, e) == 1 { want = 1; next }
		want && /^ *--> / { print $2; want = 0 }' "$d/build.log")
	grep -E -q -x "(.*/)?$name\.rs:$line:[0-9]+" <<< "$at" ||
		{ grep -E '^error' -A6 "$d/build.log" | head -20
		  echo "failed, but not with error[$code] at $name.rs:$line (it did at: $(tr "\n" " " <<< "$at"))"; exit 1; } ;;
esac
grep -m1 "^error\[" "$d/build.log" || true
