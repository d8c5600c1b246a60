#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The transitive case of the locked-match thread (Danilo Krummrich): with
# 7.0-rc1's locked match, a probe on bus A that registers a driver for
# bus B takes a B device's lock under the A device's, and a probe on bus B
# that registers a driver for bus A takes the A device's lock under the B
# device's. drvsim_transitive's broken pattern
# (legacy_register_from_probe=1) does both halves in two binds, so nothing
# deadlocks for real; with per-device lock classes lockdep must report the
# cycle (Uwe's stm32mp135f/SCMI report, where scmi_optee_service_probe()
# registers a platform driver).
# control-params: lockdep_device_class=1 match_takes_device_lock=1
# control-samples: drvsim_sample drvsim_faulty
# control-expect: lockdep: .*possible circular locking dependency
. /drvsim/lib/drvsim.sh
insmod $MODULES/drvsim_transitive.ko legacy_register_from_probe=1
B=$BUS1/drivers/drvsim_transitive_b
echo "ta0-b type=transitive-b" > $BUS1/new_device
# ta0's probe registers drvsim_transitive_b: its match locks ta0-b under
# ta0's lock, and binds ta0-b (nested: no registration there).
echo "ta0 type=transitive-a" > $BUS/new_device
# ta0-b's next probe registers drvsim_transitive_a2: its match locks ta0
# under ta0-b's lock.
echo ta0-b > $B/unbind
echo ta0-b > $B/bind
echo "drivers: $(ls $BUS/drivers $BUS1/drivers | tr '\n' ' ')"
