#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Positive control of tests/child_device.sh: with legacy_embedded_child=1
# the child device's memory is drvsim_child's driver data, freed at the
# parent's unbind (Bartosz's struct i2c_adapter embedded in a driver's
# devm_kzalloc()ed data). A file open across the unbind holds a reference
# to the child's struct device (its own, and the cdev's, whose kobject has
# the device as parent), so the device outlives its memory; the close
# puts it and KASAN reports the use-after-free in kobject_put(), in one
# attempt, without CONFIG_DEBUG_KOBJECT_RELEASE (resources.rst says why).
# control-samples: drvsim_sample
# control-expect: kasan: .*BUG: KASAN: slab-use-after-free in kobject_put
. /drvsim/lib/drvsim.sh
insmod "$MODULES/drvsim_child.ko" legacy_embedded_child=1
printf 'lc0 type=adapter' > "$BUS/new_device"
exec 3< /dev/lc0-adapter
printf lc0 > "$BUS/drivers/drvsim_child/unbind"
exec 3<&-
