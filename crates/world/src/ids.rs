//! Typed ids: each encoding written once and checked by the compiler.

use std::fmt;

/// A host: its place in the experiment's `[[host]]` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostId(pub u32);

/// A flow: one incarnation of a 4-tuple, the client's and the server's connection of it.
/// Traces call it the connection number (`conn`); flows are numbered in the order they
/// began, so a smaller number is an earlier incarnation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u32);

/// A packet: numbered in the order packets are handed to links, from 0. Every copy a link
/// makes of a packet (a duplicate, a stale copy) carries the packet's id. 32 bits keep the
/// event queue's entries small; the numbering wraps after 2³² packets, more than a trace
/// (the only reader of ids) can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PacketId(pub u32);

/// One direction of a link: `forward` carries the first host of `between` to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChannelId {
    /// The link's place in the experiment's `[[link]]` list.
    pub link: u32,
    pub forward: bool,
}

impl ChannelId {
    /// Channels are stored forward then reverse for each link in turn.
    pub fn index(self) -> usize {
        self.link as usize * 2 + usize::from(!self.forward)
    }
    pub fn from_index(i: usize) -> ChannelId {
        ChannelId {
            link: (i / 2) as u32,
            forward: i.is_multiple_of(2),
        }
    }
}

/// Where a packet comes from or goes to: a host, or an address a flood made up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Addr {
    Host(HostId),
    /// A spoofed source address of flood `flood` (its place among the floods; the checker
    /// allows at most 65,536 floods, which keeps an address in 8 bytes): `addr` is a random
    /// 24-bit number. Packets sent to it vanish where the flood enters the network.
    Spoofed {
        flood: u16,
        addr: u32,
    },
}

impl Addr {
    /// The host, if this is one.
    pub fn host(self) -> Option<HostId> {
        match self {
            Addr::Host(h) => Some(h),
            Addr::Spoofed { .. } => None,
        }
    }
}

impl synack_tcp::Address for Addr {
    /// The number RFC 6528's F (and a SYN cookie's hash) takes for this address. Only a
    /// hash input: hosts are their index, spoofed addresses set the top bit.
    fn isn_key(self) -> u32 {
        match self {
            Addr::Host(HostId(h)) => h,
            Addr::Spoofed { flood, addr } => {
                0x8000_0000 | (u32::from(flood) << 24) | (addr & 0x00ff_ffff)
            }
        }
    }
}

/// One 64-bit word per address: every stack hashes addresses for each segment it demultiplexes.
impl std::hash::Hash for Addr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(match *self {
            Addr::Host(HostId(h)) => u64::from(h),
            Addr::Spoofed { flood, addr } => 1 << 63 | u64::from(flood) << 32 | u64::from(addr),
        });
    }
}

impl From<HostId> for Addr {
    fn from(h: HostId) -> Addr {
        Addr::Host(h)
    }
}

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for PacketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
