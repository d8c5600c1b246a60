#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Rules the driver core promises, checked on drvsim devices, each in one
# attempt (pause points, state checks): asynchronous probing, uevent reads
# racing probe and unbind, bind of a deferring device, and binds, new_id
# and driver loads in device_add()'s and device_del()'s windows.
# Documentation/testing.rst lists the cases and the kernel bugs they catch.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 42
reset_bus
M=$FAULTY/probe_mode
S=$BUS/drivers/drvsim_sample
FS=/sys/kernel/debug/failslab

# probes DEV: how many times drvsim_faulty's probe ran for DEV.
probes() {
	dmesg | grep -c " $1: drvsim_faulty: probe\$"
}

# bound_to DEV DRIVER: is DEV bound to DRIVER?
bound_to() {
	[ "$(driver_of "$1")" = "$2" ]
}

# uevent_of DEV: DEV's uevent file, read in the background into
# /tmp/DEV.uevent; sets $r to the reader's pid.
uevent_of() {
	cat "$BUS/devices/$1/uevent" > "/tmp/$1.uevent" &
	r=$!
}

# 1. Bind of a device whose probe defers: the write fails with EAGAIN
#    (device_driver_attach()), not 517 (EPROBE_DEFER leaking out), and the
#    device stays unbound. Bind of a bound device: EBUSY (bind_store()
#    leaves that check to __driver_probe_device()).
printf 'd0 defer' > "$M"
printf 'd0 type=faulty' > "$BUS/new_device"
expect_errno EAGAIN "$FAULTY/bind" d0 "bind of a device whose probe defers: EAGAIN"
expect_eq none "$(driver_of d0)" "the deferring device stays unbound"
printf 'd0 ok' > "$M"
printf d0 > "$FAULTY/bind"
expect_errno EBUSY "$FAULTY/bind" d0 "bind of a bound device: EBUSY (the core checks dev->driver)"
reset_bus

# 2. uevent reads never wait for the device lock: not behind a probe that
#    holds it, not behind an unbind. DRIVER= is there once bound, gone
#    once unbound.
printf 'u0 regions=1' > "$BUS/new_device"
expect_eq "DRIVER=drvsim_sample" "$(grep '^DRIVER=' "$BUS/devices/u0/uevent")" \
	"uevent of a bound device: DRIVER=<its driver>"
printf 'u1 block' > "$M"
$BIN/sysfs-write "$BUS/new_device" "u1 type=faulty" > /tmp/u1.out &
w=$!
ktap_test_result "u1's probe blocks, holding its device lock" \
	wait_until 60 in_kernel $w '\[drvsim_faulty\]'
uevent_of u1
ktap_test_result "a uevent read returns while the device's probe holds its lock" \
	wait_until 10 finished $r
expect_eq "MODALIAS=drvsim:faulty" "$(grep '^MODALIAS=' /tmp/u1.uevent)" \
	"that read has the device's variables"
printf u1 > "$FAULTY/release"
wait $w
expect_eq "0 DRIVER=drvsim_faulty" "$(cat /tmp/u1.out) $(grep '^DRIVER=' "$BUS/devices/u1/uevent")" \
	"the released probe binds; uevent: DRIVER=drvsim_faulty"
# An unbind held in the middle: in the revocation of the sample's
# regions, which an open file of the device keeps in use.
wait_until 5 test -c /dev/drvsim-u0
exec 3<> /dev/drvsim-u0
pause_arm revoke
$BIN/sysfs-write "$S/unbind" u0 > /tmp/u0.out &
w=$!
ktap_test_result "u0's unbind is held in the revocation of its regions" pause_wait_held revoke 10
uevent_of u0
ktap_test_result "a uevent read returns while the device unbinds" wait_until 10 finished $r
pause_release revoke
wait $w
exec 3>&-
expect_eq "0 0" "$(cat /tmp/u0.out) $(grep -c '^DRIVER=' "$BUS/devices/u0/uevent")" \
	"once unbound, uevent has no DRIVER= line"
# Reads racing unbind, bind and the driver's unload: every read completes
# (KCSAN, on its flavour, watches dev_driver_uevent()'s read of
# dev->driver). The reader uses the shell's own read: no fork per read.
(
	while [ ! -e /tmp/rules.stop ]; do
		while read -r l; do :; done < "$BUS/devices/u1/uevent"
		while read -r l; do :; done < "$BUS/devices/u0/uevent"
	done
) 2> /dev/null &
reader=$!
for i in 1 2 3; do
	printf u1 > "$FAULTY/unbind"
	printf u1 > "$FAULTY/bind"
	rmmod drvsim_faulty
	insmod $MODULES/drvsim_faulty.ko
	printf u0 > "$S/bind"
	printf u0 > "$S/unbind"
