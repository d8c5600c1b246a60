#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (the layer's synchronisation is Rust, which KCSAN does not instrument)
# The cdev layer (rust/cdev_layer.rs, Documentation/resources.rst "The
# cdev layer") through drvsim_cdev's /dev/drvsim-cdev-<name>: a blocking
# read woken by data; poll; mmap of the register page; release doing
# device work while bound. Then unbind with 64 readers asleep, a poller
# asleep, a mapping and a file held open: the unbind completes, every
# reader gets ENXIO, the poller POLLERR|POLLHUP, the mapping SIGBUS, and
# the held file's read ENXIO, poll ERR|HUP and release nothing (no splat,
# which the harness scans for). The broken designs are the controls
# legacy_cdev_*.sh.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 16
reset_bus
C=$BIN/cdevfile
D=$BUS/drivers/drvsim_cdev
T=/tmp/cdev_layer
rm -rf $T
mkdir -p $T
loaded drvsim_cdev || insmod "$MODULES/drvsim_cdev.ko"
F=/dev/drvsim-cdev-c0
printf 'c0 type=cdev' > "$BUS/new_device"
wait_until 5 test -c $F

# 1. A blocking read sleeps in the layer until an event is posted.
$C read $F > $T/read &
p=$!
waits_in $p '\[drvsim_cdev\]' || true
$C post $F > /dev/null
wait $p
expect_eq 1 "$(cat $T/read)" "read sleeps until data, then returns it"

# 2. poll: nothing pending, then POLLIN.
expect_eq NONE "$($C poll $F 0)" "poll: nothing pending"
$C post $F > /dev/null
expect_eq IN "$($C poll $F 0)" "poll: POLLIN once an event is posted"
expect_eq 2 "$($C read $F)" "the event is read"

# 3. mmap reads the register page: its ID and the closes counted by
#    release() (every file above was closed while bound).
rm -f $T/go
mkfifo $T/go
exec 4<> $T/go
$C mmap $F <&4 > $T/mmap &
m=$!
wait_until 10 test -s $T/mmap || true
closes=$(cut -d' ' -f2 $T/mmap)
expect_eq 0xd515cde0 "$(cut -d' ' -f1 $T/mmap)" "mmap reads register 0 (the ID)"
expect_eq 6 "$closes" "release() counted each close while bound"

# 4. Unbind with 64 readers and a poller asleep, a mapping and a file
#    held: it completes, and wakes every sleeper.
$C sleepers $F 64 > $T/sleepers &
s=$!
$C poll $F 600000 > $T/poll &
q=$!
exec 5<> $F
wait_until 20 grep -q 'asleep 64' $T/sleepers || true
wait_until 20 tasks_in $s 64 '\[drvsim_cdev\]'
expect_eq 0 $? "64 readers asleep in the layer before the unbind"
waits_in $q 'do_sys_poll\|do_poll'
expect_eq 0 $? "the poller asleep in poll() before the unbind"
printf c0 > $D/unbind &
u=$!
wait_until 20 finished $u
ok=$?
# A broken layer leaves them asleep: release them, for the next tests.
[ $ok = 0 ] || kill $s $q
expect_eq 0 "$ok" "unbind with 64 readers asleep completes"
wait $s
expect_eq "64 ENXIO" "$(tail -n 1 $T/sleepers)" "every reader woke with ENXIO"
wait $q
expect_eq "ERR|HUP" "$(cat $T/poll)" "a poller asleep wakes with POLLERR|POLLHUP"
echo >&4
wait_until 10 lines_in $T/mmap 2 || true
expect_eq SIGBUS "$(tail -n 1 $T/mmap)" "the mapping gives SIGBUS after unbind"
echo q >&4
exec 4>&-
wait $m
expect_eq ENXIO "$($C read @5)" "a held file's read gives ENXIO"
expect_eq "ERR|HUP" "$($C poll @5 0)" "a held file's poll gives POLLERR|POLLHUP"
# release() after unbind: skipped safely (KASAN would report otherwise).
exec 5>&-

# 5. Bound again: a new node, working.
printf c0 > $D/bind
wait_until 5 test -c $F
$C post $F > /dev/null
expect_eq 1 "$($C read $F)" "bound again, the node works"
expect_eq 0 "$(errno_of $BUS/del_device c0)" "the device leaves cleanly"
rm -rf $T
rmmod drvsim_cdev
ktap_finished
