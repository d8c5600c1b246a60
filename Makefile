# SPDX-License-Identifier: GPL-2.0
# drvsim: the commands people run. Kbuild (the file `Kbuild`) is what the
# kernel's build reads when this tree is built as an external module.
#
#   make            toolchain + kernel (cached) + modules
#   make vm         interactive guest with drvsim, samples and a topology
#   make run SCRIPT=x.sh   run x.sh in a guest, exit with its status
#   make check      the whole test suite (style checks included)
#   make check RUNNER=vng   the same, its suites under virtme-ng on the
#                   host's userspace (udevd, kmod, driverctl)
#   make fmt        format the Rust code (rustfmt, the kernel's .rustfmt.toml)
#   make bench      the benchmarks, as tables (BENCH="irq cdev_layer": only those)
#   make soak       10,000 hot-plug cycles: kmemleak and slab usage; 600 s of chaos
#   make kselftest-install [INSTALL_PATH=dir]   the suite as a kselftest package
#   make kselftest-tar     the same, packed: .out/kselftest.tar.gz
#   make config-fragment   what a kernel of your own needs (a config fragment)
#   make hit-rate   how often hammering hits each race without pause points
#   make mutants [MUTANTS="a b"]   the suite against kernels with bugs put back
#                   (tests/mutants/): a table of killed and survived
#   make KDIR=/path/to/built/kernel ...   use your own Rust-enabled tree
#   FLAVOUR=debug|kcsan|prod|arm64   the kernel (Documentation/testing.rst,
#                   "Kernel flavours"): make, vm, run use debug unless told,
#                   check runs debug and kcsan, bench runs prod

S := scripts
# The kernel build directory: the user's KDIR, or the cached build.
kdir = $(shell FLAVOUR=$(FLAVOUR) KDIR=$(KDIR) $(S)/kdir.sh || echo KDIR-FAILED)

.PHONY: all modules vm run check fmt bench soak kselftest-install kselftest-tar config-fragment hit-rate mutants clean

# Where `make kselftest-install` puts the package (as the kernel's
# `make kselftest-install`, which takes INSTALL_PATH too).
INSTALL_PATH ?= $(CURDIR)/.out/kselftest_install
all modules:
	@K=$(kdir); [ "$$K" != KDIR-FAILED ] && $(S)/modules.sh "$$K"

vm: modules
	KDIR=$(kdir) $(S)/vm.sh vm

run: modules
	@[ -n "$(SCRIPT)" ] || { echo "usage: make run SCRIPT=path/to/script.sh" >&2; exit 2; }
	KDIR=$(kdir) $(S)/vm.sh run "$(SCRIPT)" run

check:
	CHECK_FLAVOURS="$(if $(FLAVOUR),$(FLAVOUR),debug kcsan)" $(S)/check.sh

fmt:
	KDIR=$(KDIR) $(S)/style.sh fmt

# The benchmarks measure what a user's kernel pays: prod unless told.
bench: export FLAVOUR := $(if $(FLAVOUR),$(FLAVOUR),prod)
bench: modules
	KDIR=$(kdir) $(S)/bench.sh

soak: modules
	KDIR=$(kdir) $(S)/soak.sh

kselftest-install: modules
	KDIR=$(kdir) $(S)/kselftest-install.sh "$(INSTALL_PATH)"
	@echo "kselftest package: $(INSTALL_PATH) (run ./run_kselftest.sh there as root)"

kselftest-tar: kselftest-install
	@mkdir -p .out
	tar -C "$(INSTALL_PATH)" -czf .out/kselftest.tar.gz .
	@echo "kselftest package: .out/kselftest.tar.gz"

config-fragment:
	@cat $(S)/required.config

hit-rate: modules
	KDIR=$(kdir) $(S)/hit-rate.sh

mutants:
	MUTANTS="$(MUTANTS)" $(S)/mutants.sh

clean:
	rm -rf .out
	find rust samples \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.d' -o -name 'modules.order' -o -name '*.rmeta' \) -delete
	rm -f Module.symvers modules.order .modules.order.cmd .Module.symvers.cmd
