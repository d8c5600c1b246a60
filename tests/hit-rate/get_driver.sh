#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hit rate, row 4: new_id in usb-serial's window (legacy_get_driver=1),
# hammered without pause points: a writer writes pair-x to drvsim_pair's
# new_id in a loop, from before the file exists, while insmod
# drvsim_pair.ko (window_ms=0) registers drvsim_pair and then its
# companion; rmmod and repeat, HIT_RATE_ATTEMPTS times at most. A write
# between the two registrations makes the lookup trust a pointer to the
# companion, which is not registered, and crash (scenario 3 of
# tests/controls/legacy_get_driver.sh): the guest dies (oopses panic).
# Each attempt is announced in the kernel log first, so the host reads
# the attempt that crashed from the log. The one-shot version holds the
# window with the register_window pause point (tests/pause_points.sh).
# hit-rate-params: legacy_get_driver=1
# hit-rate-samples: drvsim_sample
. /drvsim/lib/drvsim.sh
: "${HIT_RATE_ATTEMPTS:=200}"
P=$BUS/drivers/drvsim_pair
echo on > /proc/sys/kernel/printk_devkmsg
i=0
while [ "$i" -lt "$HIT_RATE_ATTEMPTS" ]; do
	i=$((i + 1))
	echo "hit-rate: attempt $i" > /dev/kmsg
	rm -f /tmp/stop
	/drvsim/bin/write-loop /tmp/stop "$P/new_id" pair-x > /tmp/new_id.out &
	insmod /drvsim/modules/drvsim_pair.ko window_ms=0 || exit 1
	touch /tmp/stop
	wait
	# Writes that got ENODEV: none in this design (the broken lookup does
	# not refuse), so any would be news.
	grep -q '^ENODEV' /tmp/new_id.out && echo "hit-rate: attempt $i: new_id $(tr '\n' ' ' < /tmp/new_id.out)"
	rmmod drvsim_pair || exit 1
done
echo "HIT-RATE attempts=$i hits=0" > "$DRVSIM_RESULTS"
