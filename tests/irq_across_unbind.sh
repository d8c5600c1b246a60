#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (the handler, work and timer touch atomics only; the race is a lifetime one, KASAN's)
# Interrupts, work and timers across unbind (drvsim_irq, Documentation/bugs.rst
# row 21), the default design: the handler is drvsim::irq's Registration
# (it gets &Device<Bound>), freed with the driver data; the work and the
# timer are cancelled when the data is dropped.
# 1. Each device has its own irq_sim line: irq names it, /proc/interrupts
#    shows the handler; fire_irq raises it once or in bursts, and every
#    raise is one handled interrupt; bad counts are EINVAL.
# 2. The work and the timer run while bound.
# 3. Unbind held at the unbind_devres pause point (driver data dropped,
#    devres not yet released) while a writer keeps firing bursts: no
#    interrupt is handled, no work or timer runs from there on; the
#    scanner sees no KASAN report (tests/controls/legacy_irq_work_timer.sh
#    is the same scenario with the broken designs).
# 4. Removal of a bound device removes its line.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 15
reset_bus
insmod $MODULES/drvsim_irq.ko
IRQ=$BUS/drivers/drvsim_irq
# count NAME: the driver's count of handled interrupts (irqs), work runs
# (works) or timer expiries (timers).
count() { cat "$IRQ/$1"; }
# grew NAME FROM: has count NAME gone past FROM?
grew() { [ "$(count "$1")" -gt "$2" ]; }
# listed N: does /proc/interrupts list line N with drvsim_irq's handler?
listed() { grep -Eq "^ *$1:.*drvsim_irq" /proc/interrupts; }
# unlisted N: does /proc/interrupts not list line N at all?
unlisted() { ! grep -Eq "^ *$1:" /proc/interrupts; }

# 1. The line.
printf 'i0 type=irq' > "$BUS/new_device"
D=$BUS/devices/i0
expect_eq drvsim_irq "$(driver_of i0)" "drvsim_irq binds a device of type irq"
n=$(cat "$D/irq")
ktap_test_result "irq names the device's line" test "$n" -gt 0
ktap_test_result "/proc/interrupts lists it with drvsim_irq's handler" listed "$n"
c=$(count irqs)
printf 1 > "$D/fire_irq"
expect_eq $((c + 1)) "$(count irqs)" "fire_irq 1: one interrupt handled"
printf 500 > "$D/fire_irq"
expect_eq $((c + 501)) "$(count irqs)" "fire_irq 500: a burst of 500, each one handled"
expect_eq "EINVAL EINVAL EINVAL" \
	"$(errno_of "$D/fire_irq" 0) $(errno_of "$D/fire_irq" x) $(errno_of "$D/fire_irq" 100001)" \
	"fire_irq of 0, of a non-number, beyond 100000: EINVAL"

# 2. The work and the timer.
w=$(count works)
t=$(count timers)
ktap_test_result "the work runs while bound" wait_until 10 grew works "$w"
ktap_test_result "the timer runs while bound" wait_until 10 grew timers "$t"

# 3. Unbind, with a burst in flight.
sh -c "while :; do printf 100 > '$D/fire_irq'; done" 2>/dev/null &
B=$!
c=$(count irqs)
ktap_test_result "a writer fires bursts" wait_until 10 grew irqs "$c"
pause_arm unbind_devres
printf i0 > "$IRQ/unbind" &
U=$!
ktap_test_result "unbind is held after the driver data is dropped" pause_wait_held unbind_devres 10
c=$(count irqs)
w=$(count works)
t=$(count timers)
printf 1 > "$D/fire_irq"
# 0.1 s is 5 periods of a work or timer left running (20 ms once the
# unbind started, 2 ms before); the writer is still firing.
sleep 0.1
expect_eq "$c $w $t yes" "$(count irqs) $(count works) $(count timers) $(alive $B && echo yes)" \
	"from there on, with the writer still firing: no interrupt handled, no work or timer run"
pause_release unbind_devres
wait $U
kill $B
wait $B 2>/dev/null
expect_eq "none $c" "$(driver_of i0) $(count irqs)" "unbind completes; still nothing handled"

# 4. Removal.
printf i0 > "$IRQ/bind"
printf i0 > "$BUS/del_device"
ktap_test_result "the removal of a bound device removes its line" unlisted "$n"
ktap_test_result "every device is released" wait_until 10 released
rmmod drvsim_irq
ktap_test_result "drvsim_irq unloads" unloaded drvsim_irq
ktap_finished