done
touch /tmp/rules.stop
ktap_test_result "uevent reads racing unbind, bind and rmmod all complete" wait_until 20 finished $reader
rm -f /tmp/rules.stop
expect_eq "drvsim_faulty none" "$(driver_of u1) $(driver_of u0)" \
	"after the race: u1 bound (at the driver's load), u0 unbound"
reset_bus

# 3. Asynchronous probing: drvsim_faulty loaded with the driver core's
#    async_probe module parameter.
rmmod drvsim_faulty
printf 'a0 type=faulty' > "$BUS/new_device"
insmod $MODULES/drvsim_faulty.ko async_probe=1
ktap_test_result "async: an existing device binds after the driver's load" \
	wait_until 30 bound_to a0 drvsim_faulty
printf 'a1 type=faulty' > "$BUS/new_device"
expect_eq drvsim_faulty "$(driver_of a1)" "async: new_device binds"
# new_id starts an asynchronous probe, held at the probe point with the
# device lock: new_id returns meanwhile, and an unbind waits for the lock.
printf 'a2 type=other' > "$BUS/new_device"
pause_arm probe
$BIN/sysfs-write "$FAULTY/new_id" other > /tmp/a2.out &
w=$!
ktap_test_result "async: new_id's probe is held at the probe point" pause_wait_held probe 10
expect_eq "0 yes" "$(wait_until 10 finished $w; cat /tmp/a2.out) $([ "$(pause_state probe)" != "held $w" ] && echo yes)" \
	"async: new_id returns while the probe it started runs in another task"
$BIN/sysfs-write "$FAULTY/unbind" a2 > /tmp/a2u.out &
u=$!
ktap_test_result "async: an unbind during the probe waits for the device lock" waits_in $u device_release_driver_internal
pause_release probe
wait $u
expect_eq "0 none" "$(cat /tmp/a2u.out) $(driver_of a2)" \
	"async: the unbind completes after the probe; the device is unbound"
# The driver's unload waits for an asynchronous probe in flight
# (driver_detach()). (Not with an unbind waiting too: the unload's removal
# of the unbind attribute would wait for that writer.)
printf 'a3 type=other2' > "$BUS/new_device"
pause_arm probe
printf other2 > "$FAULTY/new_id"
pause_wait_held probe 10
rmmod drvsim_faulty &
m=$!
ktap_test_result "async: rmmod during the probe waits for it (driver_detach)" \
	wait_until 10 in_kernel $m driver_detach
pause_release probe
wait $m
expect_eq "0 none none" "$? $(driver_of a3) $(loaded drvsim_faulty && echo yes || echo none)" \
	"async: rmmod completes; the device is unbound, the driver gone"
# When async_schedule_dev() cannot allocate its entry it runs the probe
# right away, in the new_id writer (who must not hold the device lock
# then). failslab's defaults count only allocations that cannot sleep:
# the entry's is the write's first.
insmod $MODULES/drvsim_faulty.ko async_probe=1
reset_bus
printf 'a3 type=late' > "$BUS/new_device"
verbose=$(cat $FS/verbose)
echo 0 > $FS/verbose
FAIL_NTH=1 $BIN/sysfs-write "$FAULTY/new_id" late > /tmp/a3.out &
w=$!
wait_until 20 finished $w
expect_eq "0 injected drvsim_faulty" "$(cat /tmp/a3.out) $(driver_of a3)" \
	"async: new_id binds at once when the async entry's allocation fails"
# The same for a device's own probe: e.g. a5, matchable while added
# (early_probe), whose device_add() schedules the asynchronous probe
# (__device_attach()). 7.3 allocates that entry with GFP_KERNEL, unlocked,
# and probes synchronously if it fails; the writer's first allocation
# that cannot sleep after the add uevent is failed all the same, which
# new_device must survive (on 7.3 it usually reaches none: "missed").
pause_arm uevent_add
FAIL_NTH=0 $BIN/sysfs-write "$BUS/new_device" "a5 type=faulty early_probe=1" > /tmp/a5.out &
w=$!
pause_wait_held uevent_add 10
echo 1 > /proc/$w/fail-nth
pause_release uevent_add
wait_until 20 finished $w
ktap_print_msg "a5's new_device: $(cat /tmp/a5.out)"
ktap_test_result "async: a5 binds, the add's first non-sleeping allocation failed" \
	wait_until 10 bound_to a5 drvsim_faulty
expect_eq 0 "$(cut -d' ' -f1 /tmp/a5.out)" "async: and its new_device succeeds"
echo "$verbose" > $FS/verbose
rmmod drvsim_faulty
insmod $MODULES/drvsim_faulty.ko
reset_bus

