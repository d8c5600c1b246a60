// SPDX-License-Identifier: GPL-2.0

//! Simulated register regions (`new_device ... regions=<n>`).
//!
//! Each region is [`REGION_SIZE`] bytes of memory-backed 32-bit registers,
//! a few with behaviour, so that a driver's accesses have effects a test
//! can observe:
//!
//! | offset | register | access                                          |
//! |-------:|----------|-------------------------------------------------|
//! | 0x00   | ID       | read-only: `0xd5150000 \| region index`         |
//! | 0x04   | SCRATCH  | read-write                                      |
//! | 0x08   | COUNTER  | read-only: the number of reads of it, this one included |
//! | 0x0c.. | memory   | read-write                                      |
//!
//! Accesses must be 4-byte aligned and inside the region (`EINVAL`);
//! writes to read-only registers fail with `EPERM`. The memory lives as
//! long as the device (`release` frees it), so even a stale access cannot
//! touch freed memory; revocation on unbind is the drivers' wrappers' job.

use core::sync::atomic::{
    AtomicU32,
    Ordering, //
};
use kernel::prelude::*;

/// Size of a region in bytes.
pub(crate) const REGION_SIZE: usize = 256;
/// The ID register.
pub(crate) const REG_ID: usize = 0x00;
/// The scratch register.
pub(crate) const REG_SCRATCH: usize = 0x04;
/// The read counter.
pub(crate) const REG_COUNTER: usize = 0x08;
/// What the ID register reads, or'ed with the region's index.
pub(crate) const ID_BASE: u32 = 0xd515_0000;

/// One region's registers.
pub(crate) struct Region {
    index: u32,
    regs: [AtomicU32; REGION_SIZE / 4],
}

impl Region {
    /// A region with all registers 0.
    pub(crate) fn new(index: u32) -> Self {
        Self {
            index,
            regs: [const { AtomicU32::new(0) }; REGION_SIZE / 4],
        }
    }

    fn slot(&self, offset: usize) -> Result<&AtomicU32> {
        if offset % 4 != 0 {
            return Err(EINVAL);
        }
        self.regs.get(offset / 4).ok_or(EINVAL)
    }

    /// Reads the register at `offset`.
    pub(crate) fn read32(&self, offset: usize) -> Result<u32> {
        let slot = self.slot(offset)?;
        Ok(match offset {
            REG_ID => ID_BASE | self.index,
            REG_COUNTER => slot.fetch_add(1, Ordering::Relaxed).wrapping_add(1),
            _ => slot.load(Ordering::Relaxed),
        })
    }

    /// Writes `value` to the register at `offset`.
    pub(crate) fn write32(&self, offset: usize, value: u32) -> Result {
        let slot = self.slot(offset)?;
        match offset {
            REG_ID | REG_COUNTER => Err(EPERM),
            _ => {
                slot.store(value, Ordering::Relaxed);
                Ok(())
            }
        }
    }
}

/// The regions of a new device: one `kvmalloc()` allocation, which falls
/// back to `vmalloc()` rather than fail for want of contiguous pages (256
/// regions are 65 KiB, and a PF with 1024 VFs makes 1025 of them).
pub(crate) fn alloc(n: u32) -> Result<KVVec<Region>> {
    let mut v = KVVec::with_capacity(n as usize, GFP_KERNEL)?;
    for i in 0..n {
        v.push(Region::new(i), GFP_KERNEL)?;
    }
    Ok(v)
}

#[kunit_tests(drvsim_regions)]
mod tests {
    use super::*;

    #[test]
    fn id_is_read_only_and_names_the_region() {
        let r = Region::new(7);
        assert_eq!(r.read32(REG_ID), Ok(ID_BASE | 7));
        assert_eq!(r.write32(REG_ID, 1).err(), Some(EPERM));
        assert_eq!(r.read32(REG_ID), Ok(ID_BASE | 7));
    }

    #[test]
    fn scratch_and_memory_keep_what_is_written() {
        let r = Region::new(0);
        assert_eq!(r.read32(REG_SCRATCH), Ok(0));
        assert!(r.write32(REG_SCRATCH, 0xdead_beef).is_ok());
        assert_eq!(r.read32(REG_SCRATCH), Ok(0xdead_beef));
        assert!(r.write32(REGION_SIZE - 4, 5).is_ok());
        assert_eq!(r.read32(REGION_SIZE - 4), Ok(5));
    }

    #[test]
    fn counter_counts_its_reads() {
        let r = Region::new(0);
        assert_eq!(r.read32(REG_COUNTER), Ok(1));
        assert_eq!(r.read32(REG_COUNTER), Ok(2));
        assert_eq!(r.write32(REG_COUNTER, 0).err(), Some(EPERM));
        assert_eq!(r.read32(REG_COUNTER), Ok(3));
    }

    #[test]
    fn rejects_unaligned_and_out_of_range() {
        let r = Region::new(0);
        assert_eq!(r.read32(2).err(), Some(EINVAL));
        assert_eq!(r.read32(REGION_SIZE).err(), Some(EINVAL));
        assert_eq!(r.write32(REGION_SIZE + 4, 0).err(), Some(EINVAL));
    }

    #[test]
    fn alloc_indexes_regions() {
        let v = alloc(3).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[2].read32(REG_ID), Ok(ID_BASE | 2));
        assert_eq!(alloc(0).map(|v| v.len()), Ok(0));
    }
}
