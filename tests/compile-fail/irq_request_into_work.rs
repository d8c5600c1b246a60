// SPDX-License-Identifier: GPL-2.0

//! compile-fail: E0521
//!
//! An interrupt request of the bound device moved into a work item, which
//! can run after unbind: a handler registered there would outlive the
//! binding (`rust/irq.rs`; `Documentation/bugs.rst`, row 21, is the run-time
//! half).

use kernel::{
    device::Core,
    prelude::*,
    workqueue, //
};

#[path = "../../rust/driver.rs"]
pub mod drvsim;

use drvsim::DeviceId;

drvsim::drvsim_device_table!(IDS, (), [(DeviceId::new(c"cf"), ())]);

struct Cf;

#[vtable]
impl drvsim::Driver for Cf {
    type IdInfo = ();
    type Data<'bound> = ();
    const ID_TABLE: drvsim::IdTable<()> = &IDS;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<(), Error> + 'bound {
        let request = dev.irq_by_index(0)?;
        workqueue::system().try_spawn(GFP_KERNEL, move || { //~ ERROR E0521
            let _ = request.irq();
        })?;
        Ok(())
    }
}

module_drvsim_driver! {
    type: Cf,
    name: "irq_request_into_work",
    authors: ["drvsim developers"],
    description: "compile-fail case",
    license: "GPL",
}
