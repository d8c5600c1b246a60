// SPDX-License-Identifier: GPL-2.0

//! Drivers on both drvsim buses that stage the transitive case of the
//! locked-match thread (Danilo Krummrich: a probe on bus A deploys devices
//! on bus B, and a probe on bus B registers a driver for bus A), and the
//! pattern that avoids it (Cristian Marussi's fix of Uwe Kleine-König's
//! stm32mp135f/SCMI report). See `Documentation/bugs.rst`.
//!
//! Three drivers, by device type:
//!
//! - `drvsim_transitive_a` on `drvsim`, for `transitive-a`: the parent;
//! - `drvsim_transitive_b` on `drvsim1`, for `transitive-b`: the child;
//! - `drvsim_transitive_a2` on `drvsim`, for `transitive-a2`: what a
//!   child's probe registers for bus A (`platform_driver_register()` in
//!   `scmi_optee_service_probe()`).
//!
//! By default (Cristian's pattern) the module registers all three at
//! init, and a parent's probe returns `-EPROBE_DEFER` until its child, the
//! `drvsim1` device named `<parent>-b`, is bound; the child's bind
//! triggers the deferred probe, which binds the parent. No probe
//! registers a driver.
//!
//! With `legacy_register_from_probe=1` (the broken pattern) the module
//! registers the parent only; a parent's probe registers the child driver
//! (whose registration matches, and with 7.0-rc1's locked match locks,
//! every `drvsim1` device: A's lock, then B's), and a child's probe
//! registers `drvsim_transitive_a2` (which locks every `drvsim` device in
//! match: B's lock, then A's). Each registration belongs to the binding
//! that made it and goes with its unbind. A child probed inside its
//! parent's probe (by the registration of its driver) leaves the second
//! registration to its next bind: in the same bind it would lock its
//! parent's lock again, a real self-deadlock on 7.0-rc1 that would hang
//! the guest; in two binds the cycle is one lockdep reports
//! (`tests/controls/transitive_register_from_probe.sh`).

use core::sync::atomic::{
    AtomicPtr,
    Ordering, //
};
use kernel::{
    bindings,
    device::Core,
    driver,
    prelude::*,
    task::Task,
    InPlaceModule,
    ThisModule, //
};

#[path = "../rust/driver.rs"]
pub mod drvsim;
#[path = "../rust/parse.rs"]
pub mod parse;

use drvsim::DeviceId;
use parse::Name;

module! {
    type: TransitiveModule,
    name: "drvsim_transitive",
    authors: ["drvsim developers"],
    description: "drvsim drivers on both buses: drivers registered from probe across buses, or deferred probe",
    license: "GPL",
    params: {
        legacy_register_from_probe: bool {
            default: false,
            description: "Broken pattern: a parent's probe registers the drvsim1 child driver, whose probe registers a drvsim driver (a lock cycle across the buses with a locked match)",
        },
    },
}

/// The registration of one of this module's drivers, boxed so that a
/// binding or the module can own it.
type Reg<T> = Pin<KBox<driver::Registration<drvsim::Adapter<T>>>>;

/// Suffix of a parent's child's name: `<parent>-b`.
const CHILD_SUFFIX: &[u8] = b"-b";

kernel::sync::global_lock! {
    // SAFETY: initialised in module init before any driver registers.
    /// The names of the bound children (Cristian's pattern).
    unsafe(uninit) static BOUND_CHILDREN: Mutex<KVec<Name>> = KVec::new();
}

/// The task inside a parent's probe while it registers the child driver
/// (broken pattern): a child probed by that registration is nested in its
/// parent's probe.
static PARENT_PROBING: AtomicPtr<bindings::task_struct> = AtomicPtr::new(core::ptr::null_mut());

/// Whether the module registers drivers from probe.
fn legacy() -> bool {
    module_parameters::legacy_register_from_probe.value()
}

/// The name of `parent`'s child.
fn child_name(parent: &[u8]) -> Result<Name> {
    let mut buf = [0u8; parse::NAME_MAX + 1];
    let len = parent.len() + CHILD_SUFFIX.len();
    if len > parse::NAME_MAX {
        return Err(EINVAL);
    }
    buf[..parent.len()].copy_from_slice(parent);
    buf[parent.len()..len].copy_from_slice(CHILD_SUFFIX);
    Name::parse(&buf[..len])
}

/// Registers one of this module's drivers.
fn register<T: drvsim::Driver + 'static>(name: &'static CStr) -> Result<Reg<T>> {
    KBox::pin_init(driver::Registration::new(name, &THIS_MODULE), GFP_KERNEL)
}

drvsim::drvsim_device_table!(PARENT_IDS, (), [(DeviceId::new(c"transitive-a"), ())]);
drvsim::drvsim_device_table!(CHILD_IDS, (), [(DeviceId::new(c"transitive-b"), ())]);
drvsim::drvsim_device_table!(REVERSE_IDS, (), [(DeviceId::new(c"transitive-a2"), ())]);

