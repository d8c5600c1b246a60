// SPDX-License-Identifier: GPL-2.0

//! The Rust driver API of the drvsim bus, modelled on `kernel::auxiliary`.
//!
//! Driver modules include this file (and through it `abi.rs`) with
//! `#[path = "../rust/driver.rs"] mod drvsim;`, implement [`Driver`] and
//! declare themselves with [`module_drvsim_driver!`]. Everything crosses
//! into `drvsim.ko` through the C functions declared in `abi.rs`.

#[path = "abi.rs"]
pub mod abi;
#[path = "cdev_layer.rs"]
pub mod cdev_layer;
#[path = "devres_set.rs"]
pub mod devres_set;
#[path = "irq.rs"]
pub mod irq;
#[path = "line.rs"]
pub mod line;
#[path = "region_io.rs"]
pub mod region_io;
#[path = "revocable_variants.rs"]
pub mod revocable_variants;

pub use abi::{
    Bus,
    DriverSlot, //
};
use abi::{
    DeviceIdRaw,
    DriverRaw,
    TYPE_LEN, //
};
use core::{
    marker::PhantomData,
    pin::Pin,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    device,
    device_id::{
        RawDeviceId,
        RawDeviceIdIndex, //
    },
    driver,
    error::{
        from_result,
        to_result, //
    },
    ffi::{
        c_char,
        c_int,
        c_void, //
    },
    prelude::*,
    types::Opaque,
    ThisModule, //
};

// The functions `drvsim.ko` exports (rust/exports.c).
// Only pointers cross here; bindgen's zero-sized `its_array` inside
// `struct device` trips the lint although no such value is passed.
#[expect(improper_ctypes, reason = "only pointers to `struct device` cross")]
extern "C" {
    /// Registers `drv` on the bus `drv.bus` names. `name` and `owner` must
    /// outlive the registration.
    fn drvsim_driver_register(
        drv: *mut DriverRaw,
        owner: *mut c_void,
        name: *const c_char,
    ) -> c_int;
    /// Unregisters a driver registered by `drvsim_driver_register()`.
    fn drvsim_driver_unregister(drv: *mut DriverRaw);
    /// The NUL-terminated type of a `drvsim` device.
    fn drvsim_device_type(dev: *const bindings::device) -> *const c_char;
    /// Whether the device is present (not surprise-removed).
    fn drvsim_device_is_present(dev: *const bindings::device) -> bool;
    /// Enables `num_vfs` VFs on a PF; 0 or a negative errno.
    fn drvsim_sriov_enable(dev: *mut bindings::device, num_vfs: c_int) -> c_int;
    /// Disables SR-IOV on a PF, removing its VFs.
    fn drvsim_sriov_disable(dev: *mut bindings::device);
    /// The number of enabled VFs of a PF.
    fn drvsim_sriov_num_vfs(dev: *const bindings::device) -> c_int;
}

impl DriverSlot {
    /// An empty slot: no driver published yet.
    pub const fn new() -> Self {
        Self(core::sync::atomic::AtomicPtr::new(core::ptr::null_mut()))
    }
}

impl Default for DriverSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// A device type that a driver matches, with its id info.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct DeviceId(DeviceIdRaw);

impl DeviceId {
    /// An id for devices of type `type_` (at most 31 bytes).
    pub const fn new(type_: &'static CStr) -> Self {
        let t = type_.to_bytes();
        assert!(t.len() < TYPE_LEN);
        let mut raw = DeviceIdRaw {
            type_: [0; TYPE_LEN],
            driver_data: 0,
        };
        let mut i = 0;
        while i < t.len() {
            raw.type_[i] = t[i];
            i += 1;
        }
        Self(raw)
    }
}

// SAFETY: `DeviceId` is a `#[repr(transparent)]` wrapper of `DeviceIdRaw`.
unsafe impl RawDeviceId for DeviceId {
    type RawType = DeviceIdRaw;
}

// SAFETY: `driver_data` is pointer-sized and holds the id info pointer.
unsafe impl RawDeviceIdIndex for DeviceId {
    const DRIVER_DATA_OFFSET: usize = core::mem::offset_of!(DeviceIdRaw, driver_data);
}

/// A driver's id table.
pub type IdTable<T> = &'static dyn kernel::device_id::IdTable<DeviceId, T>;

/// What a module alias of a drvsim device type starts with; the rest is
/// the type, as in the devices' `MODALIAS` (`drvsim:<type>`).
const ALIAS_PREFIX: &[u8] = b"alias=drvsim:";

/// The length of `id`'s type.
const fn type_len(id: &DeviceId) -> usize {
    let mut n = 0;
    while n < TYPE_LEN && id.0.type_[n] != 0 {
        n += 1;
    }
    n
}

