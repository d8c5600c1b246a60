// SPDX-License-Identifier: GPL-2.0

//! Parsing of the bus attributes' input (`new_device`, `del_device`).
//!
//! Pure functions over byte slices, so that KUnit can test every rule
//! without touching the driver core.

// Samples include this file for `Name` and use only part of it: every
// includer declares it `pub`.

use kernel::prelude::*;

/// Longest device or type name, without the NUL: the one limit of every
/// name, those a user gives and the VF names drvsim makes
/// (`<pf>-vf<i>`), so that every device can be named wherever a name is
/// taken (`del_device`, `hot_unplug`, `drvsim_faulty`'s `probe_mode`).
/// A type also fits a driver's id table (`abi::TYPE_LEN`, NUL included).
pub const NAME_MAX: usize = 31;
/// The suffix of a VF's name (before its index) and of its type.
pub const VF_SUFFIX: &[u8] = b"-vf";
/// Most virtual functions a physical function may declare.
pub const TOTALVFS_MAX: u32 = 1024;
/// Most simulated register regions a device may carry.
pub const REGIONS_MAX: u32 = 256;

/// A device or type name, NUL-padded.
///
/// # Invariants
///
/// `len` is in `1..=NAME_MAX`, `buf[..len]` holds only bytes accepted
/// by [`Name::parse`], and `buf[len..]` is all NUL.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    buf: [u8; NAME_MAX + 1],
    len: usize,
}

impl Name {
    /// Parses a device or type name: `[a-z0-9_.-]`, 1 to 31 bytes, and not
    /// `.` or `..` (they would be sysfs directory names).
    pub fn parse(s: &[u8]) -> Result<Self> {
        let ok = |c: &u8| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-');
        if s.is_empty() || s.len() > NAME_MAX || !s.iter().all(ok) || s == b"." || s == b".." {
            return Err(EINVAL);
        }
        let mut buf = [0u8; NAME_MAX + 1];
        buf[..s.len()].copy_from_slice(s);
        // INVARIANT: checked above.
        Ok(Self { buf, len: s.len() })
    }

    /// The name of virtual function `index` of the PF named `self`:
    /// `<pf>-vf<index>`; `EINVAL` if that is longer than [`NAME_MAX`] (a
    /// PF's name leaves room for its VFs' names, see [`NewDevice::parse`]).
    pub fn vf_name(&self, index: u32) -> Result<Self> {
        let mut buf = [0u8; NAME_MAX + 1];
        let mut digits = [0u8; 10];
        let digits = decimal(index, &mut digits);
        let len = self.len + VF_SUFFIX.len() + digits.len();
        if len > NAME_MAX {
            return Err(EINVAL);
        }
        buf[..self.len].copy_from_slice(self.as_bytes());
        buf[self.len..self.len + VF_SUFFIX.len()].copy_from_slice(VF_SUFFIX);
        buf[self.len + VF_SUFFIX.len()..len].copy_from_slice(digits);
        Self::parse(&buf[..len])
    }

    /// The type of a PF's virtual functions: `<type>-vf`.
    pub fn vf_type(&self) -> Result<Self> {
        let mut buf = [0u8; NAME_MAX + 1];
        let len = self.len + VF_SUFFIX.len();
        if len > NAME_MAX {
            return Err(EINVAL);
        }
        buf[..self.len].copy_from_slice(self.as_bytes());
        buf[self.len..len].copy_from_slice(VF_SUFFIX);
        Self::parse(&buf[..len])
    }

    /// The name's bytes, without the NUL.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The name as a C string.
    pub fn as_cstr(&self) -> &CStr {
        // The type invariant guarantees a NUL at `len` and none before it.
        CStr::from_bytes_with_nul(&self.buf[..=self.len]).unwrap_or(c"")
    }
}

/// The decimal digits of `n`, most significant first, written into `buf`.
pub fn decimal(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
}

/// What a `new_device` write asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NewDevice {
    /// The device name, its directory under `/sys/bus/drvsim/devices`.
    pub name: Name,
    /// The device type that drivers match on.
    pub type_: Name,
    /// Virtual functions the device can spawn; non-zero makes it a PF.
    pub totalvfs: u32,
    /// Simulated register regions.
    pub regions: u32,
    /// Drivers may match the device from its creation on, so that
    /// `device_add()`'s own probe binds it (`early_probe=1`).
    pub early_probe: bool,
    /// The device whose line a consumer driver takes (`supplier=<name>`,
    /// `Documentation/resources.rst`, "Resources one device lends
    /// another"); it need not exist yet.
    pub supplier: Option<Name>,
}

/// Strips one trailing newline, as `echo` adds.
pub fn chomp(s: &[u8]) -> &[u8] {
    s.strip_suffix(b"\n").unwrap_or(s)
}

