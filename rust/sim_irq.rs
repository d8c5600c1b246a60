// SPDX-License-Identifier: GPL-2.0

//! A device's simulated interrupt: one line of its own `irq_sim` domain
//! (`kernel/irq/irq_sim.c`, the interrupt chip gpio-sim uses), created on
//! the line's first use and removed after `device_del()`. The device's
//! `irq` attribute names the line, `fire_irq` raises it; a driver requests
//! it through `drvsim_device_irq()` (`rust/irq.rs`). See
//! `Documentation/drvsim.rst`, "Interrupts, work and timers across unbind".
//!
//! Decision: on first use, not with the device. A domain costs a dozen
//! allocations and an irq descriptor; most devices never use their line
//! (500 VFs, the fault-injection sweeps), and paid for it in every
//! creation and removal. A PCI device's vectors, too, are allocated when
//! its driver asks (`pci_alloc_irq_vectors()`).
//!
//! `irq_sim` raises a line through `irq_work`
//! (`irq_set_irqchip_state(IRQCHIP_STATE_PENDING)`), so the handler runs in
//! hard irq context, on the raising CPU as a rule, right after the raise.

use kernel::{
    error::to_result,
    ffi::{
        c_int,
        c_uint, //
    },
    new_mutex,
    prelude::*,
    sync::Mutex, //
};

/// `struct irq_domain`, only ever behind a pointer.
#[repr(C)]
struct IrqDomain {
    _opaque: [u8; 0],
}

// `rust/exports.c`: `irq_sim.h` is not in the kernel's Rust bindings.
extern "C" {
    fn drvsim_sim_irq_create(domain: *mut *mut IrqDomain) -> c_int;
    fn drvsim_sim_irq_remove(domain: *mut IrqDomain, virq: c_uint);
    fn drvsim_sim_irq_fire(virq: c_uint, n: c_uint) -> c_int;
}

/// The most interrupts one `fire_irq` write raises.
pub(crate) const FIRE_MAX: u32 = 100_000;

/// Where a device's line is in its life.
enum State {
    /// Not used yet: no domain.
    Unused,
    /// A domain of one line, `virq` its mapping.
    Live { domain: *mut IrqDomain, virq: u32 },
    /// Removed with the device: no line any more, and never again.
    Removed,
}

/// A device's interrupt line.
///
/// # Invariants
///
/// In [`State::Live`], `virq` is the line's mapping in `domain`, both
/// created by `drvsim_sim_irq_create()` and owned by this object.
#[pin_data(PinnedDrop)]
pub(crate) struct SimIrq {
    #[pin]
    state: Mutex<State>,
}

// SAFETY: the domain is the kernel's, usable from any task; the state is
// only reached under the mutex.
unsafe impl Send for SimIrq {}
// SAFETY: as for `Send`: every access goes through the mutex.
unsafe impl Sync for SimIrq {}

