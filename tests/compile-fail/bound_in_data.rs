// SPDX-License-Identifier: GPL-2.0

//! compile-pass
//!
//! The correct use: `'bound` regions in the driver data, used from the
//! driver's callbacks.

use kernel::{
    device::Core,
    prelude::*, //
};

#[path = "../../rust/driver.rs"]
pub mod drvsim;

use drvsim::{
    region_io::BoundRegion,
    DeviceId, //
};

drvsim::drvsim_device_table!(IDS, (), [(DeviceId::new(c"cf"), ())]);

struct Cf;

#[vtable]
impl drvsim::Driver for Cf {
    type IdInfo = ();
    type Data<'bound> = KVec<BoundRegion<'bound>>;
    const ID_TABLE: drvsim::IdTable<()> = &IDS;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<KVec<BoundRegion<'bound>>, Error> + 'bound {
        let mut regions = KVec::new();
        for i in 0..dev.region_count() {
            let region = dev.bound_region(i)?;
            region.write32(0, 4)?;
            regions.push(region, GFP_KERNEL)?;
        }
        Ok(regions)
    }

    fn unbind<'bound>(
        _dev: &'bound drvsim::Device<Core<'_>>,
        this: Pin<&KVec<BoundRegion<'bound>>>,
    ) {
        for region in this.iter() {
            let _ = region.write32(0, 4);
        }
    }
}

module_drvsim_driver! {
    type: Cf,
    name: "bound_in_data",
    authors: ["drvsim developers"],
    description: "compile-pass case",
    license: "GPL",
}
