// SPDX-License-Identifier: GPL-2.0

//! A well-behaved driver for drvsim devices of type `sample` and `sample-vf`.

use kernel::{device::Core, prelude::*};

#[path = "../rust/driver.rs"]
mod drvsim;

use drvsim::DeviceId;

/// What the sample binds, per id.
struct Info {
    is_vf: bool,
}

drvsim::drvsim_device_table!(
    SAMPLE_IDS,
    Info,
    [(DeviceId::new(c"sample"), Info { is_vf: false }), (DeviceId::new(c"sample-vf"), Info { is_vf: true })]
);

/// The sample driver.
struct SampleDriver;

/// Per-device state of a bound sample device.
struct SampleData {
    is_vf: bool,
}

#[vtable]
impl drvsim::Driver for SampleDriver {
    type IdInfo = Info;
    type Data<'bound> = SampleData;
    const ID_TABLE: drvsim::IdTable<Info> = &SAMPLE_IDS;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        info: Option<&'bound Info>,
    ) -> impl PinInit<SampleData, Error> + 'bound {
        let is_vf = info.is_some_and(|i| i.is_vf);
        dev_info!(dev.as_ref(), "drvsim_sample: probe (type {}, vf {})\n", dev.type_name().to_str().unwrap_or("?"), is_vf);
        Ok(SampleData { is_vf })
    }

    fn unbind<'bound>(dev: &'bound drvsim::Device<Core<'_>>, this: Pin<&SampleData>) {
        dev_info!(dev.as_ref(), "drvsim_sample: unbind (vf {})\n", this.is_vf);
        // As real PF drivers do in remove: this is what makes the SR-IOV
        // rescan/remove deadlock reachable.
        if dev.sriov_num_vfs() > 0 {
            dev.sriov_disable();
        }
    }

    fn sriov_configure<'bound>(dev: &'bound drvsim::Device<Core<'_>>, _this: Pin<&SampleData>, num_vfs: u32) -> Result<u32> {
        if num_vfs == 0 {
            dev.sriov_disable();
        } else {
            dev.sriov_enable(num_vfs)?;
        }
        Ok(num_vfs)
    }
}

drvsim::module_drvsim_driver! {
    type: SampleDriver,
    name: "drvsim_sample",
    authors: ["drvsim developers"],
    description: "drvsim sample driver",
    license: "GPL",
}
