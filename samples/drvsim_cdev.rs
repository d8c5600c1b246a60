// SPDX-License-Identifier: GPL-2.0

//! A driver of the cdev layer (`rust/cdev_layer.rs`) for drvsim devices of
//! type `cdev`: `/dev/drvsim-cdev-<name>` has a blocking `read()` of
//! events that `write()` posts, `poll()`, an `mmap()` of a one-page
//! register region, and a `release()` that does device work. The driver
//! has no revocable, no SRCU and no unbind code of its own: the layer
//! brackets every file operation. The file interface is in
//! `Documentation/sysfs.rst` ("The cdev layer's files").

use core::sync::atomic::{
    AtomicU32,
    Ordering, //
};
use kernel::{
    device::Core,
    page::{
        Page,
        PAGE_SIZE, //
    },
    prelude::*,
    uaccess::{
        UserSliceReader,
        UserSliceWriter, //
    }, //
};

#[path = "../rust/driver.rs"]
pub mod drvsim;

use drvsim::{
    cdev_layer::{
        Active,
        CdevDriver,
        CdevRegistration,
        Legacy, //
    },
    DeviceId, //
};

drvsim::drvsim_device_table!(CDEV_IDS, (), [(DeviceId::new(c"cdev"), ())]);

/// Register 0 of the region: the ID, as drvsim's regions have.
const ID: u32 = 0xd515_cde0;
/// Register 1: the number of files closed while bound (`release`'s work).
const CLOSES: usize = 4;

/// What the files reach while the device is bound.
struct Regs {
    /// The register region that `mmap()` maps.
    page: Page,
    /// Events posted by `write()` and not yet read.
    pending: AtomicU32,
    /// Events read so far: what `read()` returns.
    seq: AtomicU32,
}

impl Regs {
    fn new() -> Result<Self> {
        let page = Page::alloc_page(GFP_KERNEL | __GFP_ZERO)?;
        // SAFETY: `ID` is 4 bytes, inside the page.
        unsafe { page.write_raw(ID.to_ne_bytes().as_ptr(), 0, 4)? };
        Ok(Self {
            page,
            pending: AtomicU32::new(0),
            seq: AtomicU32::new(0),
        })
    }

    fn read32(&self, offset: usize) -> Result<u32> {
        let mut b = [0u8; 4];
        // SAFETY: `b` is 4 bytes; `offset` is inside the page (callers).
        unsafe { self.page.read_raw(b.as_mut_ptr(), offset, 4)? };
        Ok(u32::from_ne_bytes(b))
    }

    fn write32(&self, v: u32, offset: usize) -> Result {
        // SAFETY: as in `read32`.
        unsafe { self.page.write_raw(v.to_ne_bytes().as_ptr(), offset, 4) }
    }
}

/// The file operations; the layer calls them inside its active sections.
struct CdevSample;

impl CdevDriver for CdevSample {
    type OwnerModule = crate::LocalModule;
    type Bound = Regs;

    fn read(cdev: &Active<'_, Self>, nonblock: bool, out: &mut UserSliceWriter) -> Result<usize> {
        let regs = cdev.bound();
        loop {
            if nonblock && regs.pending.load(Ordering::Relaxed) == 0 {
                return Err(EAGAIN);
            }
            cdev.wait_event(|r| r.pending.load(Ordering::Relaxed) > 0)?;
            let took = regs
                .pending
                .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |p| p.checked_sub(1));
            if took.is_ok() {
                let seq = regs.seq.fetch_add(1, Ordering::Relaxed) + 1;
                out.write(&seq)?;
                return Ok(4);
            }
        }
    }

    fn write(cdev: &Active<'_, Self>, data: &mut UserSliceReader) -> Result<usize> {
        let n = data.len();
        cdev.bound().pending.fetch_add(1, Ordering::Release);
        cdev.wake_up();
        Ok(n)
    }

    fn readable(regs: &Regs) -> bool {
        regs.pending.load(Ordering::Relaxed) > 0
    }

    fn mmap_page(regs: &Regs) -> &Page {
        &regs.page
    }

    fn release(regs: Option<&Regs>) {
        // Device work: count the close in the CLOSES register. Skipped
        // once the device is gone.
        if let Some(r) = regs {
            if let Ok(c) = r.read32(CLOSES) {
                let _ = r.write32(c.wrapping_add(1), CLOSES);
            }
        }
    }
}

const _: () = assert!(CLOSES + 4 <= PAGE_SIZE);

/// The driver.
struct CdevSampleDriver;

/// Per-device state: only the registration.
#[pin_data]
struct CdevData {
    #[pin]
    cdev: CdevRegistration<CdevSample>,
}

#[vtable]
impl drvsim::Driver for CdevSampleDriver {
    type IdInfo = ();
    type Data<'bound> = CdevData;
    const ID_TABLE: drvsim::IdTable<()> = &CDEV_IDS;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<CdevData, Error> + 'bound {
        let legacy = Legacy {
            no_wake: module_parameters::legacy_cdev_no_wake.value(),
            no_zap: module_parameters::legacy_cdev_no_zap.value(),
            release_unguarded: module_parameters::legacy_cdev_release.value(),
        };
        try_pin_init!(CdevData {
            cdev <- CdevRegistration::register(dev.as_ref().name(), Regs::new()?, legacy),
        })
    }
}

module_drvsim_driver! {
    type: CdevSampleDriver,
    name: "drvsim_cdev",
    authors: ["drvsim developers"],
    description: "drvsim sample driver of the cdev layer",
    license: "GPL",
    params: {
        legacy_cdev_no_wake: bool {
            default: false,
            description: "Broken design: unbind marks the device dead but wakes no sleeper, so it waits for ever behind a blocking read",
        },
        legacy_cdev_no_zap: bool {
            default: false,
            description: "Broken design: unbind does not zap the user mappings, so the region's page is freed while still mapped",
        },
        legacy_cdev_release: bool {
            default: false,
            description: "Broken design: release() runs outside the layer's active section, on the driver data unbind freed",
        },
    },
}
