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
apt_dir=$DRVSIM_CACHE/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$DRVSIM_CACHE/src"

mirror_uri() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		# deb822: the first stanza of type deb that serves a plain Debian suite
		uri=$(awk '/^URIs:/{u=$2} /^Suites:/{if ($0 ~ / (bookworm|trixie|sid|stable)( |$)/) {print u; exit}}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -e "$f" ] || continue
		uri=$(awk '$1=="deb" && $3 ~ /^(bookworm|trixie|sid|stable)$/ {print $2; exit}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
}

# The stamp names the exact Debian version last unpacked; re-resolve it
# at most once a day so a warm run does not touch the network.
stamp=$DRVSIM_CACHE/src/$pkg.version
if [ -f "$stamp" ] && [ -n "$(find "$stamp" -mmin -1440)" ]; then
	ver=$(cat "$stamp")
	[ -f "$DRVSIM_CACHE/src/$pkg-$ver/Makefile" ] && { echo "$DRVSIM_CACHE/src/$pkg-$ver"; exit 0; }
fi

uri=$(mirror_uri)
[ -n "$uri" ] || die "could not find a Debian mirror URI in /etc/apt sources"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $uri trixie-backports main" > "$apt_dir/sources.list"
apt_opts=(-o Dir::Etc::sourcelist="$apt_dir/sources.list" -o Dir::Etc::sourceparts=/nonexistent
	-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache"
	-o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1 -o APT::Sandbox::User=root)

if ! apt-get "${apt_opts[@]}" -qq update >&2; then
	# Offline, but a tree is already unpacked: keep using it.
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
