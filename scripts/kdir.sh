#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the kernel build directory to use: $KDIR if the user gave one (their
# own Rust-enabled tree, checked against scripts/required.config first),
# else drvsim's cached build, installing and building whatever is missing
# first.
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$DRVSIM_ROOT/scripts/bootstrap.sh" >&2
# The arm64 guest's userspace, fetched once before any guest starts.
[ "$FLAVOUR" != arm64 ] || "$DRVSIM_ROOT/scripts/arm64-userspace.sh" > /dev/null
if [ -n "${KDIR:-}" ]; then
	[ -f "$KDIR/Module.symvers" ] || die "KDIR=$KDIR is not a built kernel tree (no Module.symvers)"
	missing=$(grep '^CONFIG_' "$DRVSIM_ROOT/scripts/required.config" | grep -vxFf "$KDIR/.config" || true)
	[ -z "$missing" ] || die "KDIR=$KDIR lacks what drvsim needs (\`make config-fragment\` prints it all):"$'\n'"$missing"
	[ -x "$KDIR/usr/gen_init_cpio" ] || make -C "$KDIR" $(kmake_args) usr/gen_init_cpio >&2
	echo "$KDIR"
else
	"$DRVSIM_ROOT/scripts/kernel-build.sh"
fi
