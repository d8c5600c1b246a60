#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the toolchain drvsim needs, only what is missing.
#
# Debian packages come from the system's own apt sources; bindgen-cli
# (Debian's is older than the 0.71.1 kernel 7.3 needs) from cargo's
# registry into $DRVSIM_CACHE/toolchain; virtme-ng (not in bookworm) from
# PyPI into a venv there. Safe to run any number of times.
set -euo pipefail
. "$(dirname "$0")/env.sh"

PKGS=(
	rustc-web rust-web-src rustfmt-web rust-web-clippy
	clang-19 lld-19 llvm-19 libclang-19-dev
	make gcc flex bison bc libelf-dev libssl-dev cpio kmod rsync xz-utils
	python3 perl busybox-static qemu-system-x86 driverctl
	python3-venv udev
)
# FLAVOUR=arm64: QEMU's arm64 system emulator and a cross gcc with a
# static C library for the guest tools (the kernel needs only LLVM).
[ "$FLAVOUR" != arm64 ] || PKGS+=(qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
	note "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# rustfmt and clippy must be rustc-web's exact version: another one formats
# and lints differently (an older rustfmt-web, 1.85, is in bookworm itself).
rust_ver=$(dpkg-query -W -f='${Version}' rustc-web)
stale=()
for p in rustfmt-web rust-web-clippy; do
	[ "$(dpkg-query -W -f='${Version}' "$p")" = "$rust_ver" ] || stale+=("$p=$rust_ver")
done
if [ ${#stale[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "need root to install: ${stale[*]}"
	note "installing ${stale[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${stale[@]}" >/dev/null
fi

if ! { [ -x "$BINDGEN" ] && "$BINDGEN" --version | grep -qF "$BINDGEN_VERSION"; }; then
	command -v cargo >/dev/null || die "cargo not found (needed to build bindgen-cli)"
	note "building bindgen-cli $BINDGEN_VERSION"
	cargo install --quiet --locked --force bindgen-cli --version "$BINDGEN_VERSION" \
		--root "$DRVSIM_CACHE/toolchain"
fi

# virtme-ng, pinned, in a venv of the system's python3 (scripts/vng.sh):
# the wheel carries its guest init (virtme-ng-init) prebuilt.
if ! { [ -x "$VNG" ] && "$VNG" --version 2>/dev/null | grep -qxF "virtme-ng $VNG_VERSION"; }; then
	note "installing virtme-ng $VNG_VERSION"
	rm -rf "${VNG%/bin/vng}"
	/usr/bin/python3 -m venv "${VNG%/bin/vng}"
	"${VNG%/bin/vng}/bin/pip" install -q --disable-pip-version-check "virtme-ng==$VNG_VERSION"
fi

for t in "$RUSTC" "$RUSTDOC" "$RUSTFMT" "$CLIPPY_DRIVER" clang$LLVM_SUFFIX ld.lld$LLVM_SUFFIX "$BINDGEN" "$VNG" busybox "qemu-system-$(qemu_arch)" "$(guest_cc)"; do
	command -v "$t" >/dev/null || die "toolchain check failed: $t missing after install"
done
[ -d /usr/lib/rustlib/src/rust/library ] || die "rust-web-src did not install the Rust library sources"
