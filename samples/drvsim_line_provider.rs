// SPDX-License-Identifier: GPL-2.0

//! The provider of `Documentation/resources.rst`, "Resources one device
//! lends another": binds drvsim devices of type `provider` and offers each
//! one's line (one value register, GPIO-like, in the driver data) to the
//! devices that name it as their `supplier`. Its unbind withdraws the
//! line, then its driver data, the register with it, is freed: what a
//! consumer that kept a bare pointer reads next is freed memory.

use core::sync::atomic::{
    AtomicU32,
    Ordering, //
};
use kernel::{
    device::Core,
    prelude::*, //
};

#[path = "../rust/driver.rs"]
pub mod drvsim;

use drvsim::DeviceId;

drvsim::drvsim_device_table!(PROVIDER_IDS, (), [(DeviceId::new(c"provider"), ())]);

/// The register's value after probe, so that a test can tell a read of
/// the line from garbage.
const LINE_RESET: u32 = 0x11e;

/// A bound provider.
#[pin_data]
struct ProviderData {
    /// The line's register: its own allocation, whose address the line
    /// hands out, so that it stays put while the driver data is built.
    value: KBox<AtomicU32>,
    /// Offered once `value` is in place, last, so that nothing offered
    /// stays behind a failed probe.
    offered: (),
}

/// The provider driver.
struct ProviderDriver;

#[vtable]
impl drvsim::Driver for ProviderDriver {
    type IdInfo = ();
    type Data<'bound> = ProviderData;
    const ID_TABLE: drvsim::IdTable<()> = &PROVIDER_IDS;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<ProviderData, Error> + 'bound {
        try_pin_init!(ProviderData {
            value: KBox::new(AtomicU32::new(LINE_RESET), GFP_KERNEL)?,
            offered: {
                // SAFETY: the box is dropped with the driver data, after
                // `unbind` has withdrawn the line.
                unsafe { dev.provide_line(value) }?;
                dev_info!(dev.as_ref(), "drvsim_line_provider: line offered\n");
            },
        }? Error)
    }

    fn unbind<'bound>(dev: &'bound drvsim::Device<Core<'_>>, this: Pin<&ProviderData>) {
        dev.withdraw_line();
        dev_info!(
            dev.as_ref(),
            "drvsim_line_provider: line withdrawn (value {:#x})\n",
            this.value.load(Ordering::Relaxed)
        );
    }
}

module_drvsim_driver! {
    type: ProviderDriver,
    name: "drvsim_line_provider",
    authors: ["drvsim developers"],
    description: "drvsim provider of a line (one value register) that other devices' drivers take",
    license: "GPL",
}
