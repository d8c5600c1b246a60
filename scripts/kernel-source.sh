#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch and unpack Debian's newest linux-source-$KERNEL_SERIES into the cache
# and print the path of the unpacked tree.
#
# linux-source-7.3 is in trixie-backports, which is not in a bookworm
# machine's apt sources. We never edit those: a private sources file and
# private list/cache directories are handed to apt-get with -o, and the
# mirror URI is read from the system's own apt configuration.
set -euo pipefail
. "$(dirname "$0")/env.sh"

pkg=linux-source-$KERNEL_SERIES
mkdir -p "$DRVSIM_CACHE/src"

# The stamp names the exact Debian version last unpacked; re-resolve it
# at most once a day so a warm run does not touch the network.
stamp=$DRVSIM_CACHE/src/$pkg.version
fresh() {
	[ -f "$stamp" ] && [ -n "$(find "$stamp" -mmin -1440)" ] &&
		[ -f "$DRVSIM_CACHE/src/$pkg-$(cat "$stamp")/Makefile" ]
}
fresh && { echo "$DRVSIM_CACHE/src/$pkg-$(cat "$stamp")"; exit 0; }
# One fetch at a time (two make commands on a cold cache): the others
# wait, then find the tree.
exec 9> "$DRVSIM_CACHE/src/.lock"
flock 9
fresh && { echo "$DRVSIM_CACHE/src/$pkg-$(cat "$stamp")"; exit 0; }

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if ! private_apt "$DRVSIM_CACHE/apt" "deb [signed-by=$keyring] MIRROR trixie-backports main"; then
	if [ -f "$stamp" ]; then
		ver=$(cat "$stamp"); note "apt update failed; using cached $pkg $ver"
		echo "$DRVSIM_CACHE/src/$pkg-$ver"; exit 0
	fi
	die "apt-get update of trixie-backports failed"
fi
ver=$(apt-cache "${apt_opts[@]}" show "$pkg" 2>/dev/null | awk '/^Version:/{print $2}' | sort -V | tail -1)
[ -n "$ver" ] || die "$pkg not found in trixie-backports"
tree=$DRVSIM_CACHE/src/$pkg-$ver
if [ ! -f "$tree/Makefile" ]; then
	note "fetching $pkg $ver"
	tmp=$(mktemp -d "$DRVSIM_CACHE/src.XXXXXX")
	(cd "$tmp" && apt-get "${apt_opts[@]}" -qq download "$pkg=$ver" >&2)
	dpkg-deb -x "$tmp"/*.deb "$tmp/deb"
	mkdir -p "$tmp/tree"
	tar -xf "$tmp/deb/usr/src/$pkg.tar.xz" -C "$tmp/tree" --strip-components=1
	rm -rf "$tree"; mv "$tmp/tree" "$tree"; rm -rf "$tmp"
fi
echo "$ver" > "$stamp"
echo "$tree"
