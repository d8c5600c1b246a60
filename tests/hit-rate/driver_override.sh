#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hit rate, row 1: the driver_override use-after-free of kernel bugzilla
# 220789 (legacy_driver_override=1), hammered without pause points. One
# writer binds and unbinds mo0 in a loop, another stores driver_override
# alternately drvsim_sample and drvsim_faulty (a name need not be a loaded
# driver) for HIT_RATE_SECS seconds. An attempt is one bind write; a hit
# is one KASAN slab-use-after-free report, which the host counts in the
# log (guests boot with kasan_multi_shot). The one-shot version is
# tests/controls/legacy_driver_override.sh.
# hit-rate-params: legacy_driver_override=1
# hit-rate-samples: drvsim_sample
. /drvsim/lib/drvsim.sh
: "${HIT_RATE_SECS:=10}"
S=$BUS/drivers/drvsim_sample
O=$BUS/devices/mo0/driver_override
printf 'mo0' > "$BUS/new_device"
printf 'mo0' > "$S/unbind"
printf drvsim_sample > "$O"
rm -f /tmp/stop
/drvsim/bin/write-loop /tmp/stop "$S/bind" mo0 "$S/unbind" mo0 > /tmp/bind.out &
/drvsim/bin/write-loop /tmp/stop "$O" drvsim_sample "$O" drvsim_faulty > /tmp/store.out &
sleep "$HIT_RATE_SECS"
touch /tmp/stop
wait
# write-loop writes bind, then unbind, and checks the stop file between
# the pairs: the bind writes are half of all its writes.
writes=$(awk '{ n += $2 } END { print n + 0 }' /tmp/bind.out)
stores=$(awk '{ n += $2 } END { print n + 0 }' /tmp/store.out)
echo "hit-rate: bind/unbind writes: $(tr '\n' ' ' < /tmp/bind.out); stores: $(tr '\n' ' ' < /tmp/store.out)"
echo "HIT-RATE attempts=$((writes / 2)) stores=$stores" > "$DRVSIM_RESULTS"