/// The parent driver, on `drvsim`.
struct ParentDriver;

#[vtable]
impl drvsim::Driver for ParentDriver {
    type IdInfo = ();
    /// The child driver, when this binding registered it.
    type Data<'bound> = Option<Reg<ChildDriver>>;
    const ID_TABLE: drvsim::IdTable<()> = &PARENT_IDS;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let name = dev.as_ref().name().to_bytes();
        if !legacy() {
            let child = child_name(name)?;
            if !BOUND_CHILDREN.lock().contains(&child) {
                dev_info!(
                    dev.as_ref(),
                    "drvsim_transitive: child not bound, deferring\n"
                );
                return Err(EPROBE_DEFER);
            }
            dev_info!(dev.as_ref(), "drvsim_transitive: parent bound\n");
            return Ok(None);
        }
        // The anti-pattern: a driver for the other bus, from probe.
        PARENT_PROBING.store(Task::current_raw(), Ordering::Release);
        let child = register::<ChildDriver>(c"drvsim_transitive_b");
        PARENT_PROBING.store(core::ptr::null_mut(), Ordering::Release);
        dev_info!(
            dev.as_ref(),
            "drvsim_transitive: parent registered drvsim_transitive_b\n"
        );
        child.map(Some)
    }
}

/// What a bound child keeps.
struct ChildData {
    /// Its name, listed in [`BOUND_CHILDREN`] while bound.
    name: Name,
    /// `drvsim_transitive_a2`, when this binding registered it.
    _reverse: Option<Reg<ReverseDriver>>,
}

/// The child driver, on `drvsim1`.
struct ChildDriver;

#[vtable]
impl drvsim::Driver for ChildDriver {
    type IdInfo = ();
    type Data<'bound> = ChildData;
    const ID_TABLE: drvsim::IdTable<()> = &CHILD_IDS;
    const BUS: drvsim::Bus = drvsim::Bus::Drvsim1;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let name = Name::parse(dev.as_ref().name().to_bytes())?;
        let nested = PARENT_PROBING.load(Ordering::Acquire) == Task::current_raw();
        let reverse = if legacy() && !nested {
            // The anti-pattern's second half: a driver for bus A, from a
            // probe on bus B.
            let r = register::<ReverseDriver>(c"drvsim_transitive_a2")?;
            dev_info!(
                dev.as_ref(),
                "drvsim_transitive: child registered drvsim_transitive_a2\n"
            );
            Some(r)
        } else {
            None
        };
        BOUND_CHILDREN.lock().push(name, GFP_KERNEL)?;
        Ok(ChildData {
            name,
            _reverse: reverse,
        })
    }

    fn unbind<'bound>(_dev: &'bound drvsim::Device<Core<'_>>, this: Pin<&ChildData>) {
        BOUND_CHILDREN.lock().retain(|n| *n != this.name);
    }
}

/// The driver for bus A that a child's probe registers (broken pattern)
/// or the module registers (Cristian's pattern).
struct ReverseDriver;

#[vtable]
impl drvsim::Driver for ReverseDriver {
    type IdInfo = ();
    type Data<'bound> = ();
    const ID_TABLE: drvsim::IdTable<()> = &REVERSE_IDS;

    fn probe<'bound>(
        _dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<(), Error> + 'bound {
        Ok(())
    }
}

/// The module: the parent driver, and in Cristian's pattern the child and
/// reverse drivers, registered at init. Fields drop in declaration order:
/// the parent first, so that its bindings (and what they registered) go
/// before the children.
#[pin_data]
struct TransitiveModule {
    #[pin]
    parent: driver::Registration<drvsim::Adapter<ParentDriver>>,
    _child: Option<Reg<ChildDriver>>,
    _reverse: Option<Reg<ReverseDriver>>,
    /// Frees the child list, last.
    _teardown: Teardown,
}

/// Frees [`BOUND_CHILDREN`]'s buffer at module exit: a global outlives
/// the module's data (kmemleak would report it).
struct Teardown;

impl Drop for Teardown {
    fn drop(&mut self) {
        *BOUND_CHILDREN.lock() = KVec::new();
    }
}

/// This module, for the registrations made from probe.
static THIS_MODULE: ThisModule = <TransitiveModule as kernel::ModuleMetadata>::THIS_MODULE;

impl InPlaceModule for TransitiveModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: called once, before any driver registers.
        unsafe { BOUND_CHILDREN.init() };
        // Children first: a parent probed at its registration finds its
        // child bound already.
        try_pin_init!(Self {
            _teardown: Teardown,
            _child: (!legacy())
                .then(|| register::<ChildDriver>(c"drvsim_transitive_b"))
                .transpose()?,
            _reverse: (!legacy())
                .then(|| register::<ReverseDriver>(c"drvsim_transitive_a2"))
                .transpose()?,
            parent <- driver::Registration::new(c"drvsim_transitive_a", module),
        })
    }
}
