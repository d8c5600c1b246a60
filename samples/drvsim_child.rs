// SPDX-License-Identifier: GPL-2.0

//! A driver that registers a child device of its own, with a character
//! device, for drvsim devices of type `adapter`: the `struct i2c_adapter`
//! of the revocable thread (`revocable-revert-debate.txt`).
//!
//! Each bound device `<name>` gets a bus-less, class-less child device
//! `<name>-adapter` (parent: the drvsim device) and, through
//! `cdev_device_add()`, `/dev/<name>-adapter`. Reading the file gives
//! `<child> <parent>\n` while the parent's driver serves the child, and
//! `ENODEV` once it was unbound, for as long as the file stays open.
//!
//! The child is allocated apart from the driver data and counted by its
//! own `struct device` (fwctl's `_fwctl_alloc_device()`): the driver data
//! holds one reference, each open file another, and the device's release
//! frees it. Unbind deletes the device and the character device, clears
//! `registered` under the child's lock (so that no file operation still
//! runs on the driver's behalf) and drops the driver's reference.
//!
//! `legacy_embedded_child=1` restores the broken layout: the child's memory
//! belongs to the driver data and goes with it at unbind, whoever still
//! holds the device (Bartosz's `struct my_i2c_drv_data { struct i2c_adapter
//! adap; ... }`). Its release does nothing (the driver core would WARN at
//! the release of a device without one), so the bug is the use-after-free
//! when the last holder, a file closed after the unbind, puts the device.
//! See `Documentation/resources.rst`, "A driver's child device".

use core::{
    ptr::NonNull,
    sync::atomic::{
        AtomicU32,
        AtomicU64,
        Ordering, //
    }, //
};
use kernel::{
    bindings,
    device::Core,
    error::to_result,
    ffi::{
        c_char,
        c_int,
        c_void, //
    },
    new_mutex,
    prelude::*,
    str::CString,
    sync::Mutex,
    types::Opaque, //
};

#[path = "../rust/driver.rs"]
pub mod drvsim;

use drvsim::DeviceId;

module! {
    type: ChildModule,
    name: "drvsim_child",
    authors: ["drvsim developers"],
    description: "drvsim driver that registers a child device with a character device",
    license: "GPL",
    params: {
        legacy_embedded_child: bool {
            default: false,
            description: "Broken design: the child device's memory is the driver's, freed at unbind while a file still holds the device (a use-after-free at close)",
        },
    },
}

drvsim::drvsim_device_table!(ADAPTER_IDS, (), [(DeviceId::new(c"adapter"), ())]);

/// Most children at a time: one minor each, of one chrdev region.
const MINORS: u32 = 64;

/// The first `dev_t` of the module's chrdev region (set at module init).
static DEVT_BASE: AtomicU32 = AtomicU32::new(0);

/// The minors in use, one bit each.
static MINORS_USED: AtomicU64 = AtomicU64::new(0);

/// Claims a free minor: `ENOSPC` if all [`MINORS`] are taken.
fn claim_minor() -> Result<u32> {
    let mut used = MINORS_USED.load(Ordering::Relaxed);
    loop {
        let free = !used;
        if free == 0 {
            return Err(ENOSPC);
        }
        let bit = free.trailing_zeros();
        match MINORS_USED.compare_exchange(
            used,
            used | 1 << bit,
            Ordering::AcqRel,
            Ordering::Relaxed,
        ) {
            Ok(_) => return Ok(bit),
            Err(now) => used = now,
        }
    }
}

/// Gives back a minor of [`claim_minor`].
fn free_minor(minor: u32) {
    MINORS_USED.fetch_and(!(1 << minor), Ordering::AcqRel);
}

/// The module's chrdev region, unregistered on drop.
///
/// # Invariants
///
/// [`MINORS`] minors from [`DEVT_BASE`] are registered to this module.
struct ChrdevRegion;

impl ChrdevRegion {
    fn new() -> Result<Self> {
        let mut devt: bindings::dev_t = 0;
        // SAFETY: `devt` is a valid out pointer; the name is static.
        to_result(unsafe {
            bindings::alloc_chrdev_region(&mut devt, 0, MINORS, c"drvsim_child".as_char_ptr())
        })?;
        DEVT_BASE.store(devt, Ordering::Release);
        // INVARIANT: registered just above, at `DEVT_BASE`.
        Ok(ChrdevRegion)
    }
}

impl Drop for ChrdevRegion {
    fn drop(&mut self) {
        // SAFETY: allocated in `new()`. Every child is released by now: the
        // driver is unregistered (each unbind dropped the driver's
        // reference) and an open file pins the module (`cdev.owner`).
        unsafe { bindings::unregister_chrdev_region(DEVT_BASE.load(Ordering::Acquire), MINORS) };
    }
}

