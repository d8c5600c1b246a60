// SPDX-License-Identifier: GPL-2.0

//! compile-fail: E0521
//!
//! A `'bound` region kept in a `static`, which outlives the binding.

use kernel::{
    device::Core,
    prelude::*,
    sync::SetOnce, //
};

#[path = "../../rust/driver.rs"]
pub mod drvsim;

use drvsim::{
    region_io::BoundRegion,
    DeviceId, //
};

drvsim::drvsim_device_table!(IDS, (), [(DeviceId::new(c"cf"), ())]);

static KEPT: SetOnce<BoundRegion<'static>> = SetOnce::new();

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
        let region = dev.bound_region(0)?;
        KEPT.populate(region); //~ ERROR E0521
        Ok(())
    }
}

module_drvsim_driver! {
    type: Cf,
    name: "bound_into_static",
    authors: ["drvsim developers"],
    description: "compile-fail case",
    license: "GPL",
}
