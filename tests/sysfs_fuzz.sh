#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kcsan: skip (a single writer: nothing concurrent for KCSAN to watch)
# Fuzzing drvsim's sysfs interface. Every writable drvsim attribute gets
# the malformed inputs Documentation/sysfs.rst rules out (bad names,
# unknown and repeated options, out-of-range and non-decimal numbers,
# embedded NULs, non-UTF-8, more than one line, 4 KiB and 64 KiB writes):
# each must fail with the documented errno and change nothing. Then
# random bytes; afterwards the bus still creates, binds, enables VFs and
# removes.
. "$(dirname "$0")/lib/drvsim.sh"
ktap_print_header
ktap_set_plan 13
reset_bus
printf 'fz0 totalvfs=2 regions=1' > "$BUS/new_device"
PF=$BUS/devices/fz0
S=$BUS/drivers/drvsim_sample

# feed INPUT: INPUT as bytes: a printf format (\000, \377, \n), or @4k and
# @64k for a page and sixteen pages of 'a'.
feed() {
	case "$1" in
	@4k) head -c 4096 /dev/zero | tr '\0' a ;;
	@64k) head -c 65536 /dev/zero | tr '\0' a ;;
	# A leading x, cut off again, so that an input starting with - is
	# not taken for an option of printf.
	*) printf "x$1" | tail -c +2 ;;
	esac
}

# malformed FILE WANT INPUT...: one case; each INPUT must fail with WANT
# and leave the bus as it was.
malformed() {
	local file=$1 want=$2 input got wrong="" before
	shift 2
	before=$(bus_state fz0)
	for input in "$@"; do
		got=$(feed "$input" | $BIN/sysfs-write "$file" -)
		[ "$got" = "$want" ] || wrong="$wrong [$input]:$got"
	done
	[ "$(bus_state fz0)" = "$before" ] || wrong="$wrong (the bus changed)"
	expect_eq "" "$wrong" "${file#$BUS/}: every malformed input gets $want and changes nothing"
}

# Inputs no name-taking attribute accepts.
BAD_NAMES='Bad a/b . .. nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn \000 x\000y x\377 a\nb @4k @64k'
# shellcheck disable=SC2086
malformed "$BUS/new_device" EINVAL $BAD_NAMES 'x color=red' 'x regions=1 regions=2' \
	'x type=a type=b' 'x totalvfs=1025' 'x regions=257' 'x regions=99999999999999999999' \
	'x regions=0x10' 'x regions=-1' 'x regions=' 'x type=Bad'
# shellcheck disable=SC2086
malformed "$BUS/del_device" EINVAL $BAD_NAMES
# shellcheck disable=SC2086
malformed "$BUS/hot_unplug" EINVAL $BAD_NAMES
# shellcheck disable=SC2086
malformed "$BUS/link" EINVAL $BAD_NAMES 'fz0 fz0' 'fz0 fz0-vf0 Stateless' 'fz0 fz0-vf0 pm_runtime' \
	'fz0 fz0-vf0 stateless stateless' 'fz0 fz0-vf0 stateless autoremove_supplier' \
	'fz0 fz0-vf0 autoprobe_consumer autoremove_consumer' 'fz0 Bad' 'fz0 fz0-vf0\000' 'fz0\nfz0-vf0'
malformed "$BUS/rescan" EINVAL x -1 '1 2' 18446744073709551616 '\000' '\377' '1\n2' @4k @64k
malformed "$PF/remove" EINVAL 0 2 yes '1 1' 11 '\000' '\377' '1\n1' @4k @64k
malformed "$PF/sriov_numvfs" EINVAL x -1 '1 2' '\000' '\377' @4k @64k
malformed "$PF/sriov_numvfs" ERANGE 3 70000 1025
malformed "$PF/sriov_drivers_autoprobe" EINVAL maybe 2 '\000' '\377' @4k @64k
# shellcheck disable=SC2086
malformed "$S/new_id" EINVAL $BAD_NAMES
# shellcheck disable=SC2086
malformed "$S/remove_id" EINVAL $BAD_NAMES

# Random bytes, 1 to 256 of them, 25 writes per attribute: any errno, or
# success where the bytes happen to be valid; nothing may break.
for f in "$BUS/new_device" "$BUS/del_device" "$BUS/hot_unplug" "$BUS/rescan" "$PF/remove" \
	"$PF/sriov_numvfs" "$PF/sriov_drivers_autoprobe" "$S/new_id" "$S/remove_id"; do
	i=0
	while [ $i -lt 25 ]; do
		head -c $((RANDOM % 256 + 1)) /dev/urandom | $BIN/sysfs-write "$f" - > /dev/null
		i=$((i + 1))
	done
done
reset_bus
# Random bytes may have made a valid dynamic id: drop them with the
# registration, so that later scripts see the sample as it was.
rmmod drvsim_sample && insmod $MODULES/drvsim_sample.ko
printf 'fz1 totalvfs=2' > "$BUS/new_device"
printf 2 > "$BUS/devices/fz1/sriov_numvfs"
expect_eq "drvsim_sample drvsim_sample drvsim_sample" \
	"$(driver_of fz1) $(driver_of fz1-vf0) $(driver_of fz1-vf1)" \
	"afterwards the bus creates, binds and enables VFs"
expect_errno 0 "$BUS/del_device" fz1 "afterwards the bus removes"
reset_bus
ktap_finished
