// SPDX-License-Identifier: GPL-2.0

//! Two drivers registered the way usb-serial registered its drivers, to
//! show that the window of `shared/seeds/get-driver-lifetime.txt` is closed.
//!
//! usb-serial registered its `usb_serial_driver` (whose `new_id` adds ids
//! to, and attaches, the `usb_driver` it points to) before that
//! `usb_driver`; a `new_id` write in between handed `get_driver()` a driver
//! that was not registered, and the kernel crashed. Here `drvsim_pair`
//! (binds `pair-front`) plays the `usb_serial_driver`: its `new_id` and
//! `remove_id` feed its companion `drvsim_pair_companion` (binds `pair`),
//! registered second and unregistered first. `window_ms` holds the window
//! between the two registrations open; `probe_ms` makes the companion's
//! probe slow, so that an attach can be in flight during `rmmod`.
//!
//! The sample checks every probe, at entry and at exit, against its own
//! record of each driver's registration (from the start of its
//! registration until its unregistration has returned) and reports one
//! outside it as a `BUG:` line, which the test suite's log scan flags.

use core::sync::atomic::{
    AtomicBool,
    AtomicU32,
    Ordering, //
};
use kernel::{
    bindings,
    device::Core,
    driver,
    prelude::*,
    ThisModule, //
};

#[path = "../rust/driver.rs"]
pub mod drvsim;

use drvsim::{
    DeviceId,
    DriverSlot, //
};

module! {
    type: PairModule,
    name: "drvsim_pair",
    authors: ["drvsim developers"],
    description: "drvsim driver pair registered in usb-serial's order",
    license: "GPL",
    params: {
        window_ms: u32 {
            default: 0,
            description: "Sleep between registering drvsim_pair and its companion (usb-serial's window), at most 60000",
        },
        probe_ms: u32 {
            default: 0,
            description: "How long the companion's probe takes, at most 10000",
        },
    },
}

/// Where the companion is published, from the start of its registration.
static COMPANION_SLOT: DriverSlot = DriverSlot::new();

/// One of the sample's drivers, as the sample sees its registration.
struct Tracked {
    name: &'static str,
    /// From the start of its registration until its unregistration (or a
    /// failed registration) has returned.
    live: AtomicBool,
}

static FRONT: Tracked = Tracked {
    name: "drvsim_pair",
    live: AtomicBool::new(false),
};
static COMPANION: Tracked = Tracked {
    name: "drvsim_pair_companion",
    live: AtomicBool::new(false),
};
/// Probes run, and probes seen outside their driver's registration.
static PROBES: AtomicU32 = AtomicU32::new(0);
static VIOLATIONS: AtomicU32 = AtomicU32::new(0);

impl Tracked {
    /// Reports a probe (at `when`: entry or exit) outside the registration.
    fn check(&self, dev: &drvsim::Device<Core<'_>>, when: &str) {
        if !self.live.load(Ordering::Acquire) {
            VIOLATIONS.fetch_add(1, Ordering::Relaxed);
            dev_err!(
                dev.as_ref(),
                "BUG: drvsim_pair: probe {} by {} outside its registration\n",
                when,
                self.name
            );
        }
    }

    /// A probe of this driver that takes `ms` (at most 10 s), checked at
    /// entry and exit.
    fn probe(&self, dev: &drvsim::Device<Core<'_>>, ms: u32) -> Result {
        PROBES.fetch_add(1, Ordering::Relaxed);
        self.check(dev, "entry");
        if ms > 0 {
            // SAFETY: probe runs in process context.
            unsafe { bindings::msleep(ms.min(10_000)) };
        }
        self.check(dev, "exit");
        Ok(())
    }
}

drvsim::drvsim_device_table!(FRONT_IDS, (), [(DeviceId::new(c"pair-front"), ())]);
drvsim::drvsim_device_table!(COMPANION_IDS, (), [(DeviceId::new(c"pair"), ())]);

/// The `usb_serial_driver` of the pair: its `new_id` feeds the companion.
struct Front;

#[vtable]
impl drvsim::Driver for Front {
    type IdInfo = ();
    type Data<'bound> = ();
    const ID_TABLE: drvsim::IdTable<()> = &FRONT_IDS;
    const COMPANION: Option<&'static DriverSlot> = Some(&COMPANION_SLOT);

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<(), Error> + 'bound {
        FRONT.probe(dev, 0)
    }
}

/// The `usb_driver` of the pair.
struct Companion;

#[vtable]
impl drvsim::Driver for Companion {
    type IdInfo = ();
    type Data<'bound> = ();
    const ID_TABLE: drvsim::IdTable<()> = &COMPANION_IDS;
    const SLOT: Option<&'static DriverSlot> = Some(&COMPANION_SLOT);

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<(), Error> + 'bound {
        COMPANION.probe(dev, module_parameters::probe_ms.value())
    }
}

type Reg<T> = Pin<KBox<driver::Registration<drvsim::Adapter<T>>>>;

/// Registers `T` as `name`, recording the registration in `t`.
fn register<T: drvsim::Driver + 'static>(
    name: &'static CStr,
    t: &Tracked,
    module: &'static ThisModule,
) -> Result<Reg<T>> {
    t.live.store(true, Ordering::Release);
    KBox::pin_init(driver::Registration::new(name, module), GFP_KERNEL)
        .inspect_err(|_| t.live.store(false, Ordering::Release))
}

/// Unregisters (drops) `reg`, then records that its unregistration returned.
fn unregister<T: drvsim::Driver + 'static>(reg: Option<Reg<T>>, t: &Tracked) {
    drop(reg);
    t.live.store(false, Ordering::Release);
}

/// The module: both registrations, the front first.
struct PairModule {
    front: Option<Reg<Front>>,
    companion: Option<Reg<Companion>>,
}

impl kernel::Module for PairModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let front = register::<Front>(c"drvsim_pair", &FRONT, module)?;
        let ms = module_parameters::window_ms.value().min(60_000);
        if ms > 0 {
            // SAFETY: module init runs in process context.
            unsafe { bindings::msleep(ms) };
        }
        drvsim::abi::pause(drvsim::abi::Pause::RegisterWindow);
        match register::<Companion>(c"drvsim_pair_companion", &COMPANION, module) {
            Ok(companion) => Ok(Self {
                front: Some(front),
                companion: Some(companion),
            }),
            Err(e) => {
                unregister(Some(front), &FRONT);
                Err(e)
            }
        }
    }
}

impl Drop for PairModule {
    fn drop(&mut self) {
        unregister(self.companion.take(), &COMPANION);
        unregister(self.front.take(), &FRONT);
        pr_info!(
            "drvsim_pair: {} probes, {} outside their registration\n",
            PROBES.load(Ordering::Relaxed),
            VIOLATIONS.load(Ordering::Relaxed)
        );
    }
}