/// The child device: a `struct device` and its character device.
///
/// # Invariants
///
/// Once [`Child::new`] returned, `dev` is an initialised device whose
/// `release` is [`release_counted`] (fixed layout, the object is then
/// freed by the last `put_device()`) or [`release_embedded`] (legacy
/// layout, the memory is freed by whoever owns the `KBox`), and `cdev` is
/// initialised with [`FOPS`] and is the cdev of `dev`.
#[pin_data]
struct Child {
    #[pin]
    dev: Opaque<bindings::device>,
    #[pin]
    cdev: Opaque<bindings::cdev>,
    /// Whether the parent's driver still serves the child; cleared at
    /// unbind, under the lock every file operation holds.
    #[pin]
    registered: Mutex<bool>,
    /// The child's minor in the module's region.
    minor: u32,
}

// SAFETY: the C parts are used only through the driver core and the cdev
// layer, which lock as needed; `registered` is a lock.
unsafe impl Send for Child {}
// SAFETY: as for `Send`.
unsafe impl Sync for Child {}

impl Child {
    /// Allocates a child of `parent` (not yet added): one reference,
    /// which the caller owns.
    fn new(parent: &drvsim::Device<Core<'_>>, minor: u32) -> Result<Pin<KBox<Self>>> {
        let child = KBox::pin_init(
            try_pin_init!(Child {
                dev: Opaque::zeroed(),
                cdev: Opaque::zeroed(),
                registered <- new_mutex!(false),
                minor,
            }),
            GFP_KERNEL,
        )?;
        let legacy = module_parameters::legacy_embedded_child.value();
        let dev = child.dev.get();
        // SAFETY: `dev` and `cdev` are zeroed, pinned and not shared yet;
        // `parent` is a live device; `FOPS` and the module are static.
        let err = unsafe {
            bindings::device_initialize(dev);
            (*dev).parent = parent.as_raw();
            (*dev).devt = DEVT_BASE.load(Ordering::Acquire) + minor;
            (*dev).release = Some(if legacy {
                release_embedded
            } else {
                release_counted
            });
            bindings::cdev_init(child.cdev.get(), &FOPS);
            (*child.cdev.get()).owner = THIS_MODULE.as_ptr();
            bindings::dev_set_name(
                dev,
                c"%s-adapter".as_char_ptr(),
                parent.as_ref().name().as_char_ptr(),
            )
        };
        // On failure the box goes: the device was never added, and
        // `device_initialize()` allocates nothing.
        to_result(err)?;
        Ok(child)
    }

    /// The child of `cdev`.
    ///
    /// # Safety
    ///
    /// `cdev` is the `cdev` field of a live `Child`.
    unsafe fn from_cdev<'a>(cdev: *mut bindings::cdev) -> &'a Child {
        // SAFETY: by the function's safety requirement.
        unsafe { &*kernel::container_of!(Opaque::cast_from(cdev).cast_mut(), Child, cdev) }
    }

    /// The child's device, as the kernel's Rust type.
    fn device(&self) -> &kernel::device::Device {
        // SAFETY: by the type invariant, `dev` is an initialised device,
        // live for as long as `self` is borrowed.
        unsafe { kernel::device::Device::from_raw(self.dev.get()) }
    }

    /// Adds the device and its character device (`/dev/<name>-adapter`).
    fn add(&self) -> Result {
        *self.registered.lock() = true;
        // SAFETY: by the type invariant both are initialised; `cdev` is
        // the device's.
        to_result(unsafe { bindings::cdev_device_add(self.cdev.get(), self.dev.get()) })
            .inspect_err(|_| *self.registered.lock() = false)
    }

    /// Deletes the device and its character device, then waits for the
    /// file operations under way: none runs for the driver afterwards.
    fn del(&self) {
        // SAFETY: added by `add()`, deleted once (the driver's unbind).
        unsafe { bindings::cdev_device_del(self.cdev.get(), self.dev.get()) };
        *self.registered.lock() = false;
    }
}

/// One reference to a [`Child`] of the fixed layout: the driver data's,
/// or an open file's.
///
/// # Invariants
///
/// The pointer is a `Child` whose device's `release` is
/// [`release_counted`], and the `ChildRef` owns one reference to it.
struct ChildRef(NonNull<Child>);

// SAFETY: a reference may be used and dropped from any thread.
unsafe impl Send for ChildRef {}
// SAFETY: as for `Send`.
unsafe impl Sync for ChildRef {}

