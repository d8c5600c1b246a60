#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build the guest kernel out of tree, into the cache, and
# print the build directory (the KDIR for module builds).
#
# The build directory is keyed by the Debian source version, the config
# fragments and the toolchain versions: a second run with the same inputs
# rebuilds nothing, and any change to them gets a fresh directory.
set -euo pipefail
. "$(dirname "$0")/env.sh"

src=$("$DRVSIM_ROOT/scripts/kernel-source.sh")
frag=$DRVSIM_ROOT/scripts/drvsim.config
fragments=("$src/kernel/configs/kvm_guest.config" "$src/kernel/configs/rust.config"
	"$src/kernel/configs/debug.config" "$frag")

key=$({
	basename "$src"
	cat "${fragments[@]}"
	"$RUSTC" --version; "$BINDGEN" --version
	clang$LLVM_SUFFIX --version | head -1; ld.lld$LLVM_SUFFIX --version
} | sha256sum | cut -c1-16)
out=$DRVSIM_CACHE/build/$KERNEL_SERIES-$key
stamp=$out/.drvsim-built

if [ -f "$stamp" ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
	echo "$out"; exit 0
fi

# Check every line of our fragment made it into .config: kconfig drops
# a symbol whose dependencies are missing (RUST without a usable
# toolchain, KASAN with SLUB_TINY) without failing.
check_config() {
	local line sym bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$out/.config" || { note "config: wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$out/.config" || echo unset)"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			! grep -q "^$sym=" "$out/.config" || { note "config: wanted $sym unset, got $(grep "^$sym=" "$out/.config")"; bad=1; } ;;
		esac
	done < "$frag"
	return $bad
}

mkdir -p "$out"
log=$out/build.log
note "building kernel $(basename "$src") in $out (log: $log); this takes 10-20 minutes"
kmake() { make -C "$src" O="$out" $(kmake_args) "$@"; }
{
	kmake rustavailable
	kmake tinyconfig
	(cd "$src" && KCONFIG_CONFIG="$out/.config" scripts/kconfig/merge_config.sh -m -O "$out" \
		"$out/.config" "${fragments[@]}")
	kmake olddefconfig
} >"$log" 2>&1 || { tail -30 "$log" >&2; die "kernel configuration failed (see $log)"; }
check_config || die "kernel config does not match $frag (see above); is the toolchain complete? run scripts/bootstrap.sh"

kmake -j"$(($(nproc) + 1))" all >>"$log" 2>&1 ||
	{ tail -40 "$log" >&2; die "kernel build failed (see $log)"; }
# gen_init_cpio builds the guest's initramfs.
kmake usr/gen_init_cpio >>"$log" 2>&1 || die "building usr/gen_init_cpio failed (see $log)"
touch "$stamp"
echo "$out"
