#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hit rate, row 3: a remove writer against rmmod drvsim with the old module
# exit (legacy_unload_poll=1), hammered without pause points: create a
# device, write 1 to its remove in the background and at once unload the
# sample and drvsim; load them again and repeat, HIT_RATE_ATTEMPTS times
# at most. A hit is the writer running on in freed module code: a page
# fault, and the guest dies (oopses panic). Each attempt is announced in
# the kernel log first, so the host reads the attempt that faulted from
# the log. The one-shot version is tests/controls/legacy_unload_poll.sh.
# hit-rate-params: legacy_unload_poll=1
# hit-rate-samples: drvsim_sample
. /drvsim/lib/drvsim.sh
: "${HIT_RATE_ATTEMPTS:=200}"
echo on > /proc/sys/kernel/printk_devkmsg
i=0
while [ "$i" -lt "$HIT_RATE_ATTEMPTS" ]; do
	i=$((i + 1))
	[ -e "$BUS" ] || load_drvsim $DRVSIM_PARAMS || exit 1
	echo "hit-rate: attempt $i" > /dev/kmsg
	printf 'lu0 type=other' > "$BUS/new_device"
	echo 1 > "$BUS/devices/lu0/remove" 2> /dev/null &
	unload_drvsim || exit 1
	wait
done
echo "HIT-RATE attempts=$i hits=0" > "$DRVSIM_RESULTS"