# 4. device_add()'s window: e0 is on the bus and matchable (early_probe),
#    held in its KOBJ_ADD uevent, before device_add() lets it probe. A
#    driver load and a bind meanwhile do not bind it (bind: EAGAIN);
#    device_add()'s own probe then binds it, once.
rmmod drvsim_faulty
pause_arm uevent_add
$BIN/sysfs-write "$BUS/new_device" "e0 type=faulty early_probe=1" > /tmp/e0.out &
w=$!
ktap_test_result "e0 is held in device_add()'s add uevent" pause_wait_held uevent_add 10
ktap_test_result "a driver load during device_add()'s window succeeds" \
	insmod $MODULES/drvsim_faulty.ko
expect_eq none "$(driver_of e0)" "the driver load does not bind a device device_add() is adding"
expect_errno EAGAIN "$FAULTY/bind" e0 "bind during device_add()'s window: EAGAIN"
expect_eq "none 0" "$(driver_of e0) $(probes e0)" "nothing probed e0 during device_add()'s window"
pause_arm probe
pause_release uevent_add
ktap_test_result "device_add()'s own probe reaches the probe point" pause_wait_held probe 10
expect_eq "held $w yes" "$(pause_state probe) $(in_kernel $w device_add && echo yes)" \
	"the probe is the new_device writer's, inside device_add()"
pause_release probe
wait $w
expect_eq "0 drvsim_faulty 1" "$(cat /tmp/e0.out) $(driver_of e0) $(probes e0)" \
	"e0 ends bound by device_add()'s probe, probed once"
# The same with new_id: e1's type is one new_id adds during the window.
pause_arm uevent_add
$BIN/sysfs-write "$BUS/new_device" "e1 type=early2 early_probe=1" > /tmp/e1.out &
w=$!
pause_wait_held uevent_add 10
expect_errno 0 "$FAULTY/new_id" early2 "new_id of the type of a device in device_add()'s window"
expect_eq none "$(driver_of e1)" "new_id does not bind a device device_add() is adding"
pause_release uevent_add
wait $w
expect_eq "0 drvsim_faulty 1" "$(cat /tmp/e1.out) $(driver_of e1) $(probes e1)" \
	"e1 ends bound by device_add()'s probe, probed once"
# 7.3 leaks the deferral reason that __driver_probe_device() records for
# a device not ready to probe ("Device not ready to probe"): only a device
# on the deferred-probe list gets it freed (driver_deferred_probe_del()),
# and one not ready is never put there (Documentation/testing.rst). So
# e0 and e1 go on that list before their removal: unbound, a probe that
# defers through drivers_probe (driver_probe_device() lists the device;
# a bind would not), and the removal frees the reason.
for d in e0 e1; do
	printf $d > "$FAULTY/unbind"
	printf "$d defer" > "$M"
	errno_of "$BUS/drivers_probe" $d > /dev/null
	printf "$d ok" > "$M"
done
# Listed, or bound by a deferred-probe retry meanwhile (which frees the
# reason as well).
unfreed=""
for d in e0 e1; do
	grep -q "^$d[[:space:]]" /sys/kernel/debug/devices_deferred || bound_to $d drvsim_faulty || unfreed="$unfreed $d"
done
expect_eq "" "$unfreed" "e0 and e1 are on the deferred list (so their removal frees the leaked reason)"
reset_bus

# 5. device_del()'s window: a bind that matched k0 before its removal
#    began, let go once device_del() has killed the device (held in its
#    KOBJ_REMOVE uevent, still registered): ENODEV, and the driver core
#    must not call probe (drvsim logs it if it does).
printf 'k0' > "$BUS/new_device"
printf k0 > "$S/unbind"
pause_arm match
$BIN/sysfs-write "$S/bind" k0 > /tmp/k0.out &
b=$!
ktap_test_result "a bind of k0 is held in match" pause_wait_held match 10
pause_arm uevent_remove
$BIN/sysfs-write "$BUS/del_device" k0 > /tmp/k0d.out &
d=$!
ktap_test_result "k0's removal is held in device_del()'s remove uevent" \
	pause_wait_held uevent_remove 10
pause_release match
wait $b
expect_eq ENODEV "$(cat /tmp/k0.out)" "a bind racing device_del(): ENODEV"
expect_eq 0 "$(dmesg | grep -c 'k0: drvsim: probe of a device device_del() killed')" \
	"the driver core does not probe a device device_del() killed"
pause_release uevent_remove
wait $d
expect_eq "0 none" "$(cat /tmp/k0d.out) $(ls "$BUS/devices" | grep -c '^k0$' | sed 's/^0$/none/')" \
	"the removal completes"
expect_eq "idle idle idle" "$(pause_state uevent_add) $(pause_state uevent_remove) $(pause_state probe)" \
	"the points are idle"
reset_bus
ktap_finished