impl ChildRef {
    /// Gives up the ownership of `child` to its device's reference count.
    fn new(child: Pin<KBox<Child>>) -> Self {
        // SAFETY: the child stays pinned: only its release frees it.
        let child = KBox::into_raw(unsafe { Pin::into_inner_unchecked(child) });
        // INVARIANT: `Child::new` set `release_counted` (fixed layout) and
        // returned the one reference, handed over here.
        // SAFETY: `KBox::into_raw` never returns NULL.
        ChildRef(unsafe { NonNull::new_unchecked(child) })
    }
}

impl core::ops::Deref for ChildRef {
    type Target = Child;

    fn deref(&self) -> &Child {
        // SAFETY: the reference the `ChildRef` owns keeps the child alive.
        unsafe { self.0.as_ref() }
    }
}

impl Drop for ChildRef {
    fn drop(&mut self) {
        // SAFETY: gives up the reference the `ChildRef` owns; the last one
        // runs `release_counted`, which frees the child.
        unsafe { bindings::put_device(self.dev.get()) };
    }
}

/// The release of a fixed-layout child: frees it and its minor.
///
/// # Safety
///
/// Called by the driver core once, after the last reference to a device
/// of a `Child` allocated by `Child::new` and handed to a `ChildRef`.
unsafe extern "C" fn release_counted(dev: *mut bindings::device) {
    // SAFETY: `dev` is the `dev` field of such a `Child`.
    let child = unsafe { kernel::container_of!(Opaque::cast_from(dev).cast_mut(), Child, dev) };
    // SAFETY: the device's name lives until after its release.
    let name = unsafe { kernel::device::Device::<kernel::device::Normal>::from_raw(dev) }.name();
    pr_info!("{} released\n", name.to_str().unwrap_or("?"));
    // SAFETY: nothing refers to the child any more; it came from
    // `KBox::into_raw()` in `ChildRef::new`.
    let child = unsafe { KBox::from_raw(child) };
    free_minor(child.minor);
}

/// The release of a legacy-layout child: nothing, as the memory is the
/// driver's (which is the bug: it may be gone already).
///
/// # Safety
///
/// Called by the driver core; touches nothing.
unsafe extern "C" fn release_embedded(_dev: *mut bindings::device) {}

/// `/dev/<name>-adapter`: takes a reference for the open file, `ENODEV`
/// once the parent's driver unbound the child (an open racing with the
/// unbind).
///
/// # Safety
///
/// Called by `chrdev_open()` for an inode of a child's cdev (the only
/// cdevs with [`FOPS`]), holding a reference to the cdev's kobject and so
/// to the device, its parent.
unsafe extern "C" fn child_open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: by the function's safety requirement.
    let child = unsafe { Child::from_cdev((*inode).__bindgen_anon_5.i_cdev) };
    if !*child.registered.lock() {
        return ENODEV.to_errno();
    }
    // SAFETY: the device is live (see above); the file keeps this
    // reference until `child_release`.
    unsafe { bindings::get_device(child.dev.get()) };
    // SAFETY: `file` is the file being opened, ours until it is released.
    unsafe { (*file).private_data = core::ptr::from_ref(child).cast_mut().cast() };
    0
}

/// Drops the open file's reference. In the legacy layout, after an unbind
/// this is the use-after-free (`kobject_put()` on freed memory).
///
/// # Safety
///
/// Called once per file that `child_open` opened.
unsafe extern "C" fn child_release(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `child_open` stored the child, of which the file owns a
    // reference.
    let child = unsafe { (*file).private_data.cast::<Child>() };
    // SAFETY: gives up the file's reference.
    unsafe { bindings::put_device(Opaque::cast_into(&raw const (*child).dev)) };
    0
}

/// Reads `<child> <parent>\n` while the driver serves the child, `ENODEV`
/// after its unbind (whatever the position).
///
/// # Safety
///
/// Called on a file that `child_open` opened, with a user buffer of
/// `count` bytes and the file position `pos`.
unsafe extern "C" fn child_read(
    file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    pos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: the file owns a reference to its child.
    let child = unsafe { &*(*file).private_data.cast::<Child>() };
    let text = {
        let registered = child.registered.lock();
        if !*registered {
            return ENODEV.to_errno() as isize;
        }
        let dev = child.device();
        // SAFETY: set by `Child::new` to the live parent; only used while
        // registered: after the unbind the parent may be gone (the child's
        // `device_del()` dropped its reference to it).
        let parent = unsafe {
            kernel::device::Device::<kernel::device::Normal>::from_raw((*child.dev.get()).parent)
        }
        .name();
        CString::try_from_fmt(fmt!(
            "{} {}\n",
            dev.name().to_str().unwrap_or("?"),
            parent.to_str().unwrap_or("?")
        ))
    };
    let Ok(text) = text else {
        return ENOMEM.to_errno() as isize;
    };
    let bytes = text.to_bytes();
    // SAFETY: `buf` is a user buffer of `count` bytes, `pos` the file's
    // position; `bytes` is a kernel buffer of its length.
    unsafe {
        bindings::simple_read_from_buffer(
            buf.cast(),
            count,
            pos,
            bytes.as_ptr().cast::<c_void>(),
            bytes.len(),
        )
    }
}

