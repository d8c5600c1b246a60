#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print a directory holding the arm64 guest's userspace: busybox and bash,
# static arm64 binaries from Debian's busybox-static and bash-static of
# this machine's own release (the x86 guest takes the host's). Fetched
# once into the cache; a warm run does not touch the network.
set -euo pipefail
. "$(dirname "$0")/env.sh"

dir=$DRVSIM_CACHE/arm64-userspace
ready() { [ -x "$dir/bin/busybox" ] && [ -x "$dir/bin/bash" ]; }
ready && { echo "$dir/bin"; exit 0; }
# Guests start concurrently (make check): one fetches, the others wait.
mkdir -p "$dir"
exec 9> "$dir/.lock"
flock 9
ready && { echo "$dir/bin"; exit 0; }

. /etc/os-release
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
private_apt "$dir/apt" "deb [arch=arm64 signed-by=$keyring] MIRROR $VERSION_CODENAME main" ||
	die "apt-get update of $VERSION_CODENAME (arm64) failed"
apt_opts+=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Dir::State::status=/dev/null)
tmp=$(mktemp -d "$DRVSIM_CACHE/arm64.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
note "fetching busybox-static and bash-static for arm64 ($VERSION_CODENAME)"
(cd "$tmp" && apt-get "${apt_opts[@]}" -qq download busybox-static:arm64 bash-static:arm64 >&2)
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
mkdir -p "$tmp/bin"
# /bin in bookworm's packages, /usr/bin in later releases'.
for b in busybox:busybox bash-static:bash; do
	src=$tmp/root/usr/bin/${b%:*}
	[ -e "$src" ] || src=$tmp/root/bin/${b%:*}
	[ -e "$src" ] || die "no ${b%:*} in the fetched packages"
	install -m 0755 "$src" "$tmp/bin/${b#*:}"
done
for b in "$tmp"/bin/*; do # ELF e_machine 0xb7: AArch64
	[ "$(od -An -tx1 -j18 -N2 "$b" | tr -d ' ')" = b700 ] || die "$b is not an aarch64 binary"
done
rm -rf "$dir/bin"; mv -T "$tmp/bin" "$dir/bin"
echo "$dir/bin"
