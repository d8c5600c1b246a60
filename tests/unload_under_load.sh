#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unload under load: writers hammer the bus, device and driver attributes
# and the character devices while the sample modules, and then drvsim.ko
# itself, are unloaded and loaded again, ROUNDS times. Every writer must
# finish, the modules must unload and load each time, and the bus must
# work afterwards; the suite's log scan covers lockdep, KASAN, kmemleak
# and hung tasks (module exit waits for every device and every remove
# writer, Documentation/drvsim.rst).
. "$(dirname "$0")/lib/drvsim.sh"
ROUNDS=${UNLOAD_ROUNDS:-3}
ktap_print_header
ktap_set_plan 4
reset_bus
W=$BIN/sysfs-write
STOP=/tmp/unload-stop
rm -f $STOP
pick() { eval "echo \${$((RANDOM % $# + 1))}"; }

# Each writer loops until STOP exists; its files come and go with the
# modules, so every errno is fine. Output goes to the console log.
creator() {
	while [ ! -e $STOP ]; do
		$W "$BUS/new_device" "$(pick u0 u1 'u2 regions=2' 'up totalvfs=2')"
		$W "$BUS/del_device" "$(pick u0 u1 u2 up up-vf0)"
	done
}
remover() {
	while [ ! -e $STOP ]; do
		$W "$BUS/devices/$(pick u0 u1 u2 up up-vf1)/remove" 1
		$W "$BUS/hot_unplug" "$(pick u0 u2 up-vf0)"
	done
}
binder() {
	while [ ! -e $STOP ]; do
		d=$(pick u0 u1 up up-vf0)
		$W "$BUS/drivers/drvsim_sample/unbind" "$d"
		$W "$BUS/drivers/drvsim_sample/bind" "$d"
		$W "$BUS/drivers/drvsim_sample/new_id" other
		$W "$BUS/drivers/drvsim_sample/remove_id" other
	done
}
numvfs() {
	while [ ! -e $STOP ]; do
		$W "$BUS/devices/up/sriov_numvfs" "$(pick 0 1 2)"
		$W "$BUS/rescan" 1
	done
}
reader() {
	while [ ! -e $STOP ]; do
		for f in /dev/drvsim-*; do
			[ -e "$f" ] && $BIN/regfile read "$f" 0 0
		done
		sleep 0.05
	done
}
pids=
for w in creator creator remover binder numvfs reader; do
	$w > /dev/null 2>&1 &
	pids="$pids $!"
done

# rmmod of a sample fails while one of its files is open (EAGAIN until the
# last close): retry a few times.
retry() {
	local n=50
	while ! "$@" 2> /dev/null; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}
unloaded=0 reloaded=0
round=1
while [ $round -le "$ROUNDS" ]; do
	sleep 1
	ok=1
	for m in $SAMPLES; do retry rmmod "$m" || ok=0; done
	retry rmmod drvsim || ok=0
	[ $ok = 1 ] && ! grep -q '^drvsim ' /proc/modules && unloaded=$((unloaded + 1))
	sleep 0.3
	load_drvsim $DRVSIM_PARAMS && reloaded=$((reloaded + 1))
	round=$((round + 1))
done
touch $STOP
expect_eq "$ROUNDS $ROUNDS" "$unloaded $reloaded" "drvsim and the samples unload and load again under load, $ROUNDS times"

finished() {
	for p in $pids; do alive "$p" && return 1; done
	return 0
}
ktap_test_result "every writer finishes" wait_until 60 finished
wait
reset_bus
expect_errno 0 "$BUS/new_device" "uok totalvfs=1" "afterwards the bus creates devices"
expect_eq "drvsim_sample" "$(driver_of uok)" "afterwards drivers bind"
reset_bus
ktap_finished
