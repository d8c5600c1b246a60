#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# drvsim.ko's own lifetime: a module init that fails after any of its
# steps (fail_init_step, Documentation/sysfs.rst) reaches insmod as ENOMEM
# and leaves nothing behind (no debugfs knobs pointing at freed statics, no
# root device, no bus); a load after that works. An open debugfs file of
# drvsim's (a pause point) pins drvsim.ko: rmmod is refused (the module
# is in use) until it is closed, instead of freeing the module under the open file
# (whose close then read the freed file_operations).
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 13
reset_bus

leftovers() {
	ls -d /sys/kernel/debug/drvsim /sys/devices/drvsim /sys/bus/drvsim /sys/bus/drvsim1 2>/dev/null
}

unload_drvsim
for step in 1 2 3 4; do
	expect_eq ENOMEM "$($BIN/load-module $MODULES/drvsim.ko "fail_init_step=$step")" \
		"init failing after step $step: ENOMEM"
	expect_eq "" "$(leftovers)" "init failing after step $step leaves nothing behind"
done
ktap_test_result "drvsim and the samples load again" load_drvsim $DRVSIM_PARAMS
expect_errno 0 "$BUS/new_device" "m0" "the bus works after the failed loads"
reset_bus

for m in $SAMPLES; do rmmod "$m"; done
exec 3< /sys/kernel/debug/drvsim/pause/remove
if rmmod drvsim 2> /dev/null; then r=unloaded; else r=refused; fi
expect_eq refused $r "rmmod drvsim is refused while a pause file is open"
ktap_test_result "drvsim is still loaded" test -d /sys/module/drvsim
exec 3<&-
unload_and_load() { rmmod drvsim && load_drvsim "$@"; }
ktap_test_result "with the file closed, drvsim unloads and loads again" unload_and_load $DRVSIM_PARAMS
ktap_finished