/// The child's file operations. A constant expression, so `&FOPS` is
/// promoted to a `'static` (as `miscdevice`'s vtable): what `cdev_init()`
/// keeps.
const FOPS: bindings::file_operations = bindings::file_operations {
    open: Some(child_open),
    release: Some(child_release),
    read: Some(child_read),
    // SAFETY: all-zero is a valid `file_operations` (no callbacks).
    ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
};

/// How the driver data holds its child.
enum Owner {
    /// The fixed layout: one reference; the last `put_device()` frees.
    Counted(ChildRef),
    /// The broken layout (`legacy_embedded_child`): the memory itself,
    /// freed with the driver data at unbind.
    Embedded(Pin<KBox<Child>>),
}

impl Owner {
    fn child(&self) -> &Child {
        match self {
            Owner::Counted(c) => c,
            Owner::Embedded(c) => c,
        }
    }
}

/// Per-device state of a bound adapter.
struct AdapterData {
    child: Owner,
}

/// Gives the minor back if probe fails before the child owns it.
struct MinorGuard(Option<u32>);

impl Drop for MinorGuard {
    fn drop(&mut self) {
        if let Some(m) = self.0 {
            free_minor(m);
        }
    }
}

/// The driver.
struct ChildDriver;

#[vtable]
impl drvsim::Driver for ChildDriver {
    type IdInfo = ();
    type Data<'bound> = AdapterData;
    const ID_TABLE: drvsim::IdTable<()> = &ADAPTER_IDS;

    fn probe<'bound>(
        dev: &'bound drvsim::Device<Core<'_>>,
        _info: Option<&'bound ()>,
    ) -> impl PinInit<AdapterData, Error> + 'bound {
        let legacy = module_parameters::legacy_embedded_child.value();
        let mut minor = MinorGuard(Some(claim_minor()?));
        let child = Child::new(dev, minor.0.unwrap_or(0))?;
        // From here the minor is the child's: its release (fixed layout)
        // or the driver's unbind (legacy) gives it back.
        minor.0 = None;
        let owner = if legacy {
            Owner::Embedded(child)
        } else {
            Owner::Counted(ChildRef::new(child))
        };
        if let Err(e) = owner.child().add() {
            // The fixed layout's reference goes with `owner`.
            if let Owner::Embedded(c) = &owner {
                // SAFETY: the driver's reference, from `Child::new`.
                unsafe { bindings::put_device(c.dev.get()) };
                free_minor(c.minor);
            }
            return Err(e);
        }
        dev_info!(
            dev.as_ref(),
            "drvsim_child: added {}\n",
            owner.child().device().name().to_str().unwrap_or("?")
        );
        Ok(AdapterData { child: owner })
    }

    fn unbind<'bound>(dev: &'bound drvsim::Device<Core<'_>>, this: Pin<&AdapterData>) {
        dev_info!(dev.as_ref(), "drvsim_child: unbind\n");
        let child = this.child.child();
        child.del();
        if let Owner::Embedded(c) = &this.child {
            // As i2c_del_adapter() without its wait: the driver's
            // reference goes, the memory goes with the driver data just
            // after, whoever still holds the device.
            // SAFETY: the driver's reference, from `Child::new`.
            unsafe { bindings::put_device(c.dev.get()) };
            free_minor(c.minor);
        }
    }
}

/// The module: the driver and its chrdev region.
#[pin_data]
struct ChildModule {
    #[pin]
    driver: kernel::driver::Registration<drvsim::Adapter<ChildDriver>>,
    /// Dropped after `driver` (declaration order).
    _region: ChrdevRegion,
}

/// The module, for the cdev's `owner`: an open file pins the module.
static THIS_MODULE: ThisModule = <ChildModule as kernel::ModuleMetadata>::THIS_MODULE;

impl kernel::InPlaceModule for ChildModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            _region: ChrdevRegion::new()?,
            driver <- kernel::driver::Registration::new(c"drvsim_child", module),
        })
    }
}
