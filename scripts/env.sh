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
# virtme-ng (RUNNER=vng, scripts/vng.sh), from PyPI into its own venv.
VNG_VERSION=1.42
VNG=$DRVSIM_CACHE/toolchain/virtme-ng-$VNG_VERSION/bin/vng
KERNEL_SERIES=7.3

die() { echo "drvsim: error: $*" >&2; exit 1; }
note() { echo "drvsim: $*" >&2; }
# guest_verdict RESULTS LOG: exits with the job's status from RESULTS
# (DRVSIM-EXIT), or 125 if the guest did not reach DRVSIM-END (a
# timeout, crash or panic); vm.sh and vng.sh end with it.
guest_verdict() {
	local rc
	rc=$(sed -n 's/^DRVSIM-EXIT \([0-9]*\).*/\1/p' "$1" | tail -1)
	if [ -z "$rc" ] || ! grep -q '^DRVSIM-END' "$1"; then
		note "guest did not finish (timeout ${TIMEOUT:-900}s, crash or panic); log: $2"
		exit 125
	fi
	note "guest exit status $rc; log: $2"
	exit "$rc"
}

# The kernel flavour (Documentation/testing.rst, "Kernel flavours").
export FLAVOUR=${FLAVOUR:-debug}
# Where the modules are built: the tree itself for debug, a copy of its
# sources per other flavour (an external module build writes next to its
# sources, so two kernels cannot share one tree).
# DRVSIM_MODULES_DIR: another copy (scripts/mutants.sh builds the modules
# against each mutant kernel in one of its own).
modules_dir() {
	if [ -n "${DRVSIM_MODULES_DIR:-}" ]; then echo "$DRVSIM_MODULES_DIR"
	elif [ "$FLAVOUR" = debug ]; then echo "$DRVSIM_ROOT"
	else echo "$DRVSIM_OUT/flavour-$FLAVOUR"; fi
}

# The KUnit suites of the sources, "kunit:<name>" each: every
# #[kunit_tests(name)] in rust/ or samples/ (check.sh and mutants.sh expect
# each to report).
kunit_suites() {
	sed -n 's/^[[:space:]]*#\[kunit_tests(\([A-Za-z0-9_]*\))\].*/kunit:\1/p' \
		"$DRVSIM_ROOT"/rust/*.rs "$DRVSIM_ROOT"/samples/*.rs
}

# The suite's guest setup (Documentation/testing.rst): the samples it
# loads and drvsim.ko's parameters (per-device lockdep classes, so that
# every test is also a lockdep check of the device lock), unless told.
suite_env() {
	export SAMPLES=${SAMPLES:-"drvsim_sample drvsim_faulty"}
	export DRVSIM_PARAMS=${DRVSIM_PARAMS:-"lockdep_device_class=1"}
}

# build_c SRC BIN [GCC FLAGS...]: build BIN from SRC unless it is newer;
# atomically, since guests start concurrently. BUILD_CC: the compiler
# (default gcc; guest_cc for programs that run in the guest).
build_c() {
	local src=$1 bin=$2
	shift 2
	[ "$bin" -nt "$src" ] || { ${BUILD_CC:-gcc} -O2 -Wall "$@" -o "$bin.$$" "$src" && mv -f "$bin.$$" "$bin"; } ||
		die "building $src failed"
}

# Debian's archive, for the pieces a bookworm machine's own apt sources
# cannot give (linux-source from trixie-backports, arm64 binaries). We
# never edit the system's apt configuration: private_apt DIR LINE sets
# apt_opts to a private sources file holding LINE ("deb ... SUITE main",
# with MIRROR standing for the system's mirror URI) and private list and
# cache directories under DIR, then updates them. Returns non-zero when
# the update fails (offline).
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
private_apt() {
	local dir=$1 line=$2 uri
	uri=$(mirror_uri)
	[ -n "$uri" ] || die "could not find a Debian mirror URI in /etc/apt sources"
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" || die "cannot create $dir"
	echo "${line/MIRROR/"$uri"}" > "$dir/sources.list" || die "cannot write $dir/sources.list"
	apt_opts=(-o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=/nonexistent
		-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
		-o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
	apt-get "${apt_opts[@]}" -qq update >&2
}

# The guest's architecture, as the kernel names it and as QEMU does:
# FLAVOUR=arm64 cross-builds (ARCH=arm64; LLVM needs no CROSS_COMPILE),
# every other flavour builds for the host, x86-64.
karch() { if [ "$FLAVOUR" = arm64 ]; then echo arm64; else echo x86; fi; }
qemu_arch() { if [ "$FLAVOUR" = arm64 ]; then echo aarch64; else echo x86_64; fi; }
# The C compiler for programs that run in the guest (static binaries).
guest_cc() { if [ "$FLAVOUR" = arm64 ]; then echo aarch64-linux-gnu-gcc; else echo gcc; fi; }
# The bootable image in a kernel build directory.
kernel_image() { if [ "$FLAVOUR" = arm64 ]; then echo arch/arm64/boot/Image; else echo arch/x86/boot/bzImage; fi; }

# Kernel make arguments shared by the kernel and module builds.
kmake_args() {
	[ "$FLAVOUR" != arm64 ] || echo -n "ARCH=arm64 "
	echo LLVM=$LLVM_SUFFIX RUSTC=$RUSTC RUSTDOC=$RUSTDOC BINDGEN=$BINDGEN
}
