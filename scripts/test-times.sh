#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test-times.sh LOG: each kselftest's guest time in a suite's console log
# (guest-check.sh marks every start and end in the kernel log), longest
# first, and their sum. For the gate's budget (Documentation/testing.rst).
set -euo pipefail
awk '
	match($0, /^\[ *[0-9]+\.[0-9]+\]/) { t = substr($0, 2, RLENGTH - 2) + 0 }
	/drvsim-ktap: # selftests: / { name = $NF; start = t }
	/drvsim-ktap: (not )?ok [0-9]+ selftests: / && name != "" {
		printf "%7.1f %s\n", t - start, name; sum += t - start; name = ""
	}
	END { printf "%7.1f (sum)\n", sum }
' "$1" | sort -rn
