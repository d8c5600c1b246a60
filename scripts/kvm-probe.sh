#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print QEMU's acceleration arguments: KVM only after a probe boot of this
# very kernel proved it works, TCG otherwise. KVM on these machines has
# been seen to hang silently, so the probe has a short timeout and its
# verdict is cached per kernel build and QEMU version.
set -euo pipefail
. "$(dirname "$0")/env.sh"
kdir=$1
tcg="-accel tcg -cpu max"
kvm="-accel kvm -cpu host"
[ "${DRVSIM_ACCEL:-}" = tcg ] && { echo "$tcg"; exit 0; }
[ -w /dev/kvm ] || { echo "$tcg"; exit 0; }

verdict=$kdir/.kvm-probe-$(qemu-system-x86_64 --version | head -1 | tr -dc '0-9.')
if [ ! -f "$verdict" ]; then
	out=$(timeout -k 5 60 qemu-system-x86_64 $kvm -m 512M -kernel "$kdir/arch/x86/boot/bzImage" \
		-append "console=ttyS0 panic=-1 rdinit=/nonexistent" -no-reboot -display none \
		-nodefaults -serial stdio < /dev/null 2>&1 || true)
	# Without an init the kernel panics, which proves it booted under KVM.
	if grep -q 'Kernel panic' <<< "$out"; then echo kvm > "$verdict"; else echo tcg > "$verdict"; fi
fi
if [ "$(cat "$verdict")" = kvm ]; then echo "$kvm"; else echo "$tcg"; fi
