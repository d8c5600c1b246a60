#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The cdev layer with release() outside its active sections (drvsim_cdev
# legacy_cdev_release=1, Documentation/bugs.rst; Laurent Pinchart: "The
# only fop that this doesn't handle is .release()"): a file held open
# across the unbind is closed after it, and release() does its device
# work on the driver's bound state, which the unbind freed: KASAN reports
# the read. tests/cdev_layer.sh shows the fixed layer skip the work.
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free
. /drvsim/lib/drvsim.sh
insmod /drvsim/modules/drvsim_cdev.ko legacy_cdev_release=1
printf 'c0 type=cdev' > "$BUS/new_device"
wait_until 5 test -c /dev/drvsim-cdev-c0
exec 3<> /dev/drvsim-cdev-c0
printf c0 > "$BUS/drivers/drvsim_cdev/unbind"
exec 3>&-
printf c0 > "$BUS/del_device"
rmmod drvsim_cdev
