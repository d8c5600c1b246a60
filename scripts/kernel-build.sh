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
# FLAVOUR (Documentation/testing.rst, "Kernel flavours"): debug, today's
# kernel and the default; kcsan, prod and arm64 merge scripts/flavours/<name>.config
# last. debug's fragment list is what it has always been, so its cache
# key did not change when the flavours came.
flavour=${FLAVOUR:-debug}
ours=("$frag")
case $flavour in
debug)
	fragments=("$src/kernel/configs/kvm_guest.config" "$src/kernel/configs/rust.config"
		"$src/kernel/configs/debug.config" "$frag") ;;
kcsan | arm64)
	ours+=("$DRVSIM_ROOT/scripts/flavours/$flavour.config")
	fragments=("$src/kernel/configs/kvm_guest.config" "$src/kernel/configs/rust.config"
		"$src/kernel/configs/debug.config" "${ours[@]}") ;;
prod)
	ours+=("$DRVSIM_ROOT/scripts/flavours/prod.config")
	fragments=("$src/kernel/configs/kvm_guest.config" "$src/kernel/configs/rust.config"
		"${ours[@]}") ;;
*) die "FLAVOUR=$flavour: not one of debug, kcsan, prod, arm64" ;;
esac

key=$({
	basename "$src"
	[ "$flavour" = debug ] || echo "flavour $flavour"
	cat "${fragments[@]}"
	"$RUSTC" --version; "$BINDGEN" --version
	clang$LLVM_SUFFIX --version | head -1; ld.lld$LLVM_SUFFIX --version
} | sha256sum | cut -c1-16)
suffix=; [ "$flavour" = debug ] || suffix=$flavour-
out=$DRVSIM_CACHE/build/$KERNEL_SERIES-$suffix$key
stamp=$out/.drvsim-built

if [ -f "$stamp" ] && [ -f "$out/$(kernel_image)" ]; then
	echo "$out"; exit 0
fi
# One build of a directory at a time: two `make` commands (two clones, or
# a clone's check and vm) that reach here together would configure and
# build the same tree at once and break it. The second waits, then finds
# the stamp.
mkdir -p "$DRVSIM_CACHE/build"
exec 9> "$out.lock"
flock 9
if [ -f "$stamp" ] && [ -f "$out/$(kernel_image)" ]; then
	echo "$out"; exit 0
fi

# Check every line of our fragments made it into .config (a later
# fragment's line for a symbol replaces an earlier one's): kconfig drops a
# symbol whose dependencies are missing (RUST without a usable toolchain,
# KASAN with SLUB_TINY) without failing.
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
	done < <(cat "${ours[@]}" | awk '
		/^CONFIG_[A-Z0-9_]+=/ { sym = $0; sub(/=.*/, "", sym) }
		/^# CONFIG_[A-Z0-9_]+ is not set$/ { sym = $2 }
		sym != "" { if (!(sym in line)) order[n++] = sym; line[sym] = $0; sym = "" }
		END { for (i = 0; i < n; i++) print line[order[i]] }')
	return $bad
}

# A changed fragment starts from the newest finished build of the same
# flavour, as a developer's `make olddefconfig && make` would: Kbuild
# rebuilds only what the changed options reach (a few minutes instead of
# a cold 10-20). The seed is copied, never built in.
if [ ! -e "$out" ]; then
	seed=$(ls -dt "$DRVSIM_CACHE/build/$KERNEL_SERIES-$suffix"*/ 2>/dev/null |
		grep -E "/$KERNEL_SERIES-$suffix[0-9a-f]{16}/\$" |
		while read -r d; do [ -f "$d.drvsim-built" ] && echo "$d" && break; done || true)
	if [ -n "$seed" ]; then
		note "seeding $out from $seed"
		rm -rf "$out.tmp"; cp -a "$seed" "$out.tmp" && rm -f "$out.tmp/.drvsim-built" && mv "$out.tmp" "$out"
	fi
fi
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
check_config || die "kernel config does not match ${ours[*]} (see above); is the toolchain complete? run scripts/bootstrap.sh"

kmake -j"$(($(nproc) + 1))" all >>"$log" 2>&1 ||
	{ tail -40 "$log" >&2; die "kernel build failed (see $log)"; }
# gen_init_cpio builds the guest's initramfs.
kmake usr/gen_init_cpio >>"$log" 2>&1 || die "building usr/gen_init_cpio failed (see $log)"
touch "$stamp"
echo "$out"