/// The size of `id`'s `.modinfo` entry, `alias=drvsim:<type>` and a NUL.
pub const fn modinfo_alias_len(id: &DeviceId) -> usize {
    ALIAS_PREFIX.len() + type_len(id) + 1
}

/// `id`'s `.modinfo` entry; `N` is [`modinfo_alias_len`]`(id)`.
pub const fn modinfo_alias<const N: usize>(id: &DeviceId) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < ALIAS_PREFIX.len() {
        out[i] = ALIAS_PREFIX[i];
        i += 1;
    }
    let mut j = 0;
    while j < type_len(id) {
        out[i + j] = id.0.type_[j];
        j += 1;
    }
    out
}

/// Declares a drvsim id table:
/// `drvsim_device_table!(NAME, InfoType, [(DeviceId::new(c"t"), info), ...])`.
///
/// Like `MODULE_DEVICE_TABLE()` for PCI, it also declares a module alias
/// `drvsim:<type>` for every type in the table, so that `modprobe` finds
/// the module by a device's `MODALIAS` (`modules.alias`, written by
/// `depmod`). `modpost` only turns tables of the buses it knows into
/// aliases, so the entries go into `.modinfo` directly, as `MODULE_ALIAS()`
/// does.
macro_rules! drvsim_device_table {
    ($name:ident, $info:ty, [$(($id:expr, $val:expr $(,)?)),* $(,)?]) => {
        static $name: ::kernel::device_id::IdArray<
            $crate::drvsim::DeviceId,
            $info,
            { <[$crate::drvsim::DeviceId]>::len(&[$($id,)*]) },
        > = ::kernel::device_id::IdArray::new([$(($id, &$val),)*]);
        $(
            const _: () = {
                const ID: $crate::drvsim::DeviceId = $id;
                #[cfg(MODULE)]
                #[link_section = ".modinfo"]
                #[used(compiler)]
                static ALIAS: [u8; $crate::drvsim::modinfo_alias_len(&ID)] =
                    $crate::drvsim::modinfo_alias(&ID);
            };
        )*
    };
}
pub(crate) use drvsim_device_table;

/// A driver for drvsim devices.
#[vtable]
pub trait Driver {
    /// Per-id information, handed to [`Driver::probe`].
    type IdInfo: 'static;

    /// The driver's per-device data, created by `probe`, dropped after unbind.
    type Data<'bound>: Send + 'bound;

    /// The device types this driver binds.
    const ID_TABLE: IdTable<Self::IdInfo>;

    /// NULL-terminated attribute groups for the driver's sysfs directory
    /// (`struct device_driver.groups`), or NULL.
    const GROUPS: *const *const bindings::attribute_group = core::ptr::null();

    /// The bus the driver registers on: `drvsim` unless it says otherwise.
    const BUS: Bus = Bus::Drvsim;

    /// Where to publish this driver, from the start of its registration on,
    /// so that another driver can name it as its [`Driver::COMPANION`].
    const SLOT: Option<&'static DriverSlot> = None;

    /// The driver (published in that slot) whose id list this driver's
    /// `new_id` and `remove_id` feed, as usb-serial drivers feed their
    /// `usb_driver`; `None`: they feed this driver.
    const COMPANION: Option<&'static DriverSlot> = None;

    /// Binds `dev`. `id_info` is `None` when the device matched through
    /// `driver_override` only.
    fn probe<'bound>(
        dev: &'bound Device<device::Core<'_>>,
        id_info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound;

