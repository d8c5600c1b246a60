#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The broken design of tests/supplier_designs.sh: drvsim_line_consumer
# with design=bare keeps a bare pointer into drvsim_line_provider's driver
# data, as a C driver that keeps the struct its supplier handed out in
# probe (Laurent's GPIO whose provider disappears, the revocable thread).
# Once the provider is gone, the consumer's next use reads the freed
# register, and KASAN reports it, in one attempt for each of the three
# ways a provider goes (guests boot with kasan_multi_shot, so every
# report appears):
# 1. the provider's unbind, then a read of the consumer's file;
# 2. its hot_unplug, then a write of the line from the consumer's work item;
# 3. rmmod of its module, then the consumer's own unbind (which releases
#    the line).
# The reports name the consumer's function (Rust's mangled names):
# Shared::read, Request::run (the work item; Shared::write is inlined
# there) and Shared::release.
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in .*drvsim_line_consumer.*Shared4read
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in .*drvsim_line_consumer.*Request.*WorkItem3run
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in .*drvsim_line_consumer.*Shared7release
. /drvsim/lib/drvsim.sh
P=$BUS/drivers/drvsim_line_provider
C=$BUS/drivers/drvsim_line_consumer
insmod "$MODULES/drvsim_line_provider.ko"
insmod "$MODULES/drvsim_line_consumer.ko" design=bare
for i in 0 1 2; do
	printf 'p%s type=provider' $i > "$BUS/new_device"
	printf 'c%s type=consumer supplier=p%s' $i $i > "$BUS/new_device"
done
printf p0 > "$P/unbind"
cat /dev/drvsim-line-c0
printf p1 > "$BUS/hot_unplug"
"$BIN/sysfs-write" /dev/drvsim-line-c1 5
rmmod drvsim_line_provider
printf c2 > "$C/unbind"
exit 0
