#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# drvsim_irq's three broken designs in one guest (Documentation/bugs.rst,
# row 21; KASAN's multi_shot reports each): legacy_irq, the handler
# registered with devm_request_irq() in probe before the driver data it
# uses (the C order), fired from the unbind_devres pause point, after
# the unbind dropped the data and before devres frees the line;
# legacy_work and legacy_timer, a delayed work and an hrtimer armed in
# probe that nothing stops at unbind, which run on and touch the freed
# data. One attempt each: the pause point holds the window open, and
# the work and timer re-arm themselves every 20 ms once the unbind
# started (three more runs after the data is freed, then they stop).
# tests/irq_across_unbind.sh runs the same scenario clean with the default designs.
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in .*count_irq
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in .*count_work
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in .*count_timer
. /drvsim/lib/drvsim.sh
insmod $MODULES/drvsim_irq.ko legacy_irq=1 legacy_work=1 legacy_timer=1
printf 'i0 type=irq' > "$BUS/new_device"
pause_arm unbind_devres
printf i0 > "$BUS/drivers/drvsim_irq/unbind" &
pause_wait_held unbind_devres 10
printf 1 > "$BUS/devices/i0/fire_irq"
pause_release unbind_devres
wait
for f in count_irq count_work count_timer; do
	wait_until 10 sh -c "dmesg | grep -q 'KASAN: slab-use-after-free in .*$f'"
done
rmmod drvsim_irq
