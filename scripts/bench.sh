#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: run every benchmark in tests/bench/ in one guest and print
# their tables. Benchmarks measure in the guest and report ratios where
# the host is noisy; they are not tests and assert nothing.
set -euo pipefail
. "$(dirname "$0")/env.sh"
: "${KDIR:?}"
job=$DRVSIM_OUT/bench-job.sh
mkdir -p "$DRVSIM_OUT"
{
	echo '#!/bin/sh'
	# BENCH="a b": only tests/bench/a.sh and b.sh (the default: all).
	if [ -n "${BENCH:-}" ]; then
		echo "for b in $(for b in $BENCH; do printf '/drvsim/bench/%s.sh ' "$b"; done); do"
	else
		echo 'for b in /drvsim/bench/*.sh; do'
	fi
	echo '	sh "$b" > "$DRVSIM_RESULTS"; echo > "$DRVSIM_RESULTS"'
	echo 'done'
} > "$job"
QUIET=1 TIMEOUT=${BENCH_TIMEOUT:-1800} "$DRVSIM_ROOT/scripts/vm.sh" run "$job" bench
tr -d '\r' < "$DRVSIM_OUT/bench.results" | grep -v '^DRVSIM-'
if ! "$DRVSIM_ROOT/scripts/scan-log.sh" "$DRVSIM_OUT/bench.log" > /dev/null; then
	note "the benchmark guest's log has splats: $DRVSIM_OUT/bench.log"
	exit 1
fi
