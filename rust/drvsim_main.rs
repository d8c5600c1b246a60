// SPDX-License-Identifier: GPL-2.0

//! drvsim: a software bus for reproducing and testing device/driver
//! lifetime and locking bugs. See `Documentation/drvsim.rst`.

use kernel::prelude::*;

// The modules, bottom layer first; a module uses only modules of the
// layers above it in this list (`Documentation/drvsim.rst`, "Files").
// Bottom: ABI, parsing, sysfs tables, id tables, the register model, the
// simulated interrupt, the legacy override string, pause points.
// The files that driver modules include too are `pub` in every includer,
// so that what one of them leaves unused is interface, not dead code.
pub mod abi;
mod ids;
mod legacy_override;
pub mod parse;
mod pause;
mod regions;
mod sim_irq;
pub mod sysfs;
// Locks.
mod device_lock;
mod rescan_remove;
// The bus's namespace.
mod names;
// The device object.
mod device;
// Driver registrations; SR-IOV bookkeeping and attributes.
mod registration;
mod sriov;
// Adding and removing devices.
mod lifecycle;
// Top: the bus type, its attributes, the exports to driver modules.
mod bus;
mod bus_attrs;
mod exports;
mod lines;
// Outside the layers: positive controls, the drivers' resource wrappers
// (used through `rust/driver.rs`), here for their KUnit suites, and the
// KUnit suite of the kernel's own `Devres` and `Revocable`; the cdev layer.
pub mod cdev_layer;
pub mod devres_set;
mod kernel_devres;
pub mod revocable_variants;
mod selftest;

module! {
    type: Drvsim,
    name: "drvsim",
    authors: ["drvsim developers"],
    description: "Software bus for device/driver lifetime and locking tests",
    license: "GPL",
    params: {
        match_takes_device_lock: bool {
            default: false,
            description: "Broken design: take the device lock in match for callers that do not hold it (7.0-rc1, reverted)",
        },
        lockdep_device_class: bool {
            default: false,
            description: "Give each device lock its own lockdep class and annotate the lock in match, so lockdep reports drivers registered from probe",
        },
        legacy_rescan_remove: bool {
            default: false,
            description: "Broken design: a plain rescan/remove lock held around sriov_configure and taken by remove before releasing the driver (pre-patch PCI)",
        },
        legacy_remove_no_kill: bool {
            default: false,
            description: "Broken design: removal does not kill_device() the device before releasing its driver (PCI/IOV before v10), so a bind between the release and device_del() binds it again",
        },
        hot_unplug_takes_rescan_remove: bool {
            default: false,
            description: "Broken design: hot_unplug holds the rescan/remove lock across the whole removal, driver release included, as PCI's hotplug drivers do (AB-BA against a PF driver's unbind disabling SR-IOV)",
        },
        legacy_get_driver: bool {
            default: false,
            description: "Broken design: driver lookups (a companion's new_id) neither check nor pin the registration, match accepts drivers being unregistered, unregistration waits for nobody (get_driver() before the fix)",
        },
        legacy_dynid_leak: bool {
            default: false,
            description: "Broken design: a driver registration that fails after new_id was written does not free the dynamic ids (they leak)",
        },
        legacy_unload_poll: bool {
            default: false,
            description: "Broken design: module exit polls until no name is busy and the bus is empty, and waits for nobody else (a remove writer past its own attribute runs on in freed code)",
        },
        legacy_driver_override: bool {
            default: false,
            description: "Broken design: a bus-private driver_override string that match reads without a lock while a store frees it (before \"driver core: generalize driver_override in struct device\")",
        },
        legacy_devres_set_unlock: bool {
            default: false,
            description: "Broken design: a DevresSet member's early drop that loses the race to revocation returns without waiting for the drop",
        },
        selftest_kmemleak: bool {
            default: false,
            description: "At load, leak one allocation so that kmemleak reports it (positive control)",
        },
        selftest_kcsan_race: bool {
            default: false,
            description: "At load, let two threads race on a plain variable so that KCSAN reports it (positive control, FLAVOUR=kcsan)",
        },
        selftest_kasan: bool {
            default: false,
            description: "At load, read past an allocation so that KASAN reports it (positive control)",
        },
        selftest_lockdep_abba: bool {
            default: false,
            description: "At load, take two locks in both orders so that lockdep reports a circular dependency (positive control for the test suite's splat scanner)",
        },
        fail_init_step: u32 {
            default: 0,
            description: "Fault injection: fail module init with ENOMEM after this step (1: registry and debugfs knobs, 2: root device, 3: bus drvsim, 4: bus drvsim1); 0: never",
        },
    },
}

struct Drvsim;

impl kernel::Module for Drvsim {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        if module_parameters::selftest_lockdep_abba.value() {
            selftest::lockdep_abba()?;
        }
        if module_parameters::selftest_kmemleak.value() {
            selftest::kmemleak_leak()?;
        }
        if module_parameters::selftest_kasan.value() {
            selftest::kasan_out_of_bounds()?;
        }
        if module_parameters::selftest_kcsan_race.value() {
            selftest::kcsan_race()?;
        }
        lines::init();
        bus::register()?;
        pr_info!("drvsim: bus registered\n");
        Ok(Drvsim)
    }
}

impl Drop for Drvsim {
    fn drop(&mut self) {
        bus::unregister();
        lines::exit();
        pr_info!("drvsim: bus unregistered\n");
    }
}
