// SPDX-License-Identifier: GPL-2.0

//! Interrupt handlers for drvsim devices, modelled line for line on 7.3's
//! `kernel::irq::Registration` (`rust/kernel/irq/request.rs`), with the
//! one change upstream made later: the handler gets the bound device,
//! `Handler::handle(&self, dev: &Device<Bound>)` (Danilo Krummrich's
//! example in `shared/seeds/revocable-revert-debate.txt`).
//!
//! Why not the kernel's own type: an [`IrqRequest`] is what
//! `kernel::irq::Registration::new()` takes, and in 7.3 only the kernel
//! crate can make one (`IrqRequest::new()` is `pub(crate)`, for the
//! platform and PCI buses' `irq_by_index()`); an out-of-tree bus cannot
//! hand its drivers one. So drvsim has its own `irq_by_index()` and
//! `Registration`, with the same invariants: the request borrows the bound
//! device for `'a`, the registration cannot outlive it (a driver keeps it
//! in its data, dropped at unbind), and its drop calls `free_irq()`, which
//! waits for a running handler. Flags are not taken: the line is the
//! device's own, never shared (`kernel::irq::Flags` has no public value).

use super::Device;
use core::marker::PhantomPinned;
use kernel::{
    bindings,
    device::Bound,
    error::to_result,
    ffi::{
        c_int,
        c_uint,
        c_void, //
    },
    prelude::*, //
};

pub use kernel::irq::IrqReturn;

// Only a pointer to `struct device` crosses; bindgen's zero-sized
// `its_array` inside it trips the lint although no such value is passed.
#[expect(improper_ctypes, reason = "only a pointer to `struct device` crosses")]
extern "C" {
    /// The Linux irq number of a drvsim device's simulated interrupt line
    /// (`rust/sim_irq.rs`), created on first use; a negative errno if that
    /// fails, `-ENXIO` for another bus's device.
    fn drvsim_device_irq(dev: *const bindings::device) -> c_int;
}

/// Callbacks for an interrupt handler.
pub trait Handler: Sync {
    /// The hard irq handler, in interrupt context. `dev` is bound for the
    /// whole call: the registration, and so the handler, never outlives
    /// the binding.
    fn handle(&self, dev: &Device<Bound>) -> IrqReturn;
}

/// A request for one of a bound device's interrupt lines.
///
/// # Invariants
///
/// `irq` is the number of an interrupt line of `dev`, not requested
/// through this request yet (a [`Registration`] consumes it).
pub struct IrqRequest<'a> {
    dev: &'a Device<Bound>,
    irq: u32,
}

impl<'a> IrqRequest<'a> {
    /// The Linux irq number.
    pub fn irq(&self) -> u32 {
        self.irq
    }
}

impl Device<Bound> {
    /// The device's interrupt line `index`, as the platform bus's
    /// `irq_by_index()`: a drvsim device has one, index 0; `ENXIO` for
    /// any other. The line is created on its first use (`ENOMEM`).
    pub fn irq_by_index(&self, index: u32) -> Result<IrqRequest<'_>> {
        if index != 0 {
            return Err(ENXIO);
        }
        // SAFETY: `self` is a live drvsim device (type invariant).
        let irq = unsafe { drvsim_device_irq(self.as_raw()) };
        to_result(irq)?;
        // INVARIANT: the device's own line, from `drvsim.ko`.
        Ok(IrqRequest {
            dev: self,
            irq: irq as u32,
        })
    }
}

/// A handler registered for an interrupt line of a bound device.
///
/// # Invariants
///
/// We own a handler registered with `request_irq()` whose cookie is a
/// pointer to `Self`.
#[pin_data(PinnedDrop)]
pub struct Registration<'a, T: Handler> {
    request: IrqRequest<'a>,

    #[pin]
    handler: T,

    /// The cookie is our address.
    #[pin]
    _pin: PhantomPinned,
}

impl<'a, T: Handler> Registration<'a, T> {
    /// Registers `handler` for the line of `request`; `name` shows in
    /// `/proc/interrupts`.
    ///
    /// # Safety
    ///
    /// Callers must not `mem::forget()` the returned [`Registration`] or
    /// otherwise prevent its [`Drop`] implementation from running.
    pub unsafe fn new(
        request: IrqRequest<'a>,
        name: &'static CStr,
        handler: impl PinInit<T, Error> + 'a,
    ) -> impl PinInit<Self, Error> + 'a
    where
        T: 'a,
    {
        // INVARIANT: once initialised, we own a handler registered with
        // `request_irq()` whose cookie is a pointer to `Self`.
        try_pin_init!(&this in Self {
            handler <- handler,
            request,
            _pin: PhantomPinned,
            _: {
                // SAFETY: the callback fits `request_irq()`; the cookie
                // stays valid until our drop, which frees the line first;
                // every field is initialised, so the handler may run at once.
                to_result(unsafe {
                    bindings::request_irq(
                        request.irq,
                        Some(handle_irq_callback::<T>),
                        0,
                        name.as_char_ptr(),
                        this.as_ptr().cast::<c_void>(),
                    )
                })?;
            },
        })
    }

    /// The handler registered with the system.
    pub fn handler(&self) -> &T {
        &self.handler
    }

    /// Waits for a handler running on another CPU.
    pub fn synchronize(&self) {
        // SAFETY: the line is requested (type invariant).
        unsafe { bindings::synchronize_irq(self.request.irq) };
    }
}

#[pinned_drop]
impl<T: Handler> PinnedDrop for Registration<'_, T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: the cookie is our address (type invariant).
        // `free_irq()` waits for a running handler, so nothing uses `self`
        // once it returns.
        unsafe {
            bindings::free_irq(
                self.request.irq,
                core::ptr::from_mut::<Self>(self.get_unchecked_mut()).cast::<c_void>(),
            )
        };
    }
}

/// The `request_irq()` callback.
///
/// # Safety
///
/// Only as the callback that [`Registration::new`] registers, with its
/// cookie.
unsafe extern "C" fn handle_irq_callback<T: Handler>(
    _irq: c_int,
    ptr: *mut c_void,
) -> bindings::irqreturn_t {
    // SAFETY: the cookie is a live `Registration<'_, T>`: its drop frees
    // the line, waiting for this call, before its memory goes.
    let registration = unsafe { &*ptr.cast_const().cast::<Registration<'_, T>>() };
    let dev = registration.request.dev;
    bindings::irqreturn_t(T::handle(&registration.handler, dev) as c_uint)
}
