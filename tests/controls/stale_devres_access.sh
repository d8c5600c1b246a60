#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel's own Devres::access() (7.3, rust/kernel/devres.rs) across an
# unbind and a rebind, from safe driver code: drvsim_faulty's stale_devres
# probe keeps its Devres<KBox<u64>> in a static past the unbind, whose
# devres action drops the box. The next binding's probe calls
# old.access(dev): the device check passes (it is the same device, bound
# again), and the reference it returns is to the dropped box, whose read
# KASAN reports in one attempt. Open upstream: Documentation/bugs.rst.
# drvsim's SetDevres checks its set's revocation and gives ENXIO
# (tests/faulty_probe.sh, stale_set).
# control-samples: drvsim_faulty
# control-expect: kasan: .*BUG: KASAN: (slab-)?use-after-free
. /drvsim/lib/drvsim.sh
printf 'd0 stale_devres' > "$FAULTY/probe_mode"
printf 'd0 type=faulty' > "$BUS/new_device"
printf 'd0' > "$FAULTY/unbind"
printf 'd0' > "$FAULTY/bind"
