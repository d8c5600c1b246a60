#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build drvsim.ko and the sample modules against KDIR (Kbuild, M=).
set -euo pipefail
. "$(dirname "$0")/env.sh"
kdir=${1:?usage: modules.sh KDIR}
log=$DRVSIM_OUT/modules.log
mkdir -p "$DRVSIM_OUT"
if ! make -C "$kdir" M="$DRVSIM_ROOT" $(kmake_args) -j"$(nproc)" modules >"$log" 2>&1; then
	grep -E 'error|warning' -A5 "$log" | head -60 >&2
	die "module build failed (see $log)"
fi
if grep -qE "(^|: )warning:" "$log"; then grep -E "(^|: )warning:" -A8 "$log" >&2; die "module build has warnings (see $log)"; fi
for ko in rust/drvsim.ko samples/drvsim_sample.ko; do
	[ -f "$DRVSIM_ROOT/$ko" ] || die "module build did not produce $ko"
done
