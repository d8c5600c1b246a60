#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# An unprivileged user can change nothing: every writable drvsim sysfs
# file refuses its writes, /dev/drvsim-* and drvsim's debugfs cannot be
# opened, and the bus is unchanged afterwards. The control: the same user
# writes a file that anyone may write, so a broken su cannot make this
# test pass. The user: a real system's own unprivileged account, nobody,
# where /etc/passwd has it (a virtme-ng guest has the host's: util-linux
# su, PAM); in drvsim's busybox guest, which has no accounts, one created
# here (busybox su; busybox's setpriv cannot change uids).
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 6
reset_bus
if grep -q "^nobody:" /etc/passwd 2>/dev/null; then
	U=nobody
else
	U=drvsimuser
	mkdir -p /etc
	grep -q "^$U:" /etc/passwd 2>/dev/null || echo "$U:x:1000:1000::/tmp:/bin/sh" >> /etc/passwd
	grep -q "^$U:" /etc/group 2>/dev/null || echo "$U:x:1000:" >> /etc/group
fi
uid=$(id -u "$U")
as_user() {
	su "$U" -s /bin/sh -c "$1" 2>&1
}

printf 'pm0 totalvfs=2 regions=1' > "$BUS/new_device"
printf 'pm1 type=other' > "$BUS/new_device"
printf 2 > "$BUS/devices/pm0/sriov_numvfs"
before=$(bus_state pm0)

[ "$uid" != 0 ] || uid="$U is root"
expect_eq "$uid" "$(as_user 'id -u')" "su runs commands as the unprivileged user"
: > /tmp/anyone && chmod 666 /tmp/anyone
expect_eq 0 "$(as_user "$BIN/sysfs-write /tmp/anyone x")" \
	"control: the user writes a file anyone may write"

# Each write a plausible one: what root would write there.
value_for() {
	case "$1" in
	*/new_device) echo "pmx regions=1" ;;
	*/del_device | */hot_unplug | */bind | */unbind) echo pm0 ;;
	*/driver_override) echo drvsim_faulty ;;
	*/new_id | */remove_id) echo other ;;
	*/probe_mode) echo "pm1 fail" ;;
	*/sriov_numvfs) echo 0 ;;
	*) echo 1 ;;
	esac
}
# One su for all the writes (one per file cost most of the test's time):
# root lists "FILE<tab>VALUE", the user writes each and prints what was
# not refused.
T=$(printf '\t')
for f in $(find /sys/bus/drvsim /sys/devices/drvsim -type f -perm -200); do
	printf '%s\t%s\n' "$f" "$(value_for "$f")"
done > /tmp/perm-writes
chmod 644 /tmp/perm-writes
accepted=$(as_user "while IFS='$T' read -r f v; do
	got=\$($BIN/sysfs-write \"\$f\" \"\$v\")
	[ \"\$got\" = EACCES ] || echo \" \$f:\$got\"
done < /tmp/perm-writes" | tr -d '\n')
expect_eq "" "$accepted" "every writable sysfs file refuses the user (EACCES)"

opened=""
for f in /dev/drvsim-*; do
	got=$(as_user "$BIN/regfile read $f 0 0")
	[ "$got" = EACCES ] || opened="$opened $f:$got"
done
expect_eq "" "$opened" "no /dev/drvsim-* opens for the user (EACCES)"
# debugfs itself is root's only; drvsim's own knobs are too, in case a
# system opens debugfs up (debugfs's mode= mount option).
open_knobs=$(for f in $(find /sys/kernel/debug/drvsim -type f); do
	case $(stat -c %a "$f") in *00) ;; *) echo "$f" ;; esac
done)
expect_eq "" "$(as_user 'ls /sys/kernel/debug/drvsim' | grep -v 'Permission denied')$open_knobs" \
	"drvsim's debugfs and every knob in it are closed to the user"
expect_eq "$before" "$(bus_state pm0)" "the bus is unchanged"
reset_bus
ktap_finished
