# SPDX-License-Identifier: GPL-2.0
# Common settings for drvsim's scripts: sourced, never run.
#
# Everything slow and reusable lives under $DRVSIM_CACHE (outside the
# clone), keyed by what it was built from, so a fresh clone on a warm
# machine rebuilds nothing.

DRVSIM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DRVSIM_CACHE=${DRVSIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drvsim}
# Per-clone scratch space: initramfs, guest logs.
DRVSIM_OUT=${DRVSIM_OUT:-$DRVSIM_ROOT/.out}

# The rustup toolchains in ~/.cargo/bin come first in PATH and have no
# rust-src; the kernel is built with Debian's rustc-web instead.
export RUSTC=/usr/bin/rustc
export RUSTDOC=/usr/bin/rustdoc
# The style tools of the same Debian release (rustfmt-web, rust-web-clippy);
# the rustup ones in ~/.cargo/bin are another version and format differently.
export RUSTFMT=/usr/bin/rustfmt
export CLIPPY_DRIVER=/usr/bin/clippy-driver
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
export BINDGEN=$DRVSIM_CACHE/toolchain/bin/bindgen
LLVM_SUFFIX=-19
BINDGEN_VERSION=0.73.2
KERNEL_SERIES=7.3

die() { echo "drvsim: error: $*" >&2; exit 1; }
note() { echo "drvsim: $*" >&2; }

# The kernel flavour (Documentation/testing.rst, "Kernel flavours").
export FLAVOUR=${FLAVOUR:-debug}
# Where the modules are built: the tree itself for debug, a copy of its
# sources per other flavour (an external module build writes next to its
# sources, so two kernels cannot share one tree).
modules_dir() {
	if [ "$FLAVOUR" = debug ]; then echo "$DRVSIM_ROOT"; else echo "$DRVSIM_OUT/flavour-$FLAVOUR"; fi
}

# build_c SRC BIN [GCC FLAGS...]: build BIN from SRC unless it is newer;
# atomically, since guests start concurrently.
build_c() {
	local src=$1 bin=$2
	shift 2
	[ "$bin" -nt "$src" ] || { gcc -O2 -Wall "$@" -o "$bin.$$" "$src" && mv -f "$bin.$$" "$bin"; } ||
		die "building $src failed"
}

# Kernel make arguments shared by the kernel and module builds.
kmake_args() {
	echo LLVM=$LLVM_SUFFIX RUSTC=$RUSTC RUSTDOC=$RUSTDOC BINDGEN=$BINDGEN
}
