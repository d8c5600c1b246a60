// SPDX-License-Identifier: GPL-2.0

//! compile-fail: E0521
//!
//! A `'bound` region in an `Arc` of the kind an open file holds (a misc
//! device's `Ptr` is `'static`): the file outlives the binding.

use kernel::{
    device::Core,
    prelude::*,
    sync::Arc, //
};

#[path = "../../rust/driver.rs"]
pub mod drvsim;

use drvsim::{
    region_io::BoundRegion,
    DeviceId, //
};

drvsim::drvsim_device_table!(IDS, (), [(DeviceId::new(c"cf"), ())]);

/// Shares `data` with the device's open files: an `Arc` that each open
/// file keeps, so `'static`, as a misc device's `Ptr` must be.
fn share_with_files<T: Send + Sync + 'static>(data: T) -> Result<Arc<T>> {
    Ok(Arc::new(data, GFP_KERNEL)?)
}

struct Cf;

#[vtable]
impl drvsim::Driver for Cf {
    type IdInfo = ();
    type Data<'bound> = Arc<BoundRegion<'bound>>;
    const ID_TABLE: drvsim::IdTable<()> = &IDS;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<Arc<BoundRegion<'bound>>, Error> + 'bound {
        share_with_files(dev.bound_region(0)?) //~ ERROR E0521
    }
}

module_drvsim_driver! {
    type: Cf,
    name: "bound_into_file_arc",
    authors: ["drvsim developers"],
    description: "compile-fail case",
    license: "GPL",
}
