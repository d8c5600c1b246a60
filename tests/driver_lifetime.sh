#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A driver's lifetime is its registration (shared/seeds/get-driver-lifetime.txt).
# drvsim_pair registers drvsim_pair, whose new_id feeds its companion
# drvsim_pair_companion, before that companion, as usb-serial did:
# - new_id written between the two registrations fails with ENODEV
#   (usb-serial crashed there);
# - rmmod waits for a new_id attach that pinned the companion;
# - new_id, remove_id, bind and unbind race insmod/rmmod in a loop, and
#   no probe runs outside its driver's registration (the sample reports
#   one as a "BUG:" line, which the log scan would flag too).
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 17
reset_bus
M=$MODULES/drvsim_pair.ko
P=$BUS/drivers/drvsim_pair
C=$BUS/drivers/drvsim_pair_companion
W=$BIN/sysfs-write
violations() { dmesg | grep -c 'drvsim_pair: probe .* outside its registration'; }
now() { cut -d' ' -f1 /proc/uptime | tr -d .; } # centiseconds

for d in "c0 type=pair" "x0 type=pair-x" "f0 type=pair-front"; do
	printf '%s' "$d" > "$BUS/new_device"
done

# 1. usb-serial's window, held open for 1.5 s.
insmod $M window_ms=1500 &
ip=$!
wait_until 10 test -e "$P/new_id"
expect_errno ENODEV "$P/new_id" "pair-x" "new_id between the two registrations: ENODEV"
expect_errno ENODEV "$P/remove_id" "pair-x" "remove_id between the two registrations: ENODEV"
wait $ip
expect_eq "0 drvsim_pair_companion drvsim_pair" "$? $(driver_of c0) $(driver_of f0)" \
	"insmod completes and both drivers bind"
expect_errno 0 "$P/new_id" "pair-x" "new_id once both are registered"
expect_eq drvsim_pair_companion "$(driver_of x0)" "drvsim_pair's new_id binds through its companion"
expect_errno EEXIST "$P/new_id" "pair" "a type of the companion's table: EEXIST"
expect_errno 0 "$P/remove_id" "pair-x" "remove_id of the companion's dynamic id"
rmmod drvsim_pair

# 2. rmmod of a pinned driver waits: the companion's probe takes 1 s
#    inside a new_id attach that pinned it.
insmod $M probe_ms=1000
printf 'y0 type=pair-y' > "$BUS/new_device"
$W "$P/new_id" pair-y > /tmp/new_id.out &
wp=$!
# Pinned once the writer sleeps in the companion's probe.
ktap_test_result "the new_id attach is in the companion's probe" wait_until 60 in_kernel $wp '\[drvsim_pair\]'
t0=$(now)
rmmod drvsim_pair
t1=$(now)
wait $wp
expect_eq 0 "$(cat /tmp/new_id.out)" "the pinned new_id attach completes"
ktap_test_result "rmmod waited for it ($((t1 - t0))0 ms)" test $((t1 - t0)) -ge 50
expect_eq none "$(driver_of y0)" "the device is unbound after rmmod"

# 3. The race: new_id/remove_id and bind/unbind writers against a loop of
#    insmod/rmmod with slow and fast probes.
printf 'r0 type=pair' > "$BUS/new_device"
printf 'r1 type=pair-r' > "$BUS/new_device"
rm -f /tmp/stop
$BIN/write-loop /tmp/stop "$P/new_id" pair-r "$P/remove_id" pair-r > /tmp/writer.out &
w1=$!
$BIN/write-loop /tmp/stop "$C/unbind" r0 "$C/bind" r0 "$C/bind" r1 "$P/bind" f0 > /tmp/binder.out &
w2=$!
loads=0
for i in $(seq 1 ${LIFETIME_LOOPS:-6}); do
	insmod $M probe_ms=$((i % 3 * 20)) && loads=$((loads + 1))
	sleep 0.$((RANDOM % 3))
	rmmod drvsim_pair
done
touch /tmp/stop
wait $w1 $w2
expect_eq ${LIFETIME_LOOPS:-6} $loads "every insmod/rmmod of the loop succeeded"
ktap_print_msg "new_id/remove_id writes: $(cat /tmp/writer.out | tr '\n' ' ')"
ktap_print_msg "bind/unbind writes: $(cat /tmp/binder.out | tr '\n' ' ')"
hit() { grep -q '^0 ' /tmp/writer.out && grep -q '^0 ' /tmp/binder.out; }
refused() { grep -q -e '^ENODEV ' -e '^ENOENT ' /tmp/writer.out; }
ktap_test_result "the writers hit registered drivers" hit
ktap_test_result "and drivers that were not registered" refused
expect_eq 0 "$(violations)" "no probe ran outside its driver's registration"
expect_eq "none none none" "$(driver_of r0) $(driver_of r1) $(driver_of f0)" "the devices are left unbound"
ktap_test_result "no drvsim_pair driver is left" test ! -e "$P" -a ! -e "$C"
reset_bus
ktap_finished
