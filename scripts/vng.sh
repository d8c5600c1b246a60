#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run drvsim's suite under virtme-ng (vng): the guest's root is the
# host's own / (read-only, over 9p, with vng's overlays on /etc and
# friends), so the suite meets the host's real userspace: systemd-udevd
# with its rules, kmod's modprobe and depmod, Debian's driverctl, su.
#
#   vng.sh check NAME          the whole suite (scripts/guest-check.sh)
#   vng.sh tests NAME T.sh...  some kselftests of the package, one run of
#                              the kernel's run_kselftest.sh (section
#                              kselftest-run:vng), without KUnit
#
# Like vm.sh, it writes $DRVSIM_OUT/NAME.log (the console: kernel
# messages and the job's output, for scan-log.sh) and NAME.results (the
# sections results.py reads), and exits with the job's status (125: the
# guest did not finish). Environment: KDIR, FLAVOUR, DRVSIM_PARAMS,
# SAMPLES, HUNG_TASK_SECS, KMEMLEAK_SCAN, TIMEOUT, QEMU_SMP (vCPUs,
# default 2), QUIET=1 (do not stream the console).
#
# Nothing is written into KDIR (a shared cache): given a kernel build
# directory, vng would run virtme-prep-kdir-mods there. It gets a copy of
# the bzImage in a root of modules of our own instead,
# $DRVSIM_OUT/vng-NAME/root/lib/modules/<release>: the kernel's
# modules, drvsim's in extra/, and depmod's indexes, which is where vng
# looks for modules next to an image (its get_rootfs_from_kernel_path)
# and what it links to the guest's /lib/modules/<release>.
set -euo pipefail
. "$(dirname "$0")/env.sh"

