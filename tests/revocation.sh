#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Device resources held through revocable wrappers, seen from user space
# through drvsim_sample's /dev/drvsim-<name>: registers work while bound;
# after unbind every call on a file that is still open returns ENXIO. The
# hazards from the revocable thread: a descriptor shared by threads that
# hammer it across unbind and close; unbind while a reader sleeps inside an
# access; rmmod with files open. The suite's log scan shows that KASAN,
# kmemleak and the hung-task detector stay silent; the positive control
# (tests/controls/memory_and_hung_task.sh) turns the
# broken designs on and shows the splats.
. "$(dirname "$0")/lib/drvsim.sh"
R=$BIN/regfile
SAMPLE=$BUS/drivers/drvsim_sample
# hammer_across_unbind DEV WRAPPER: four threads share one file of DEV and
# read through it for 3 s; DEV is unbound after 1 s, and the file closed
# under the threads at the end. Two cases.
hammer_across_unbind() {
	local h rc
	$R hammer "/dev/drvsim-$1" 4 3000 > /tmp/hammer 2>&1 &
	h=$!
	sleep 1
	printf '%s' "$1" > "$SAMPLE/unbind"
	wait $h
	rc=$?
	ktap_print_msg "hammer ($2): $(cat /tmp/hammer)"
	ktap_test_result "$2: hammering threads get no wrong value and no errno but ENXIO/EBADF" test $rc = 0
	grep -q 'ok=[1-9].* enxio=[1-9]' /tmp/hammer
	ktap_test_result "$2: hammering threads saw the registers, then ENXIO" test $? = 0
}

ktap_print_header
ktap_set_plan 30
reset_bus

printf 'rv0 type=sample regions=4' > "$BUS/new_device"
ktap_test_result "bound device has /dev/drvsim-rv0" wait_until 5 test -c /dev/drvsim-rv0
expect_eq 0xd5150002 "$($R read /dev/drvsim-rv0 2 0)" "ioctl READ32 of region 2's ID register"
$R pwrite /dev/drvsim-rv0 260 0x1234 > /dev/null
expect_eq 0x00001234 "$($R read /dev/drvsim-rv0 1 4)" "write(2) at 260 reaches region 1's scratch register"
expect_eq "0xd5150000 0x00000000 0x00000001" "$($R pread /dev/drvsim-rv0 0 3)" "read(2) of ID, scratch and counter"
expect_eq EPERM "$($R write /dev/drvsim-rv0 0 0 1)" "writing the ID register: EPERM"
expect_eq EINVAL "$($R read /dev/drvsim-rv0 0 2)" "unaligned offset: EINVAL"
expect_eq EINVAL "$($R read /dev/drvsim-rv0 4 0)" "no such region: EINVAL"
expect_eq EINVAL "$($R pread /dev/drvsim-rv0 2 1)" "unaligned read(2): EINVAL"

# One descriptor kept open by this shell across unbind, and one shared by
# four threads that hammer it while the device is unbound under them.
exec 3<> /dev/drvsim-rv0
hammer_across_unbind rv0 "DevresSet"
expect_eq ENXIO "$($R read @3 0 0)" "after unbind: ioctl on an open file gives ENXIO"
expect_eq ENXIO "$($R pread @3 0 1)" "after unbind: read(2) gives ENXIO"
expect_eq ENXIO "$($R pwrite @3 4 1)" "after unbind: write(2) gives ENXIO"
ktap_test_result "after unbind: /dev/drvsim-rv0 is gone" test ! -e /dev/drvsim-rv0
printf rv0 > "$BUS/del_device"
sleep 0.2
expect_eq ENXIO "$($R read @3 0 0)" "after del_device: the open file still gives ENXIO"
exec 3>&-

# A reader sleeping inside a (sleepable) access: unbind wakes it, waits
# for it to leave, and finishes; nobody sleeps for the minute it asked for.
printf 'rv1 type=sample regions=1' > "$BUS/new_device"
wait_until 5 test -c /dev/drvsim-rv1
$R hold /dev/drvsim-rv1 60000 > /tmp/hold &
h=$!
# Inside the access once the reader sleeps in drvsim_sample's code.
ktap_test_result "a reader sleeps inside an access" wait_until 60 in_kernel $h '\[drvsim_sample\]'
ns=$($BIN/timed-write "$SAMPLE/unbind" rv1)
ktap_print_msg "unbind with a sleeping reader took $((ns / 1000000)) ms"
ktap_test_result "unbind with a sleeping reader finishes within 5 s" test "$ns" -lt 5000000000
wait_until 5 finished $h
ktap_test_result "the sleeping reader was woken" test $? = 0
wait $h
expect_eq ENXIO "$(cat /tmp/hold)" "the woken reader's access ended with ENXIO"

# rmmod with a file open: the file pins the module's code (fops.owner), so
# rmmod is refused while the device keeps working; once closed, rmmod works.
printf 'rv2 type=sample regions=1' > "$BUS/new_device"
wait_until 5 test -c /dev/drvsim-rv2
exec 4<> /dev/drvsim-rv2
rmmod drvsim_sample 2> /dev/null
ktap_test_result "rmmod with a file open is refused" test $? != 0
expect_eq 0xd5150000 "$($R read @4 0 0)" "the open file still works after the refused rmmod"
printf rv2 > "$SAMPLE/unbind"
expect_eq ENXIO "$($R read @4 0 0)" "after unbind: ENXIO"
exec 4>&-
rmmod drvsim_sample
ktap_test_result "after close, rmmod succeeds" test $? = 0

# The other resource models (Documentation/resources.rst): one kernel
# Devres per region, and 'bound' regions in the driver data (the files
# still go through a DevresSet). Each binds, serves its file, and
# survives the hammer across unbind; an unknown model fails the load.
for m in devres bound; do
	insmod $MODULES/drvsim_sample.ko resource_model=$m
	printf 'rv3 type=sample regions=8' > "$BUS/new_device"
	wait_until 5 test -c /dev/drvsim-rv3
	$R write /dev/drvsim-rv3 7 4 0x1234 > /dev/null
	before=$($R read /dev/drvsim-rv3 7 4)
	printf rv3 > "$SAMPLE/unbind"
	printf rv3 > "$SAMPLE/bind"
	wait_until 5 test -c /dev/drvsim-rv3
	expect_eq "$m 0xd5150007 0x00001234 0x00000000" \
		"$(cat /sys/module/drvsim_sample/parameters/resource_model) $($R read /dev/drvsim-rv3 7 0) $before $($R read /dev/drvsim-rv3 7 4)" \
		"resource_model=$m: the file reaches the registers; the callbacks (unbind, probe) clear the scratch register through the model"
	hammer_across_unbind rv3 "resource_model=$m"
	printf rv3 > "$BUS/del_device"
	rmmod drvsim_sample
done
insmod $MODULES/drvsim_sample.ko resource_model=foo 2> /dev/null
ktap_test_result "resource_model=foo: the load fails" test $? != 0 -a ! -d /sys/module/drvsim_sample
insmod $MODULES/drvsim_sample.ko
reset_bus
ktap_finished
