// SPDX-License-Identifier: GPL-2.0

//! The binary interface between `drvsim.ko` and the driver modules.
//!
//! Out-of-tree Rust modules cannot link against each other's Rust items, so
//! `drvsim.ko` exports plain C functions (`exports.c`) and every crate that
//! talks across the module boundary includes this one file with `#[path]`.
//! One definition on both sides means the layouts cannot drift apart.
//! See `Documentation/driver-api.rst`.

use core::sync::atomic::AtomicPtr;
use kernel::{
    bindings,
    error::{
        to_result,
        Result, //
    },
    ffi::{
        c_int,
        c_void, //
    },
    types::Opaque, //
};

extern "C" {
    /// 0, or the error the kernel's `fail_function` injects into it
    /// (`rust/exports.c`).
    fn drvsim_should_fail_alloc() -> c_int;
    /// The pause points that code outside `drvsim.ko`'s core reaches
    /// (`rust/pause.rs`, `rust/exports.rs`).
    fn drvsim_pause_register_window();
    fn drvsim_pause_revoke();
    fn drvsim_pause_sample_exit();
    fn drvsim_pause_unbind_devres(unused: *mut c_void);
    /// Whether `legacy_devres_set_unlock` restores `DevresSet`'s old
    /// revocation order (`rust/exports.rs`).
    fn drvsim_legacy_devres_set_unlock() -> bool;
}

/// A named pause point outside `drvsim.ko`'s core, see
/// `Documentation/sysfs.rst`, "Pause points".
#[derive(Clone, Copy)]
pub enum Pause {
    /// `register_window`: between `drvsim_pair`'s two registrations.
    RegisterWindow,
    /// `revoke`: in `DevresSet` revocation, after the gate is closed and
    /// before the members are dropped.
    Revoke,
    /// `sample_exit`: in `drvsim_faulty`'s exit, between unregistration and
    /// teardown.
    SampleExit,
}

/// Stops the current task at `point` if a test armed it; returns at once
/// otherwise. May sleep.
pub fn pause(point: Pause) {
    // SAFETY: functions without arguments that may sleep; every caller
    // runs in process context (module init and exit, unbind, file close).
    unsafe {
        match point {
            Pause::RegisterWindow => drvsim_pause_register_window(),
            Pause::Revoke => drvsim_pause_revoke(),
            Pause::SampleExit => drvsim_pause_sample_exit(),
        }
    }
}

/// Stops the current task at the `unbind_devres` pause point if a test
/// armed it (`drvsim_irq`'s device-managed action at unbind). May sleep.
pub fn pause_unbind_devres() {
    // SAFETY: a function that ignores its argument and may sleep; devres
    // actions run in process context.
    unsafe { drvsim_pause_unbind_devres(core::ptr::null_mut()) }
}

/// Whether `drvsim.ko`'s `legacy_devres_set_unlock` is set: a `DevresSet`
/// member's early drop that loses to revocation then returns without
/// waiting for the drop, as before the hardening issue's fix
/// (`Documentation/bugs.rst`).
pub fn legacy_devres_set_unlock() -> bool {
    // SAFETY: a C function without arguments or side effects.
    unsafe { drvsim_legacy_devres_set_unlock() }
}

/// A fault-injection point, called right before each allocation drvsim
/// makes when it creates a device or VFs, probes, or adds a dynamic id:
/// `Err` (the tests inject `ENOMEM`) when `fail_function` makes this
/// allocation fail, see `Documentation/testing.rst`.
pub fn should_fail_alloc() -> Result {
    // SAFETY: a C function without arguments or side effects.
    to_result(unsafe { drvsim_should_fail_alloc() })
}

/// Which of `drvsim.ko`'s two bus instances a device lives on or a driver
/// registers on: the same bus code registered twice, as `drvsim` and
/// `drvsim1` (`Documentation/drvsim.rst`, "The second bus").
#[repr(u32)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Bus {
    /// `/sys/bus/drvsim`, where every device and driver lives by default.
    Drvsim = 0,
    /// `/sys/bus/drvsim1`, for a driver on one bus that serves devices of
    /// the other (the transitive case of the locked-match thread).
    Drvsim1 = 1,
}

impl Bus {
    /// Both buses, in registration order.
    pub const ALL: [Bus; 2] = [Bus::Drvsim, Bus::Drvsim1];