fn parse_u32(s: &[u8], max: u32) -> Result<u32> {
    if s.is_empty() || s.len() > 10 || !s.iter().all(u8::is_ascii_digit) {
        return Err(EINVAL);
    }
    let v = s.iter().fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'));
    u32::try_from(v).ok().filter(|&v| v <= max).ok_or(EINVAL)
}

impl NewDevice {
    /// Parses `<name> [type=<type>] [totalvfs=<n>] [regions=<n>]
    /// [early_probe=<0|1>] [supplier=<name>]`, fields
    /// separated by single or repeated spaces, one trailing newline allowed.
    /// Each option may appear once. A PF (`totalvfs` not 0) leaves room
    /// for its VFs within [`NAME_MAX`]: their type `<type>-vf` and their
    /// names up to `<name>-vf<totalvfs - 1>`.
    pub fn parse(line: &[u8]) -> Result<Self> {
        let mut words = chomp(line).split(|&c| c == b' ').filter(|w| !w.is_empty());
        let name = Name::parse(words.next().ok_or(EINVAL)?)?;
        let (mut type_, mut totalvfs, mut regions) = (None, None, None);
        let (mut early_probe, mut supplier) = (None, None);
        for word in words {
            let eq = word.iter().position(|&c| c == b'=').ok_or(EINVAL)?;
            let (key, val) = (&word[..eq], &word[eq + 1..]);
            let slot_was_empty = match key {
                b"type" => type_.replace(Name::parse(val)?).is_none(),
                b"totalvfs" => totalvfs.replace(parse_u32(val, TOTALVFS_MAX)?).is_none(),
                b"regions" => regions.replace(parse_u32(val, REGIONS_MAX)?).is_none(),
                b"early_probe" => early_probe.replace(parse_u32(val, 1)? == 1).is_none(),
                b"supplier" => supplier.replace(Name::parse(val)?).is_none(),
                _ => return Err(EINVAL),
            };
            if !slot_was_empty {
                return Err(EINVAL);
            }
        }
        let this = Self {
            name,
            type_: match type_ {
                Some(t) => t,
                None => Name::parse(b"sample")?,
            },
            totalvfs: totalvfs.unwrap_or(0),
            regions: regions.unwrap_or(0),
            early_probe: early_probe.unwrap_or(false),
            supplier,
        };
        // A device cannot lend its line to itself.
        if this.supplier == Some(this.name) {
            return Err(EINVAL);
        }
        // A PF's VFs are of type `<type>-vf`, which must be a valid type,
        // and named `<name>-vf<i>`, which must be valid names: the last
        // one is the longest.
        if this.totalvfs > 0 {
            this.type_.vf_type()?;
            this.name.vf_name(this.totalvfs - 1)?;
        }
        Ok(this)
    }
}

/// The flags of a `link` write, as `device_link_add()` takes them
/// (`DL_FLAG_*` of `include/linux/device.h`).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkFlags {
    /// `stateless`: a link the driver core does not manage; it lives until
    /// one of its devices is removed.
    pub stateless: bool,
    /// `autoremove_consumer`: deleted when the consumer's driver unbinds.
    pub autoremove_consumer: bool,
    /// `autoremove_supplier`: deleted when the supplier's driver unbinds.
    pub autoremove_supplier: bool,
    /// `autoprobe_consumer`: the consumer is probed when the supplier binds.
    pub autoprobe_consumer: bool,
}

/// What a `link` write asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NewLink {
    /// The device that depends on `supplier`.
    pub consumer: Name,
    /// The device `consumer` depends on.
    pub supplier: Name,
    /// How the driver core manages the link.
    pub flags: LinkFlags,
}

impl NewLink {
    /// Parses `<consumer> <supplier> [<flag>...]`, fields separated by
    /// single or repeated spaces, one trailing newline allowed. A flag is
    /// one of `stateless`, `autoremove_consumer`, `autoremove_supplier`,
    /// `autoprobe_consumer`, each at most once. The combinations that
    /// `device_link_add()` refuses are refused here (`EINVAL`), and so is a
    /// link from a device to itself: `stateless` with any other flag, and
    /// `autoprobe_consumer` with an `autoremove_` flag.
    pub fn parse(line: &[u8]) -> Result<Self> {
        let mut words = chomp(line).split(|&c| c == b' ').filter(|w| !w.is_empty());
        let consumer = Name::parse(words.next().ok_or(EINVAL)?)?;
        let supplier = Name::parse(words.next().ok_or(EINVAL)?)?;
        if consumer == supplier {
            return Err(EINVAL);
        }
        let mut f = LinkFlags::default();
        for word in words {
            let flag = match word {
                b"stateless" => &mut f.stateless,
                b"autoremove_consumer" => &mut f.autoremove_consumer,
                b"autoremove_supplier" => &mut f.autoremove_supplier,
                b"autoprobe_consumer" => &mut f.autoprobe_consumer,
                _ => return Err(EINVAL),
            };
            if core::mem::replace(flag, true) {
                return Err(EINVAL);
            }
        }
        let autoremove = f.autoremove_consumer || f.autoremove_supplier;
        if (f.stateless && (autoremove || f.autoprobe_consumer))
            || (f.autoprobe_consumer && autoremove)
        {
            return Err(EINVAL);
        }
        Ok(Self {
            consumer,
            supplier,
            flags: f,
        })
    }
}

