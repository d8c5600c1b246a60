#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The cdev layer without the zap (drvsim_cdev legacy_cdev_no_zap=1,
# Documentation/bugs.rst): unbind drains the operations in flight and
# frees the register page, which a process still maps. The page is mapped
# as drivers map MMIO, with remap_pfn_range() (VM_PFNMAP), so it holds no
# reference of the mapping: it goes back to the page allocator while a
# page table still points to it, and the process would read and write
# whatever the page is reused for. Booted with page_table_check=on
# (CONFIG_PAGE_TABLE_CHECK), the kernel counts every user page-table
# entry of each page and BUG()s at the free of a page still mapped
# (page_table_check_free(), __page_table_check_zero()): the oops kills
# the unbind writer, which holds the device lock, so the guest reboots
# without device_shutdown() (/tmp/reboot-without-shutdown).
# tests/cdev_layer.sh shows the fixed layer's zap: SIGBUS.
# control-cmdline: page_table_check=on
# control-expect: oops: .*kernel BUG at mm/page_table_check.c
. /drvsim/lib/drvsim.sh
insmod /drvsim/modules/drvsim_cdev.ko legacy_cdev_no_zap=1
printf 'c0 type=cdev' > "$BUS/new_device"
wait_until 5 test -c /dev/drvsim-cdev-c0
mkfifo /tmp/go
exec 4<> /tmp/go
$BIN/cdevfile mmap /dev/drvsim-cdev-c0 <&4 > /tmp/mmap &
m=$!
wait_until 10 test -s /tmp/mmap
touch /tmp/reboot-without-shutdown
printf c0 > "$BUS/drivers/drvsim_cdev/unbind" &
wait $!
# What the process reads through the stale mapping (if it gets here).
echo >&4
echo q >&4
wait $m
cat /tmp/mmap
