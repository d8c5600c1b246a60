#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Two positive controls in one guest (a boot is the expensive part):
#
# 1. For the splat scanner and lockdep itself: drvsim.ko takes two locks in
#    both orders at load; lockdep must report it.
# control-params: selftest_lockdep_abba=1
# control-expect: lockdep: .*possible circular locking dependency
#
# 2. drvsim_faulty's oops mode exists only behind allow_oops=1; with it, a
#    probe reads through a NULL pointer, which KASAN's shadow check of the
#    read turns into a general protection fault ("KASAN: null-ptr-deref";
#    arm64: a paging request at the shadow address, "Internal error:
#    Oops"). debug.config makes oopses panic, so this comes last, and the
#    scanner must report the oops and the panic. (oops_in_probe.sh turns
#    panic_on_oops off and looks at the machine after the oops.)
# control-expect: (oops|fault): .*(Oops: general protection fault|Internal error: Oops|Unable to handle kernel paging request)
# control-expect: panic: .*Kernel panic - not syncing
F=/sys/bus/drvsim/drivers/drvsim_faulty
rmmod drvsim_faulty
insmod /drvsim/modules/drvsim_faulty.ko allow_oops=1
echo "f0 oops" > $F/probe_mode
echo "f0 type=faulty" > /sys/bus/drvsim/new_device