#[cfg(drvsim_bus)]
#[kunit_tests(drvsim_parse)]
mod tests {
    use super::*;

    fn nd(s: &[u8]) -> Result<NewDevice> {
        NewDevice::parse(s)
    }

    #[test]
    fn name_charset_and_length() {
        assert!(Name::parse(b"a").is_ok());
        assert!(Name::parse(b"pf0.vf-1_x").is_ok());
        assert!(Name::parse(&[b'a'; NAME_MAX]).is_ok());
        assert_eq!(Name::parse(&[b'a'; NAME_MAX + 1]).err(), Some(EINVAL));
        assert_eq!(Name::parse(b"").err(), Some(EINVAL));
        for bad in [
            &b"Upper"[..],
            b"sp ace",
            b"sl/ash",
            b"\xc3\xa9",
            b".",
            b"..",
        ] {
            assert_eq!(Name::parse(bad).err(), Some(EINVAL));
        }
        assert_eq!(Name::parse(b"...").map(|n| n.len), Ok(3));
    }

    #[test]
    fn name_as_cstr_round_trips() {
        let n = Name::parse(b"dev0").unwrap();
        assert_eq!(n.as_bytes(), b"dev0");
        assert_eq!(n.as_cstr().to_bytes(), b"dev0");
    }

    #[test]
    fn vf_names_and_types() {
        // The longest PF name whose VF 1023 still has a valid name.
        let pf = Name::parse(&[b'p'; NAME_MAX - 7]).unwrap();
        let vf = pf.vf_name(1023).unwrap();
        assert_eq!(&vf.as_bytes()[NAME_MAX - 7..], b"-vf1023");
        assert_eq!(vf.as_cstr().to_bytes().len(), NAME_MAX);
        assert_eq!(Name::parse(vf.as_bytes()).ok(), Some(vf));
        let pf = Name::parse(&[b'p'; NAME_MAX - 6]).unwrap();
        assert_eq!(pf.vf_name(1023).err(), Some(EINVAL));
        assert_eq!(pf.vf_name(999).map(|v| v.len), Ok(NAME_MAX));
        let pf = Name::parse(&[b'p'; NAME_MAX - 3]).unwrap();
        assert_eq!(pf.vf_name(0).err(), Some(EINVAL));
        assert_eq!(
            Name::parse(b"pf0")
                .unwrap()
                .vf_name(0)
                .map(|v| v.as_bytes() == b"pf0-vf0"),
            Ok(true)
        );
        assert_eq!(
            Name::parse(b"sample")
                .unwrap()
                .vf_type()
                .unwrap()
                .as_bytes(),
            b"sample-vf"
        );
        assert_eq!(
            Name::parse(&[b't'; NAME_MAX - 3])
                .unwrap()
                .vf_type()
                .map(|t| t.len),
            Ok(NAME_MAX)
        );
        assert_eq!(
            Name::parse(&[b't'; NAME_MAX - 2]).unwrap().vf_type().err(),
            Some(EINVAL)
        );
    }

    #[test]
    fn decimal_digits() {
        let mut buf = [0u8; 10];
        assert_eq!(decimal(0, &mut buf), b"0");
        assert_eq!(decimal(1023, &mut buf), b"1023");
        assert_eq!(decimal(u32::MAX, &mut buf), b"4294967295");
    }

    #[test]
    fn pf_type_must_leave_room_for_vf_suffix() {
        let long = [b't'; NAME_MAX - 2];
        let mut line = KVec::new();
        line.extend_from_slice(b"pf type=", GFP_KERNEL).unwrap();
        line.extend_from_slice(&long, GFP_KERNEL).unwrap();
        assert!(nd(&line).is_ok());
        line.extend_from_slice(b" totalvfs=1", GFP_KERNEL).unwrap();
        assert_eq!(nd(&line).err(), Some(EINVAL));
    }

    /// `<name> totalvfs=<n>` of a name `len` bytes long.
    fn pf_line(len: usize, totalvfs: &[u8]) -> Result<NewDevice> {
        let mut line = KVec::new();
        line.extend_from_slice(&[b'p'; NAME_MAX][..len], GFP_KERNEL)?;
        line.extend_from_slice(b" totalvfs=", GFP_KERNEL)?;
        line.extend_from_slice(totalvfs, GFP_KERNEL)?;
        nd(&line)
    }