    /// Called when `dev` is unbound, before its data is dropped.
    fn unbind<'bound>(dev: &'bound Device<device::Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let _ = (dev, this);
    }

    /// Called at reboot and power-off (`device_shutdown()`) for a bound
    /// device, with its lock held, to quiesce it, as a platform driver's
    /// `shutdown`. The data stays: no unbind follows. Optional; without
    /// it the bus does nothing for the driver's devices.
    fn shutdown<'bound>(dev: &'bound Device<device::Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let _ = (dev, this);
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Sets the number of enabled VFs of the PF `dev` (0 disables), as
    /// PCI's `sriov_configure`; called with the device lock held, from a
    /// write to `sriov_numvfs`. Returns the number of VFs enabled. Without
    /// it, writing `sriov_numvfs` fails with `ENOENT`.
    fn sriov_configure<'bound>(
        dev: &'bound Device<device::Core<'_>>,
        this: Pin<&Self::Data<'bound>>,
        num_vfs: u32,
    ) -> Result<u32> {
        let _ = (dev, this, num_vfs);
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// A drvsim device as its driver sees it.
///
/// # Invariants
///
/// The wrapped `struct device` is a live device of the drvsim bus, and
/// `Ctx` holds for the scope of the reference (see [`device::DeviceContext`]).
#[repr(transparent)]
pub struct Device<Ctx: device::DeviceContext = device::Normal>(
    Opaque<bindings::device>,
    PhantomData<Ctx>,
);

impl<Ctx: device::DeviceContext> Device<Ctx> {
    /// The `struct device`, for calls into C.
    pub fn as_raw(&self) -> *mut bindings::device {
        self.0.get()
    }

    /// The device type, as given to `new_device`.
    pub fn type_name(&self) -> &CStr {
        // SAFETY: by the type invariant this is a drvsim device; its type is
        // a NUL-terminated string that lives as long as the device.
        unsafe { CStr::from_char_ptr(drvsim_device_type(self.as_raw()).cast()) }
    }
}

impl<Ctx: device::DeviceContext> Device<Ctx> {
    /// Whether the device is still there; false once it was surprise
    /// removed (`hot_unplug`), even while its driver still runs.
    pub fn is_present(&self) -> bool {
        // SAFETY: by the type invariant this is a live drvsim device.
        unsafe { drvsim_device_is_present(self.as_raw()) }
    }

    /// The number of enabled VFs (0 on a device that is not a PF).
    pub fn sriov_num_vfs(&self) -> u32 {
        // SAFETY: by the type invariant this is a live drvsim device.
        unsafe { drvsim_sriov_num_vfs(self.as_raw()) as u32 }
    }
}

impl Device<device::Bound> {
    /// Enables `num_vfs` VFs (`pci_enable_sriov()`): `ENODEV` if this is not
    /// a PF, `EINVAL` for 0 or more than its total, `EBUSY` if enabled.
    pub fn sriov_enable(&self, num_vfs: u32) -> Result {
        let n = c_int::try_from(num_vfs).map_err(|_| EINVAL)?;
        // SAFETY: the device is bound (type state), to the calling driver.
        to_result(unsafe { drvsim_sriov_enable(self.as_raw(), n) })
    }

    /// Disables SR-IOV, removing every VF (`pci_disable_sriov()`).
    pub fn sriov_disable(&self) {
        // SAFETY: the device is bound (type state), to the calling driver.
        unsafe { drvsim_sriov_disable(self.as_raw()) }
    }
}

impl<Ctx: device::DeviceContext> AsRef<device::Device<Ctx>> for Device<Ctx> {
    fn as_ref(&self) -> &device::Device<Ctx> {
        // SAFETY: `self.as_raw()` is a live `struct device` for as long as
        // `self` is borrowed.
        unsafe { device::Device::from_raw(self.as_raw()) }
    }
}

// SAFETY: `Device` is a transparent wrapper of a type that does not depend
// on its generic argument.
kernel::impl_device_context_deref!(unsafe { Device });
kernel::impl_device_context_into_aref!(Device);

// SAFETY: drvsim devices are always reference counted.
unsafe impl kernel::sync::aref::AlwaysRefCounted for Device {
    fn inc_ref(&self) {
        // SAFETY: a shared reference means a non-zero refcount.
        unsafe { bindings::get_device(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up a reference it owns.
        unsafe { bindings::put_device(obj.cast().as_ptr()) }
    }
}

// SAFETY: a `Device` reference may be released from any thread.
unsafe impl Send for Device {}
// SAFETY: all methods of `Device<Normal>` are thread safe.
unsafe impl Sync for Device {}
// SAFETY: `Bound` is a zero-sized marker that does not affect thread safety.
unsafe impl Sync for Device<device::Bound> {}

/// Registers a [`Driver`] with the bus through `kernel::driver::Registration`.
pub struct Adapter<T: Driver>(T);

// SAFETY: `DriverRaw` is `#[repr(C)]` and embeds the `struct device_driver`
// at `DEVICE_DRIVER_OFFSET`; `DriverData` is what probe stores as drvdata.
unsafe impl<T: Driver + 'static> driver::DriverLayout for Adapter<T> {
    type DriverType = DriverRaw;
    type DriverData<'bound> = T::Data<'bound>;
    const DEVICE_DRIVER_OFFSET: usize = core::mem::offset_of!(DriverRaw, driver);
}

// SAFETY: `unregister` is only called after a successful `register`.
unsafe impl<T: Driver + 'static> driver::RegistrationOps for Adapter<T> {
    unsafe fn register(
        drv: &Opaque<DriverRaw>,
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> Result {
        let drv = drv.get();
        // SAFETY: `drv` is a default-initialised `DriverRaw` owned by the
        // pinned `Registration`; nothing else sees it yet.
        unsafe {
            (*drv).id_table = T::ID_TABLE.as_ptr();
            (*drv).bus = T::BUS;
            (*(*drv).as_raw()).groups = T::GROUPS;
            (*drv).probe = Some(Self::probe_callback);
            (*drv).remove = Some(Self::remove_callback);
            (*drv).sriov_configure = if T::HAS_SRIOV_CONFIGURE {
                Some(Self::sriov_configure_callback)
            } else {
                None
            };
            (*drv).shutdown = if T::HAS_SHUTDOWN {
                Some(Self::shutdown_callback)
            } else {
                None
            };
            (*drv).companion = T::COMPANION.map_or(core::ptr::null(), core::ptr::from_ref);
            (*drv).slot = T::SLOT.map_or(core::ptr::null(), core::ptr::from_ref);
        }
        if let Some(slot) = T::SLOT {
            slot.0.store(drv, core::sync::atomic::Ordering::Release);
        }
        // SAFETY: `drv` is pinned for the life of the registration; `name`
        // and `module` are static.
        to_result(unsafe {
            drvsim_driver_register(drv, module.as_ptr().cast(), name.as_char_ptr().cast())
        })
        .inspect_err(|_| Self::unpublish())
    }

    unsafe fn unregister(drv: &Opaque<DriverRaw>) {
        // SAFETY: registered by `register()`.
        unsafe { drvsim_driver_unregister(drv.get()) };
        Self::unpublish();
    }
}

impl<T: Driver + 'static> Adapter<T> {
    /// Empties the driver's slot once its registration has ended (or
    /// failed): the memory goes with the `Registration`, so no stale
    /// address stays published.
    fn unpublish() {
        if let Some(slot) = T::SLOT {
            slot.0
                .store(core::ptr::null_mut(), core::sync::atomic::Ordering::Release);
        }
    }

    extern "C" fn probe_callback(dev: *mut bindings::device, id: *const DeviceIdRaw) -> c_int {
        // SAFETY: the bus calls probe with a live device, holding its lock.
        // INVARIANT: the device is in probe for the duration of this call.
        let dev = unsafe { &*dev.cast::<Device<device::CoreInternal<'_>>>() };
        // SAFETY: a non-NULL `id` is an entry of `T::ID_TABLE`, an
        // `IdArray<DeviceId, T::IdInfo>`, so its `driver_data` is a `&T::IdInfo`.
        let info = (!id.is_null())
            .then(|| unsafe { (*id.cast::<DeviceId>()).info_unchecked::<T::IdInfo>() });
        from_result(|| {
            // `set_drvdata()` allocates the driver data.
            abi::should_fail_alloc()?;
            let data = T::probe(dev, info);
            dev.as_ref().set_drvdata(data)?;
            Ok(0)
        })
    }

    extern "C" fn remove_callback(dev: *mut bindings::device) {
        // SAFETY: the bus calls remove with a bound device, holding its lock.
        let dev = unsafe { &*dev.cast::<Device<device::CoreInternal<'_>>>() };
        // SAFETY: remove follows a successful probe, which stored `T::Data`.
        let data = unsafe { dev.as_ref().drvdata_borrow::<T::Data<'_>>() };
        T::unbind(dev, data);
    }

    extern "C" fn shutdown_callback(dev: *mut bindings::device) {
        // SAFETY: the bus calls shutdown for a device bound to this
        // driver, holding its lock.
        let dev = unsafe { &*dev.cast::<Device<device::CoreInternal<'_>>>() };
        // SAFETY: the device is bound, so probe stored `T::Data`.
        let data = unsafe { dev.as_ref().drvdata_borrow::<T::Data<'_>>() };
        T::shutdown(dev, data);
    }

    extern "C" fn sriov_configure_callback(dev: *mut bindings::device, num_vfs: c_int) -> c_int {
        // SAFETY: the bus calls this for a bound device, holding its lock.
        let dev = unsafe { &*dev.cast::<Device<device::CoreInternal<'_>>>() };
        // SAFETY: the device is bound, so probe stored `T::Data`.
        let data = unsafe { dev.as_ref().drvdata_borrow::<T::Data<'_>>() };
        match u32::try_from(num_vfs)
            .map_err(|_| EINVAL)
            .and_then(|n| T::sriov_configure(dev, data, n))
        {
            Ok(n) => n as c_int,
            Err(e) => e.to_errno(),
        }
    }
}

/// Declares a module holding one drvsim driver, as `module_auxiliary_driver!`.
/// Exported at the crate root (`crate::module_drvsim_driver!`): not every
/// driver crate uses it.
#[macro_export]
macro_rules! module_drvsim_driver {
    ($($f:tt)*) => {
        ::kernel::module_driver!(<T>, $crate::drvsim::Adapter<T>, { $($f)* });
    };
}