impl SimIrq {
    /// A line not created yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            state <- new_mutex!(State::Unused),
        })
    }

    /// The line's Linux irq number, the line created on the first call (a
    /// fault-injection point): `ENOMEM` if that fails, `ENODEV` once the
    /// line is removed. Sleeps.
    pub(crate) fn virq(&self) -> Result<u32> {
        let mut state = self.state.lock();
        match *state {
            State::Live { virq, .. } => Ok(virq),
            State::Removed => Err(ENODEV),
            State::Unused => {
                crate::abi::should_fail_alloc()?;
                let mut domain = core::ptr::null_mut();
                // SAFETY: `domain` is a valid place for the result.
                let virq = unsafe { drvsim_sim_irq_create(&mut domain) };
                to_result(virq)?;
                // INVARIANT: created together, by the call above.
                *state = State::Live {
                    domain,
                    virq: virq as u32,
                };
                Ok(virq as u32)
            }
        }
    }

    /// Raises the line `n` times (1 to [`FIRE_MAX`]), each once the
    /// previous one was taken, so that each is one interrupt: `EINVAL`
    /// otherwise, and [`SimIrq::virq`]'s errors. A line nobody requested
    /// drops them. Sleeps; a fatal signal stops it (`EINTR`).
    pub(crate) fn fire(&self, n: u64) -> Result {
        if n == 0 || n > u64::from(FIRE_MAX) {
            return Err(EINVAL);
        }
        // Live until `remove()`, which runs once the device's sysfs
        // attributes, the only callers, are gone: outside the mutex, so
        // that a long burst holds nobody up.
        let virq = self.virq()?;
        // SAFETY: `virq` is mapped (above, and the comment there); `n`
        // fits (checked above).
        to_result(unsafe { drvsim_sim_irq_fire(virq, n as c_uint) })
    }

    /// Removes the line and its domain, if created, for good; from the
    /// device's removal, after `device_del()` (no attribute, no driver
    /// left), and from its `release` for a device that never got there.
    pub(crate) fn remove(&self) {
        let old = core::mem::replace(&mut *self.state.lock(), State::Removed);
        if let State::Live { domain, virq } = old {
            // SAFETY: created together and owned by us (type invariant);
            // the state no longer names them, so this is the only removal.
            unsafe { drvsim_sim_irq_remove(domain, virq) };
        }
    }
}

#[pinned_drop]
impl PinnedDrop for SimIrq {
    fn drop(self: Pin<&mut Self>) {
        self.remove();
    }
}

#[kunit_tests(drvsim_sim_irq)]
mod tests {
    use super::*;
    use core::{
        ptr,
        sync::atomic::{
            AtomicU32,
            Ordering, //
        }, //
    };
    use kernel::{
        bindings,
        ffi::c_void, //
    };

    /// Interrupts [`count`] took.
    static TAKEN: AtomicU32 = AtomicU32::new(0);

    extern "C" fn count(_irq: c_int, _cookie: *mut c_void) -> bindings::irqreturn_t {
        TAKEN.fetch_add(1, Ordering::Relaxed);
        bindings::irqreturn::IRQ_HANDLED
    }

    /// The line is created on first use, and the same afterwards; a raise
    /// is dropped while nobody requested the line, and is one interrupt,
    /// handled before `fire()` returns, while a handler is registered; the
    /// line is gone once removed, for good.
    #[test]
    fn each_raise_is_one_interrupt_while_requested() {
        let line = KBox::pin_init(SimIrq::new(), GFP_KERNEL);
        assert!(line.is_ok());
        let Ok(line) = line else { return };
        let virq = line.virq();
        assert!(matches!(virq, Ok(v) if v > 0));
        let Ok(virq) = virq else { return };
        assert_eq!(line.virq(), Ok(virq));
        assert_eq!(line.fire(3), Ok(()));
        TAKEN.store(0, Ordering::Relaxed);
        // SAFETY: our own line; a static handler, no cookie.
        let r = unsafe {
            bindings::request_irq(
                virq,
                Some(count),
                0,
                c"drvsim_kunit".as_char_ptr(),
                ptr::null_mut(),
            )
        };
        assert_eq!(r, 0);
        let fired = line.fire(5);
        let taken = TAKEN.load(Ordering::Relaxed);
        if r == 0 {
            // SAFETY: requested above, with this cookie.
            unsafe { bindings::free_irq(virq, ptr::null_mut()) };
        }
        assert_eq!((fired, taken), (Ok(()), 5));
        assert_eq!(line.fire(2), Ok(()));
        assert_eq!(TAKEN.load(Ordering::Relaxed), 5);
        assert_eq!(line.fire(0), Err(EINVAL));
        assert_eq!(line.fire(u64::from(FIRE_MAX) + 1), Err(EINVAL));
        line.remove();
        assert_eq!((line.virq(), line.fire(1)), (Err(ENODEV), Err(ENODEV)));
    }
}
