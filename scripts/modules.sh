#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build drvsim.ko and the sample modules against KDIR (Kbuild, M=), in
# the tree for FLAVOUR=debug, in a copy of its sources for the others.
set -euo pipefail
. "$(dirname "$0")/env.sh"
kdir=${1:?usage: modules.sh KDIR}
log=$DRVSIM_OUT/modules-$FLAVOUR.log
mkdir -p "$DRVSIM_OUT"
m=$(modules_dir)
if [ "$m" != "$DRVSIM_ROOT" ]; then
	# The sources of another flavour's build: a copy, refreshed.
	mkdir -p "$m"
	(cd "$DRVSIM_ROOT" && find Kbuild rust samples \( -name Kbuild -o -name '*.rs' -o -name '*.[ch]' \) ! -name '*.mod.c') |
		while read -r f; do
			mkdir -p "$m/$(dirname "$f")"
			cmp -s "$DRVSIM_ROOT/$f" "$m/$f" || cp "$DRVSIM_ROOT/$f" "$m/$f"
		done
fi
if ! make -C "$kdir" M="$m" $(kmake_args) -j"$(nproc)" modules >"$log" 2>&1; then
	grep -E 'error|warning' -A5 "$log" | head -60 >&2
	die "module build failed (see $log)"
fi
if grep -qE "(^|: )warning:" "$log"; then grep -E "(^|: )warning:" -A8 "$log" >&2; die "module build has warnings (see $log)"; fi
for ko in rust/drvsim.ko samples/drvsim_sample.ko; do
	[ -f "$m/$ko" ] || die "module build did not produce $ko"
done
