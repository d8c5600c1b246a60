#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hit rate, row 5: DevresSet's early drop against revocation
# (legacy_devres_set_unlock=1). The window is between a member's early
# drop and unbind's revocation of the set, inside the driver; user space
# has no early drop to race, and a reader inside a revocable access sees
# the same registers, then ENXIO, in either design. So this hammers what
# user space can (tests/revocation.sh's hammer_across_unbind: four threads
# reading through one file while the device is unbound under them,
# HIT_RATE_ATTEMPTS times) and reports the cycles where a reader saw
# anything but the registers or ENXIO/EBADF; the host adds KASAN reports.
# The deterministic version is the KUnit case
# revocation_is_complete_when_either_side_returns, which failed when
# drvsim.ko was loaded at boot.
# hit-rate-params: legacy_devres_set_unlock=1
# hit-rate-samples: drvsim_sample
. /drvsim/lib/drvsim.sh
: "${HIT_RATE_ATTEMPTS:=10}"
S=$BUS/drivers/drvsim_sample
i=0 bad=0
while [ "$i" -lt "$HIT_RATE_ATTEMPTS" ]; do
	i=$((i + 1))
	printf 'hr0 type=sample regions=4' > "$BUS/new_device"
	wait_until 5 test -c /dev/drvsim-hr0 || exit 1
	/drvsim/bin/regfile hammer /dev/drvsim-hr0 4 600 > /tmp/hammer 2>&1 &
	h=$!
	sleep 0.2
	printf hr0 > "$S/unbind"
	wait $h || { bad=$((bad + 1)); echo "hit-rate: attempt $i: $(cat /tmp/hammer)"; }
	printf hr0 > "$BUS/del_device"
done
echo "HIT-RATE attempts=$i bad=$bad" > "$DRVSIM_RESULTS"
