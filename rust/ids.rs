// SPDX-License-Identifier: GPL-2.0

//! Drivers' id tables: the driver embedding a `struct device_driver`, and
//! looking a device type up in its table.

use crate::abi::{
    DeviceIdRaw,
    DriverRaw, //
};
use kernel::{
    bindings,
    prelude::*, //
};

/// The entry of `ids` (terminated by an empty type) matching `type_`.
pub(crate) fn lookup_id<'a>(
    ids: impl IntoIterator<Item = &'a DeviceIdRaw>,
    type_: &[u8],
) -> Option<&'a DeviceIdRaw> {
    ids.into_iter()
        .take_while(|id| id.type_[0] != 0)
        .find(|id| id.type_.split(|&c| c == 0).next() == Some(type_))
}

/// The static id table of `drv`, up to its terminator.
pub(crate) fn ids(drv: &DriverRaw) -> impl Iterator<Item = &DeviceIdRaw> {
    let mut p = drv.id_table;
    core::iter::from_fn(move || {
        // SAFETY: by `DriverRaw`'s type invariant `p` is NULL or points
        // into a table that lives as long as `drv`, and we stop at its
        // terminator.
        let id = unsafe { p.as_ref()? };
        if id.type_[0] == 0 {
            return None;
        }
        // SAFETY: `id` is not the terminator, so the table goes on after it.
        p = unsafe { p.add(1) };
        Some(id)
    })
}

/// Whether the static id table of `drv` has `type_`.
pub(crate) fn in_id_table(drv: &DriverRaw, type_: &[u8]) -> bool {
    lookup_id(ids(drv), type_).is_some()
}

/// The drvsim driver embedding `drv`.
///
/// # Safety
///
/// `drv` must belong to a driver registered on the drvsim bus, and that
/// registration must last for `'a`.
pub(crate) unsafe fn to_driver<'a>(drv: *const bindings::device_driver) -> &'a DriverRaw {
    // SAFETY: drvsim drivers embed their `device_driver` in a `DriverRaw`
    // (`Opaque` is transparent), which lives as long as the registration.
    unsafe {
        &*kernel::container_of!(
            drv.cast::<kernel::types::Opaque<bindings::device_driver>>(),
            DriverRaw,
            driver
        )
    }
}

// The suite keeps the name it had in `bus.rs`: results are compared by name.
#[kunit_tests(drvsim_match)]
mod tests {
    use super::*;
    use crate::abi::TYPE_LEN;

    fn id(t: &[u8], data: usize) -> DeviceIdRaw {
        let mut type_ = [0u8; TYPE_LEN];
        type_[..t.len()].copy_from_slice(t);
        DeviceIdRaw {
            type_,
            driver_data: data,
        }
    }

    #[test]
    fn lookup_finds_exact_type() {
        let table = [id(b"sample", 0), id(b"sample-vf", 1), id(b"", 0)];
        assert_eq!(lookup_id(&table, b"sample").map(|i| i.driver_data), Some(0));
        assert_eq!(
            lookup_id(&table, b"sample-vf").map(|i| i.driver_data),
            Some(1)
        );
    }

    #[test]
    fn lookup_rejects_prefixes_and_unknown() {
        let table = [id(b"sample-vf", 1), id(b"", 0)];
        assert!(lookup_id(&table, b"sample").is_none());
        assert!(lookup_id(&table, b"sample-vf2").is_none());
        assert!(lookup_id(&table, b"").is_none());
    }

    #[test]
    fn lookup_stops_at_terminator() {
        let table = [id(b"a", 0), id(b"", 0), id(b"b", 2)];
        assert!(lookup_id(&table, b"b").is_none());
    }
}
