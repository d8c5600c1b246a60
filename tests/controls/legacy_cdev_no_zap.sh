#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The cdev layer without the zap (drvsim_cdev legacy_cdev_no_zap=1,
# Documentation/bugs.rst row 23): unbind drains the operations in flight
# and frees the register page, which a process still maps. The page is
# mapped as drivers map MMIO, with remap_pfn_range(): a VM_PFNMAP mapping
# of special PTEs, which hold no page reference and which no kernel
# detector tracks (page_table_check skips special PTEs in 7.3, KASAN does
# not see user accesses). So the detector is tests/cdev_layer.sh's own
# assertion, "the mapping gives SIGBUS after unbind": this control runs
# the same sequence with the switch on and its cases check that the
# assertion fails, the stale mapping reading on after unbind. The value it
# reads is printed: memory the driver freed, already reused (two runs read
# 0xcccccccc, SLUB's red zone, and 0xd515cd0a, not the ID 0xd515cde0).
# It only reads: a write would corrupt whatever reuses the page. Nothing
# else must be reported: the kernel sees nothing, which is the point.
# control-only: 1
# control-cases: kselftest:legacy_cdev_no_zap
. /drvsim/lib/drvsim.sh
control_cases kselftest:legacy_cdev_no_zap
ktap_print_header
ktap_set_plan 2
insmod /drvsim/modules/drvsim_cdev.ko legacy_cdev_no_zap=1
printf 'c0 type=cdev' > "$BUS/new_device"
wait_until 5 test -c /dev/drvsim-cdev-c0
rm -f /tmp/go
mkfifo /tmp/go
exec 4<> /tmp/go
$BIN/cdevfile mmap /dev/drvsim-cdev-c0 <&4 > /tmp/mmap &
m=$!
wait_until 10 test -s /tmp/mmap
ktap_test_result "the mapping reads the ID while bound" grep -q '^0xd515cde0 ' /tmp/mmap
printf c0 > "$BUS/drivers/drvsim_cdev/unbind"
echo >&4
wait_until 10 lines_in /tmp/mmap 2
ktap_print_msg "read through the stale mapping after unbind: $(tail -n 1 /tmp/mmap)"
# cdev_layer.sh's assertion, which must fail here: a second line that is
# a value read (not SIGBUS, and not missing because the tool died).
stale_read() { lines_in /tmp/mmap 2 && tail -n 1 /tmp/mmap | grep -Eq '^0x[0-9a-f]{8}'; }
ktap_test_result "without the zap, no SIGBUS: the freed page is still mapped" stale_read
echo q >&4
exec 4>&-
wait $m
printf c0 > "$BUS/del_device"
rmmod drvsim_cdev
control_cases_done
