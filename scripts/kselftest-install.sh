#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kselftest-install.sh INSTALL_PATH: lay the suite out as the kernel's
# `make kselftest-install` does, so that kernel CI systems (and drvsim's
# own guest) run it with the kernel's run_kselftest.sh:
#
#   run_kselftest.sh, kselftest/        the kernel tree's runner and helpers
#   kselftest-list.txt                  drvsim:<test>.sh, one per test
#   drvsim/*.sh                         the tests
#   drvsim/lib/, drvsim/bin/            their shell library, the guest tools
#   drvsim/modules/                     drvsim.ko and the sample modules
#   drvsim/config, drvsim/settings      what the kernel needs; the timeout
#
# The modules are built for KDIR, so the package runs on a machine whose
# kernel is that build. Environment: KDIR (kernel build directory),
# FLAVOUR (whose modules).
set -euo pipefail
. "$(dirname "$0")/env.sh"
dest=${1:?usage: kselftest-install.sh INSTALL_PATH}
: "${KDIR:?KDIR must name the kernel build directory}"
src=$KDIR
[ -f "$KDIR/source/Makefile" ] && src=$(readlink -f "$KDIR/source")
selftests=$src/tools/testing/selftests

mkdir -p "$DRVSIM_OUT"
# Only drvsim's collection is replaced: INSTALL_PATH may already hold the
# kernel's own kselftests, whose list entries are kept.
rm -rf "$dest/drvsim"
mkdir -p "$dest/kselftest" "$dest/drvsim/lib" "$dest/drvsim/bin" "$dest/drvsim/modules"
install -m 0755 "$selftests/run_kselftest.sh" "$dest/"
for f in runner.sh ktap_helpers.sh prefix.pl module.sh; do
	install -m 0644 "$selftests/kselftest/$f" "$dest/kselftest/"
done
chmod 0755 "$dest/kselftest/prefix.pl"
list=$dest/kselftest-list.txt
{
	[ ! -f "$list" ] || grep -v '^drvsim:' "$list" || true
	for t in "$DRVSIM_ROOT"/tests/*.sh; do
		install -m 0755 "$t" "$dest/drvsim/"
		echo "drvsim:$(basename "$t")"
	done
} > "$list.new"
mv -f "$list.new" "$list"
install -m 0644 "$DRVSIM_ROOT"/tests/lib/*.sh "$dest/drvsim/lib/"
# The guest tools, static, for the guest's architecture (guest_cc).
tools=$DRVSIM_OUT/tools-$(karch)
mkdir -p "$tools"
for c in "$DRVSIM_ROOT"/tests/tools/*.c; do
	BUILD_CC=$(guest_cc) build_c "$c" "$tools/$(basename "$c" .c)" -static
	install -m 0755 "$tools/$(basename "$c" .c)" "$dest/drvsim/bin/"
done
install -m 0644 "$(modules_dir)"/rust/drvsim.ko "$(modules_dir)"/samples/*.ko "$dest/drvsim/modules/"
grep '^CONFIG_' "$DRVSIM_ROOT/scripts/required.config" > "$dest/drvsim/config"
# The longest test (the stress and soak cases) takes about 3 minutes on a
# 2-vCPU TCG guest. The kernel's runner enforces this through
# /usr/bin/timeout where a system has it (GNU coreutils); drvsim's busybox
# guest has none, and its overall guest timeout applies instead.
echo "timeout=900" > "$dest/drvsim/settings"
