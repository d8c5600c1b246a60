#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The design of shared/seeds/get-driver-lifetime.txt, restored by
# legacy_get_driver=1 and legacy_dynid_leak=1, against the scenarios that
# tests/driver_lifetime.sh and tests/fault_inject.sh run clean by default:
# 1. a registration failing after new_id was written keeps the id: kmemleak
#    reports it (scanned here, the guest dies before its own scan);
# 2. rmmod of drvsim_pair while drvsim_pair's new_id attach runs the
#    companion's probe, which nothing pinned: the companion's
#    unregistration returns with its probe still running (the sample's
#    "BUG:" line), which then uses the driver structure freed with the
#    registration (KASAN);
# 3. new_id of drvsim_pair between the two registrations (insmod held at
#    the register_window pause point, one attempt): the lookup trusts a
#    pointer to a driver that is not registered and crashes, as
#    usb-serial did.
# control-params: legacy_get_driver=1 legacy_dynid_leak=1
# control-samples: drvsim_sample
# control-expect: kmemleak: unreferenced object
# control-expect: BUG: .*drvsim_pair: probe exit by drvsim_pair_companion outside its registration
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free
# control-expect: oops: .*(general protection fault|Oops)
. /drvsim/lib/drvsim.sh
B=/sys/bus/drvsim
K=/sys/kernel/debug/drvsim
M=/drvsim/modules/drvsim_pair.ko
P=$B/drivers/drvsim_pair

rmmod drvsim_sample
echo 3 > $K/fail_register_step
echo 5000 > $K/fail_register_wait_ms
insmod /drvsim/modules/drvsim_sample.ko &
while [ ! -e $B/drivers/drvsim_sample/new_id ]; do sleep 0.1; done
echo leaked > $B/drivers/drvsim_sample/new_id
wait
echo 0 > $K/fail_register_step
leaked=$(cut -d. -f1 /proc/uptime)

echo "y0 type=pair-y" > $B/new_device
insmod $M probe_ms=2000
echo pair-y > $P/new_id &
# rmmod once the attach is inside the companion's probe, not a guess later.
wait_until 60 in_kernel $! '\[drvsim_pair\]'
rmmod drvsim_pair
wait

# kmemleak reports objects older than 5 s, unchanged since its last scan.
while [ $(($(cut -d. -f1 /proc/uptime) - leaked)) -lt 6 ]; do sleep 0.5; done
echo scan > /sys/kernel/debug/kmemleak
echo scan > /sys/kernel/debug/kmemleak
cat /sys/kernel/debug/kmemleak

pause_arm register_window
insmod $M &
pause_wait_held register_window 10
echo pair-x > $P/new_id
pause_release register_window
wait
