#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Device links between drvsim devices (the bus's `link` attribute, which
# calls device_link_add()), and the rules the driver core keeps for them:
# - a managed link keeps the consumer from probing until the supplier is
#   bound, and autoprobe_consumer probes it once the supplier binds;
# - unbinding the supplier unbinds the consumer first
#   (device_links_busy/device_links_unbind_consumers in
#   __device_release_driver);
# - a consumer's link is updated only after its unbind has released its
#   resources (devres): until then it is "active", and an unbind of the
#   supplier waits (2e84dc379200, "driver core: Release all resources
#   during unbind before updating device links");
# - autoremove links go with the unbind, every link with its device, and
#   every device is released (debugfs `live`); the log scan covers
#   WARN_ONs of the link state machine and kmemleak.
# The devices have a region each, and a test holds the consumer's file
# open (which keeps its regions' DevresSet members), so that
# drvsim_sample's unbind stops at the `revoke` pause point inside the
# device's devres release.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 34
reset_bus
W=$BIN/sysfs-write
S=$BUS/drivers/drvsim_sample
DL=/sys/class/devlink
# status SUPPLIER CONSUMER: the link's status, or "none" without a link.
status() { cat "$DL/drvsim:$1--drvsim:$2/status" 2>/dev/null || echo none; }
unbind() { for d in "$@"; do printf '%s' "$d" > "$S/unbind"; done; }

# 1. The interface's errnos.
new_with_region s0 c0
expect_errno ENOENT "$BUS/link" "c0 nodev" "link to a device that does not exist: ENOENT"
expect_errno EINVAL "$BUS/link" "c0 c0" "a link from a device to itself: EINVAL"
expect_errno EINVAL "$BUS/link" "c0 s0 pm_runtime" "an unknown flag: EINVAL"
expect_errno EINVAL "$BUS/link" "c0 s0 stateless autoremove_consumer" \
	"stateless with a managed flag: EINVAL"
expect_errno EINVAL "$BUS/link" "c0 s0 autoprobe_consumer autoremove_supplier" \
	"autoprobe_consumer with autoremove: EINVAL"
expect_eq none "$(status s0 c0)" "a refused write adds no link"

# 2. Binding order: the consumer cannot probe before its supplier.
unbind c0 s0
expect_errno 0 "$BUS/link" "c0 s0" "a managed link between two unbound devices"
expect_eq dormant "$(status s0 c0)" "its status is dormant"
expect_errno EINVAL "$BUS/link" "s0 c0" "the reverse link (a cycle): EINVAL"
expect_errno EAGAIN "$S/bind" c0 "bind of the consumer before its supplier: EAGAIN (probe deferred)"
# A probe through drivers_probe defers too, and puts the consumer on the
# deferred list. (It also frees the deferral reason that the bind left:
# the driver core frees it only from that list, and a device removed with
# one leaks it; kmemleak reports it.)
expect_eq "EINVAL none" "$(errno_of "$BUS/drivers_probe" c0) $(driver_of c0)" \
	"drivers_probe of the consumer: deferred (EINVAL, drivers_probe's errno for any probe error)"
printf s0 > "$S/bind"
ktap_test_result "binding the supplier probes the deferred consumer" wait_until 10 bound c0
expect_eq active "$(status s0 c0)" "both bound: the link is active"

# 3. Unbinding the supplier unbinds the consumer first: held inside the
#    consumer's unbind, the supplier is still bound.
wait_until 5 test -c /dev/drvsim-c0
exec 4<> /dev/drvsim-c0
pause_arm revoke
$W "$S/unbind" s0 > /tmp/dl-unbind.out &
w=$!
ktap_test_result "the supplier's unbind reaches an unbind (held at revoke)" pause_wait_held revoke 10
ktap_test_result "it is the consumer's, from device_links_unbind_consumers" waits_in $w device_links_unbind_consumers
expect_eq drvsim_sample "$(driver_of s0)" "the supplier is still bound meanwhile"
pause_release revoke
wait $w
exec 4>&-
expect_eq "0 none none dormant" "$(cat /tmp/dl-unbind.out) $(driver_of s0) $(driver_of c0) $(status s0 c0)" \
	"then both are unbound and the link dormant"

# 4. autoprobe_consumer: binding the supplier probes the consumer.
new_with_region s1 c1
unbind c1 s1
expect_errno 0 "$BUS/link" "c1 s1 autoprobe_consumer" "an autoprobe_consumer link"
printf s1 > "$S/bind"
ktap_test_result "binding the supplier probes and binds the consumer" wait_until 10 bound c1

# 5. The consumer's link is updated only after its unbind released its
#    resources: held in the consumer's devres release, the link is still
#    active and an unbind of the supplier waits for the consumer.
new_with_region s2 c2
expect_errno 0 "$BUS/link" "c2 s2" "a managed link between two bound devices"
wait_until 5 test -c /dev/drvsim-c2
exec 4<> /dev/drvsim-c2
pause_arm revoke
$W "$S/unbind" c2 > /tmp/dl-c2.out &
wc=$!
ktap_test_result "the consumer's unbind is held in its devres release" pause_wait_held revoke 10
expect_eq active "$(status s2 c2)" "the link is still active while the consumer releases its resources"
$W "$S/unbind" s2 > /tmp/dl-s2.out &
ws=$!
waits() { finished $ws || in_kernel $ws device_links_unbind_consumers; }
wait_until 10 waits
ktap_test_result "the supplier's unbind waits for the consumer's" waits_in $ws device_links_unbind_consumers
expect_eq drvsim_sample "$(driver_of s2)" "the supplier stays bound meanwhile"
pause_release revoke
wait $wc $ws
exec 4>&-
expect_eq "0 0 none none dormant" \
	"$(cat /tmp/dl-c2.out) $(cat /tmp/dl-s2.out) $(driver_of c2) $(driver_of s2) $(status s2 c2)" \
	"then both unbind and the link is dormant"

# 6. Autoremove and stateless links.
# (Not autoremove_supplier: 7.3's device_links_driver_cleanup() writes the
# link's status after dropping it, while the link's release work may
# already have freed it, a use-after-free KASAN reported once in the
# runner's control run; Documentation/bugs.rst, row 12.)
new_with_region s3 c3
expect_errno 0 "$BUS/link" "c3 s3 autoremove_consumer" "an autoremove_consumer link"
unbind c3
expect_eq none "$(status s3 c3)" "it goes when its consumer's driver unbinds"
printf c3 > "$S/bind"
expect_errno 0 "$BUS/link" "c3 s3 stateless" "a stateless link"
expect_eq "not tracked" "$(status s3 c3)" "its status is not tracked"
unbind s3
expect_eq drvsim_sample "$(driver_of c3)" "unbinding its supplier leaves the consumer bound"

# 7. Removing devices with links: the supplier's removal unbinds its
#    consumer first and purges the link; everything is released.
new_with_region s5 c5
expect_errno 0 "$BUS/link" "c5 s5" "a managed link between two bound devices"
printf s5 > "$BUS/del_device"
expect_eq "none none" "$(driver_of c5) $(status s5 c5)" \
	"removing the supplier unbinds the consumer and removes the link"
reset_bus
expect_eq "" "$(ls $DL | grep drvsim)" "removing the devices removes every link"
ktap_test_result "every device is released (debugfs live back to 1)" wait_until 10 released
ktap_finished