    /// The index of the bus in [`Bus::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Size of a device type name buffer, including the terminating NUL.
pub const TYPE_LEN: usize = 32;

/// One entry of a driver's id table: a device type and the driver's data
/// index for it. The table ends with an entry whose `type_` is empty.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct DeviceIdRaw {
    /// NUL-terminated device type, as given by `new_device type=<type>`.
    pub type_: [u8; TYPE_LEN],
    /// Index into the driver's id info table.
    pub driver_data: usize,
}

/// Called by the bus to probe a matched device; returns 0 or a negative errno.
pub type ProbeFn =
    unsafe extern "C" fn(dev: *mut bindings::device, id: *const DeviceIdRaw) -> c_int;
/// Called by the bus when the device is unbound from the driver.
pub type RemoveFn = unsafe extern "C" fn(dev: *mut bindings::device);
/// Called with the device lock held to set the number of enabled VFs; returns
/// the new count or a negative errno.
pub type SriovConfigureFn =
    unsafe extern "C" fn(dev: *mut bindings::device, num_vfs: c_int) -> c_int;
/// Called by the bus from `device_shutdown()` (reboot, power-off), with
/// the device lock held, for a device bound to the driver.
pub type ShutdownFn = unsafe extern "C" fn(dev: *mut bindings::device);

/// A driver on the `drvsim` bus, as the bus sees it.
///
/// The driver module owns the memory; `drvsim.ko` owns `bus_private`
/// between `drvsim_driver_register()` and `drvsim_driver_unregister()`.
///
/// # Invariants
///
/// `id_table` is NULL or a table terminated by an entry with an empty
/// type that lives as long as the `DriverRaw`. `id_table`, the callbacks
/// and `companion` are set before the driver is registered and never
/// change while it is; the driver core changes `driver` under its own
/// locks, hence `Opaque`.
#[repr(C)]
pub struct DriverRaw {
    /// The driver core's view; its `bus` is set by `drvsim_driver_register()`.
    pub driver: Opaque<bindings::device_driver>,
    /// The bus to register on (all-zero: [`Bus::Drvsim`]).
    pub bus: Bus,
    /// The id table, terminated by an entry with an empty type.
    pub id_table: *const DeviceIdRaw,
    /// Probe callback, mandatory.
    pub probe: Option<ProbeFn>,
    /// Remove callback, optional.
    pub remove: Option<RemoveFn>,
    /// SR-IOV configure callback, optional.
    pub sriov_configure: Option<SriovConfigureFn>,
    /// Shutdown callback, optional.
    pub shutdown: Option<ShutdownFn>,
    /// The bus's per-registration state; opaque to drivers.
    pub bus_private: AtomicPtr<c_void>,
    /// Where the driver whose id list this driver's `new_id` and
    /// `remove_id` feed is published (usb-serial's `usb_serial_driver`
    /// pointing at its `usb_driver`), or NULL: they feed this driver.
    pub companion: *const DriverSlot,
    /// Where this driver publishes itself, or NULL: what the bus tells its
    /// registrations apart by (an address can be reused, a slot, a static
    /// of a loaded module, cannot).
    pub slot: *const DriverSlot,
}

/// A published pointer to a driver, registered or not: set when its
/// registration begins and cleared once its unregistration has returned,
/// so a reader may find a driver that is not (yet), or no longer,
/// registered (the situation of the `get_driver()` thread,
/// `shared/seeds/get-driver-lifetime.txt`). The bus looks registrations up
/// by the slot itself and never dereferences what it holds, but in the
/// legacy design that restores that bug.
#[repr(transparent)]
pub struct DriverSlot(pub AtomicPtr<DriverRaw>);

impl DriverRaw {
    /// The embedded `struct device_driver`.
    pub fn as_raw(&self) -> *mut bindings::device_driver {
        self.driver.get()
    }
}

impl Default for DriverRaw {
    fn default() -> Self {
        // SAFETY: every field is an integer, a raw pointer, an atomic
        // pointer, an `Option` of a function pointer (or a C struct of
        // those) or a `Bus`, for which all-zero is a valid value: 0, NULL,
        // `None`, `Bus::Drvsim`.
        // INVARIANT: no id table.
        unsafe { core::mem::zeroed() }
    }
}
