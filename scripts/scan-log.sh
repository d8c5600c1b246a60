#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scan a guest console log for splats. Prints one line per finding,
# "splat: <kind>: <log line>", and exits 1 if there is any.
#
# A clean drvsim run prints none of these; any stack dump at all is a
# finding, so a new kind of report cannot slip through unnamed. A failed
# KUnit assertion is one too: a control whose detector is a KUnit case
# (legacy_devres_set_unlock) is scanned like any other.
log=${1:?usage: scan-log.sh LOG}
# A KCSAN report (FLAVOUR=kcsan) is a finding when one of its frames is in
# a drvsim module ("[drvsim" after a symbol); data races entirely inside
# the core kernel, which drvsim cannot fix and which a 2-vCPU TCG guest
# makes more likely to be seen, are listed on stderr as filtered
# (Documentation/testing.rst, "Kernel flavours"). Every line of a report
# is still scanned for the other kinds, as another CPU's splat can be
# printed in its middle; and a report that never reaches its closing
# "====" (cut off by a panic, a timeout, the next report) is a finding,
# as what it lacks may be the drvsim frame.
tr -d '\r' < "$log" | awk '
	function kcsan_end(closed) {
		if (drv) { print "splat: kcsan: " title; found = 1 }
		else if (!closed) { print "splat: kcsan (report cut off): " title; found = 1 }
		else print "filtered (no drvsim frame): " title > "/dev/stderr"
		inkcsan = 0
	}
	# A "====" line ends the report, or opens the next one (KASAN, lockdep
	# and KCSAN reports start with one too): the line after it tells.
	pend { pend = 0; kcsan_end(!/BUG:|WARNING:/) }
	inkcsan && /(^|\] )=+$/ { pend = 1; next }
	/BUG: KCSAN:/ {
		if (inkcsan) kcsan_end(0)
		inkcsan = 1; drv = /\[drvsim/; title = $0; next
	}
	inkcsan && /\[drvsim/ { drv = 1 }
	/possible (circular|recursive) locking|inconsistent lock state|lock held when returning|bad unlock balance|suspicious RCU usage|held lock freed|possible irq lock inversion|circular locking/ { kind = "lockdep" }
	/BUG: KASAN:/ { kind = "kasan" }
	/unreferenced object 0x/ { kind = "kmemleak" }
	/INFO: task .* blocked for more than|hung_task: blocked tasks/ { kind = "hung task" }
	/UBSAN:/ { kind = "ubsan" }
	/# .*: (ASSERTION|EXPECTATION) FAILED at / { kind = "kunit" }
	/detected stalls? on CPU|rcu_.* self-detected stall|soft lockup/ { kind = "stall" }
	/Kernel panic/ { kind = "panic" }
	/Oops|general protection fault|kernel BUG at/ { kind = "oops" }
	# arm64 words a bad kernel access so (x86: "BUG: unable to handle page fault").
	/Unable to handle kernel (paging request|NULL pointer dereference|execute)/ { kind = "fault" }
	/BUG:/ && kind == "" { kind = "BUG" }
	/WARNING:/ && kind == "" { kind = "WARNING" }
	/Call [Tt]race:/ && kind == "" { kind = "stack dump" }
	kind != "" { print "splat: " kind ": " $0; found = 1; kind = "" }
	END { if (inkcsan) kcsan_end(pend); exit found }
'