mode=${1:?usage: vng.sh check|tests NAME [TEST.sh...]}
name=${2:?usage: vng.sh check|tests NAME [TEST.sh...]}
shift 2
: "${KDIR:?KDIR must name the kernel build directory}"
[ "$FLAVOUR" != arm64 ] || die "RUNNER=vng: x86-64 kernels only (FLAVOUR=$FLAVOUR)"
[ -x "$VNG" ] || "$DRVSIM_ROOT/scripts/bootstrap.sh" >&2
# vng runs virtme-run, from its venv, by name.
export PATH=${VNG%/*}:$PATH
SAMPLES=${SAMPLES:-drvsim_sample drvsim_faulty}
mkdir -p "$DRVSIM_OUT"
log=$DRVSIM_OUT/$name.log
results=$DRVSIM_OUT/$name.results
rel=$(cat "$KDIR/include/config/kernel.release")

# The root of modules and the image, rebuilt each run (a second of
# copying): the kernel's own modules (GPIO_SIM's and the like) by their
# path in the build, as modules_install lays them out.
# Per run: guests running at once (the gate's vng case, RUNNER=vng's
# suites) must not rebuild what another one reads.
base=$DRVSIM_OUT/vng-$name
root=$base/root
mods=$root/lib/modules/$rel
rm -rf "$root"
mkdir -p "$mods/kernel" "$mods/extra" "$root/boot"
(cd "$KDIR" && sed 's/\.o$/.ko/' modules.order) | while read -r ko; do
	mkdir -p "$mods/kernel/$(dirname "$ko")"
	cp "$KDIR/$ko" "$mods/kernel/$ko"
done
sed 's#^#kernel/#; s/\.o$/.ko/' "$KDIR/modules.order" > "$mods/modules.order"
cp "$KDIR/modules.builtin" "$KDIR/modules.builtin.modinfo" "$mods/"
cp "$(modules_dir)"/rust/drvsim.ko "$(modules_dir)"/samples/*.ko "$mods/extra/"
depmod -b "$root" "$rel"
cp "$KDIR/$(kernel_image)" "$root/boot/vmlinuz-$rel"

# The suite as a kselftest package; the guest reaches it through the
# host's root, at the same path.
pkg=$base/pkg
"$DRVSIM_ROOT/scripts/kselftest-install.sh" "$pkg"

# The job's directory, the guest's only writable view of the host
# (--rwdir): its settings in, its results out.
rw=$DRVSIM_OUT/$name.vng
rm -rf "$rw" "$results"
mkdir -p "$rw"
printf 'MODE=%q\nTESTS=%q\nPKG=%q\nDRVSIM_PARAMS=%q\nSAMPLES=%q\nHUNG_TASK_SECS=%q\nKMEMLEAK_SCAN=%q\n' \
	"$mode" "$*" "$pkg" "${DRVSIM_PARAMS:-}" "$SAMPLES" "${HUNG_TASK_SECS:-20}" \
	"${KMEMLEAK_SCAN:-1}" > "$rw/job.env"

# No coldplug: virtme-ng-init starts the host's udevd and replays every
# device's add event through the host's rules (`udevadm trigger`), which
# took over 6 minutes under TCG with KASAN, for devices drvsim's tests
# never look at. The init runs udevadm by PATH, which the kernel passes
# it from the command line: ours finds a udevadm that ignores "trigger"
# and runs the real one for anything else. vng-guest.sh stops that udevd
# before the tests; autoload_on (tests/lib/drvsim.sh) starts it again
# when a test needs it.
noplug=$base/no-coldplug
mkdir -p "$noplug"
printf '#!/bin/sh\n[ "$1" = trigger ] && exit 0\nexec /usr/bin/udevadm "$@"\n' > "$noplug/udevadm"
chmod 0755 "$noplug/udevadm"

# The machine: as vm.sh's, KVM where the probe proved it works; under
# TCG the guest is told the TSC's frequency (see vm.sh).
accel=$("$DRVSIM_ROOT/scripts/kvm-probe.sh" "$KDIR")
# qboot, as vm.sh: SeaBIOS (QEMU's default) under TCG lists only the boot
# CPU in its MP table, and a kernel without ACPI then runs on one CPU.
opts=("--qemu-opts=-bios /usr/share/qemu/qboot.rom")
# KUnit runs at each load of a module with suites: in "tests" mode,
# whose results hold no KUnit section, it would only cost time.
kunit=1
[ "$mode" = check ] || kunit=0
# The root over 9p with cache=loose (the last rootflags= wins over vng's):
# without a cache every exec read the host's binaries and libraries over
# 9p again; the host's root does not change under a run. autoload.sh's
# guest took 90 s instead of 182 s.
cmdline="kmemleak=on kasan_multi_shot kunit.enable=$kunit pty.legacy_count=0 PATH=$noplug:/usr/sbin:/usr/bin:/sbin:/bin"
cmdline+=" rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose"
if [[ $accel == *tcg* ]]; then
	opts+=(--disable-kvm)
	build_c "$DRVSIM_ROOT/scripts/tsc-khz.c" "$DRVSIM_OUT/tsc-khz"
	cmdline+=" tsc_early_khz=$("$DRVSIM_OUT/tsc-khz") tsc=reliable"
fi

# --verbose puts the console (kernel messages) on vng's stderr, the job's
# output on its stdout: both go to the log, as the default guest's
# console carries both.
note "guest log: $log"
rc=0
start=$SECONDS
(cd "$rw" && timeout -k 10 "${TIMEOUT:-900}" "$VNG" --run "$root/boot/vmlinuz-$rel" "${opts[@]}" \
	--cpus "${QEMU_SMP:-2}" --memory 2G --rwdir "$rw" --verbose \
	--append "$cmdline ${KERNEL_CMDLINE:-}" \
	--exec "$DRVSIM_ROOT/scripts/vng-guest.sh $rw") < /dev/null > "$log" 2>&1 &
pid=$!
[ "${QUIET:-0}" = 1 ] || tail -f --pid=$pid "$log" &
wait $pid || rc=$?
note "vng guest took $((SECONDS - start))s (vng exit $rc)"
[ ! -e "$rw/results" ] || cp "$rw/results" "$results"
[ -e "$results" ] || : > "$results"
guest_verdict "$results" "$log"