    #[test]
    fn pf_name_must_leave_room_for_vf_names() {
        // `<name>-vf<totalvfs - 1>` must fit `NAME_MAX`: one more byte of
        // name, or one more digit of index, and it does not.
        assert!(pf_line(NAME_MAX - 7, b"1024").is_ok());
        assert_eq!(pf_line(NAME_MAX - 6, b"1024").err(), Some(EINVAL));
        assert!(pf_line(NAME_MAX - 6, b"1000").is_ok());
        assert!(pf_line(NAME_MAX - 4, b"10").is_ok());
        assert_eq!(pf_line(NAME_MAX - 4, b"11").err(), Some(EINVAL));
        assert!(pf_line(NAME_MAX - 4, b"1").is_ok());
        assert_eq!(pf_line(NAME_MAX - 3, b"1").err(), Some(EINVAL));
        // Not a PF: the whole length.
        assert!(pf_line(NAME_MAX, b"0").is_ok());
    }

    #[test]
    fn new_device_defaults() {
        let d = nd(b"dev0\n").unwrap();
        assert_eq!(d.name.as_bytes(), b"dev0");
        assert_eq!(d.type_.as_bytes(), b"sample");
        assert_eq!((d.totalvfs, d.regions), (0, 0));
        assert!(!d.early_probe);
    }

    #[test]
    fn new_device_options_any_order() {
        let d = nd(b"pf0  regions=4 type=faulty totalvfs=8").unwrap();
        assert_eq!(d.type_.as_bytes(), b"faulty");
        assert_eq!((d.totalvfs, d.regions), (8, 4));
        assert_eq!(
            nd(b"pf0 totalvfs=1024").map(|d| d.totalvfs),
            Ok(TOTALVFS_MAX)
        );
        assert_eq!(nd(b"pf0 regions=256").map(|d| d.regions), Ok(REGIONS_MAX));
        assert_eq!(nd(b"e0 early_probe=1").map(|d| d.early_probe), Ok(true));
        assert_eq!(nd(b"e0 early_probe=0").map(|d| d.early_probe), Ok(false));
        assert_eq!(
            nd(b"c0 type=consumer supplier=p0").map(|d| d.supplier.map(|s| s.as_bytes() == b"p0")),
            Ok(Some(true))
        );
    }

    #[test]
    fn new_device_rejects_malformed() {
        for bad in [
            &b""[..],
            b"\n",
            b"Dev",
            b"dev type",
            b"dev type=",
            b"dev type=A",
            b"dev color=red",
            b"dev totalvfs=-1",
            b"dev totalvfs=1025",
            b"dev totalvfs=0x10",
            b"dev regions=257",
            b"dev regions=99999999999",
            b"dev type=a type=b",
            b"dev regions=1 regions=1",
            b"dev early_probe=2",
            b"dev early_probe=1 early_probe=1",
            b"dev supplier=",
            b"dev supplier=P0",
            b"dev supplier=dev",
            b"dev supplier=a supplier=b",
            b"dev\n\n",
        ] {
            assert_eq!(nd(bad).err(), Some(EINVAL));
        }
    }

    #[test]
    fn link_flags() {
        let l = NewLink::parse(b"c0 s0\n").unwrap();
        assert_eq!(
            (l.consumer.as_bytes(), l.supplier.as_bytes()),
            (&b"c0"[..], &b"s0"[..])
        );
        assert!(l.flags == LinkFlags::default());
        let l = NewLink::parse(b"c0  s0 autoremove_supplier autoremove_consumer").unwrap();
        assert!(l.flags.autoremove_consumer && l.flags.autoremove_supplier);
        assert!(NewLink::parse(b"c0 s0 stateless").unwrap().flags.stateless);
        assert!(
            NewLink::parse(b"c0 s0 autoprobe_consumer")
                .unwrap()
                .flags
                .autoprobe_consumer
        );
    }

    #[test]
    fn link_rejects_malformed() {
        for bad in [
            &b""[..],
            b"c0",
            b"c0 c0",
            b"C0 s0",
            b"c0 s0 STATELESS",
            b"c0 s0 pm_runtime",
            b"c0 s0 stateless stateless",
            b"c0 s0 stateless autoremove_consumer",
            b"c0 s0 stateless autoprobe_consumer",
            b"c0 s0 autoprobe_consumer autoremove_supplier",
            b"c0 s0 autoremove_consumer autoprobe_consumer",
            b"c0 s0\n\n",
        ] {
            assert!(NewLink::parse(bad).err() == Some(EINVAL));
        }
    }
}
