#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make soak`: tests/soak.sh with SOAK_CYCLES (default 10000), then
# tests/chaos.sh for CHAOS_SECS (default 600; CHAOS_SEED replays a run's
# writers), in a guest of its own; fails on a failed case, on a script that
# did not finish, or on any splat in the guest's log, the final kmemleak
# scan included. Not part of `make check`, which runs the same scripts
# with 400 cycles and for 60 s.
set -euo pipefail
. "$(dirname "$0")/env.sh"
: "${KDIR:?}"
job=$DRVSIM_OUT/soak-job.sh
mkdir -p "$DRVSIM_OUT"
{
	printf '#!/bin/sh\nSOAK_CYCLES=%d sh /drvsim/soak.sh > "$DRVSIM_RESULTS"\n' "${SOAK_CYCLES:-10000}"
	printf 'CHAOS_SECS=%d CHAOS_SEED=%q sh /drvsim/chaos.sh > "$DRVSIM_RESULTS"\n' \
		"${CHAOS_SECS:-600}" "${CHAOS_SEED:-}"
} > "$job"
suite_env
QUIET=1 TIMEOUT=${SOAK_TIMEOUT:-5400} "$DRVSIM_ROOT/scripts/vm.sh" run "$job" soak || true
results=$(tr -d '\r' < "$DRVSIM_OUT/soak.results" | grep -v '^DRVSIM-')
echo "$results"
rc=0
grep -q '^not ok' <<< "$results" && rc=1
# Each script ends with "# Totals: pass:N fail:0 ..." when all N cases of
# its plan passed; a script that died has no such line, or fewer passes.
finished=$(awk '/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0 }
	/^# Totals: / { if ($3 == "pass:" plan && $4 == "fail:0") n++ }
	END { print n + 0 }' <<< "$results")
[ "$finished" = 2 ] || { note "the soak or the chaos did not finish: $DRVSIM_OUT/soak.log"; rc=1; }
if ! splats=$("$DRVSIM_ROOT/scripts/scan-log.sh" "$DRVSIM_OUT/soak.log"); then
	echo "$splats" | head -20
	note "the soak guest's log has splats: $DRVSIM_OUT/soak.log"
	rc=1
fi
exit $rc
