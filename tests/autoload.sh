#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Driver autoload through MODALIAS, as on a real system: every drvsim
# driver module declares its id table's types as module aliases
# (drvsim:<type>, like MODULE_DEVICE_TABLE for PCI), depmod writes them to
# modules.alias, and the loader (autoload_on: udev, or mdev in drvsim's
# busybox guest) loads the module of each new device's MODALIAS.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
A=/lib/modules/$(uname -r)/modules.alias
# The modules installed with depmod's aliases, and a loader: drvsim's
# guest sets them up (guest-init.sh), and so does a virtme-ng guest
# (scripts/vng.sh, the host's systemd-udevd), whose DRVSIM_LOADER=udev
# makes a missing one a failure. Elsewhere (the package on another
# machine) there may be nothing of the kind to test.
LOADER=$(autoload_loader)
if [ -n "${DRVSIM_LOADER:-}" ] && [ "$LOADER" != "$DRVSIM_LOADER" ]; then
	ktap_exit_fail_msg "the loader must be $DRVSIM_LOADER here, found '${LOADER:-none}'"
fi
if ! grep -q ' drvsim:sample ' "$A" 2> /dev/null || [ -z "$LOADER" ]; then
	ktap_skip_all "needs drvsim's modules in modules.alias and udev (or busybox's uevent and mdev)"
	exit "$KSFT_SKIP"
fi
ktap_print_msg "loader: $LOADER"
ktap_set_plan 12
reset_bus

aliases() {
	modinfo -F alias "$MODULES/$1.ko" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect_eq "drvsim:sample drvsim:sample-vf" "$(aliases drvsim_sample)" \
	"modinfo drvsim_sample: an alias for each type of its id table"
expect_eq "" "$(aliases drvsim)" "drvsim.ko itself declares none"
expect_eq "drvsim_sample" "$(sed -n 's/^alias drvsim:sample //p' "$A")" "depmod: modules.alias maps drvsim:sample"
expect_eq 0 "$(grep -c ' drvsim:other ' "$A")" "a type only new_id adds has no alias"

rmmod drvsim_sample
modprobe drvsim:sample
ktap_test_result "modprobe drvsim:sample loads drvsim_sample" loaded drvsim_sample

# With the sample unloaded and the loader running, a new device pulls its
# driver in. new_device returns before the loader has loaded the module,
# so the binding is waited for.
rmmod drvsim_sample
autoload_on
printf 'al0 type=sample' > "$BUS/new_device"
ktap_test_result "new_device of type sample loads drvsim_sample" wait_until 20 loaded drvsim_sample
ktap_test_result "and the device binds" wait_until 20 bound al0

# A type no module claims loads nothing. mdev handles uevents in order,
# so once a later device's driver (drvsim_bench) is in, the first event
# was handled; udev handles unrelated devices' events in parallel: its
# queue must be empty (udevadm settle).
modules() {
	cut -d' ' -f1 /proc/modules | grep -vx drvsim_bench | sort | tr '\n' ' '
}
before=$(modules)
printf 'al1 type=nobody' > "$BUS/new_device"
printf 'al2 type=bench' > "$BUS/new_device"
ktap_test_result "a later device's driver loads" wait_until 20 loaded drvsim_bench
[ "$LOADER" != udev ] || udevadm settle --timeout=20
expect_eq "$before none" "$(modules) $(driver_of al1)" \
	"a type no module claims loads nothing; its device stays unbound"
if [ "$LOADER" = udev ]; then
	# The autoload path, for the log: which rule ran what, and its outcome.
	ktap_print_msg "udevd $(cat /tmp/udevd.pid) ($(udevd_bin)), its log on al0-al2:"
	grep -E "^al[0-2]: .*(RUN|kmod)|^(Loading|Inserted|Failed to find) module" /tmp/udevd.log |
		while read -r l; do ktap_print_msg "  $l"; done
else
	ktap_print_msg "aliases mdev got: $(tr '\n' ',' < /tmp/modalias.log)"
fi
ktap_test_result "the loader asked for drvsim:nobody" autoload_asked drvsim:nobody

# VFs: their uevents carry their own type's alias.
printf 'al3 type=sample totalvfs=2' > "$BUS/new_device"
printf 2 > "$BUS/devices/al3/sriov_numvfs"
ktap_test_result "a VF's uevent asks for drvsim:sample-vf" \
	wait_until 20 autoload_asked drvsim:sample-vf
expect_eq "drvsim_sample drvsim_sample" "$(driver_of al3-vf0) $(driver_of al3-vf1)" "the VFs are bound"
autoload_off
reset_bus
rmmod drvsim_bench
ktap_finished
