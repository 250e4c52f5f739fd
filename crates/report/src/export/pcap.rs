//! The run as a libpcap capture: every segment as it was put on a link (the trace's `send`
//! records), as a real IPv4 packet, for Wireshark, tshark and tcpdump.
//!
//! The capture is taken where segments enter their links, so it holds the segments a link
//! then lost: Wireshark sees ACKs that never arrived and may call the retransmissions they
//! caused "spurious". It always holds the whole run (`--connection`, `--from` and `--until`
//! do not apply).
//!
//! The file:
//! - **One file for all links**, in send order. A segment crosses exactly one link (hosts
//!   are joined directly, there is no forwarding), so no packet appears twice; the link a
//!   packet went on follows from its addresses.
//! - **Link type `LINKTYPE_RAW` (101)**: each packet starts at its IPv4 header, no Ethernet
//!   header to invent.
//! - **Nanosecond timestamps** (magic `0xa1b23c4d`) equal to the simulated time of the send,
//!   counted from the Unix epoch: a run starts at 1970-01-01 00:00:00.
//! - **Addresses**: host `i` (in file order, from 0) is `10.0.0.0 + i + 1` (10.0.0.1,
//!   10.0.0.2, …; host 255 is 10.0.1.0); a flood's spoofed address is `198.18.0.0` plus its
//!   17 low bits, inside the 198.18.0.0/15 benchmarking block (RFC 2544). The simulator draws
//!   24 random bits per spoofed address, so two spoofed sources may share an IPv4 address;
//!   their random ports still set their connections apart.
//! - **IPv4**: TTL 64, Don't Fragment, identification 0 (RFC 6864 §4.1 allows any value in
//!   an atomic datagram), correct header checksum.
//! - **TCP**: ports, absolute seq and ack, SYN/FIN/RST/ACK, the MSS option on SYNs, correct
//!   checksum, and `len` payload bytes of zeros: the simulator models no content.
//! - **Window**: the simulator's windows are plain 32-bit byte counts (4 MiB buffers
//!   advertise 4 MiB). The file carries them the way real TCP does (RFC 7323): one shift `s`
//!   for the whole file, the smallest that fits every window into 16 bits; every SYN carries
//!   a Window Scale option of `s` (when `s > 0`), the window of a SYN is unscaled (clamped to
//!   65,535, RFC 7323 §2.2), and every other segment carries `ceil(window / 2^s)`, so
//!   Wireshark's "calculated window size" is the simulator's window rounded up to a multiple
//!   of `2^s` — and a non-zero window never reads as zero.

use std::net::Ipv4Addr;

use etherparse::{IpHeaders, IpNumber, Ipv4Header, PacketBuilder, TcpHeader, TcpOptionElement};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};
use synack_tcp::Segment;

use synack_world::ids::{Addr, HostId};
use synack_world::trace::{Record, Sent, Trace};

/// Why a capture could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    #[error(
        "the segment sent at {t_ns} ns carries {len} payload bytes, more than one IPv4 packet holds"
    )]
    TooLong { t_ns: u64, len: u32 },
    #[error("cannot build packet: {0}")]
    Build(#[from] etherparse::err::packet::BuildWriteError),
    #[error("cannot write the capture: {0}")]
    Write(#[from] pcap_file::PcapError),
}

/// Largest IPv4 packet (RFC 791: the total length is 16 bits).
const MAX_PACKET: u32 = 65_535;
/// IPv4 header without options, TCP header with the longest options written here
/// (MSS 4 + NOP 1 + Window Scale 3).
const MAX_HEADERS: u32 = 20 + 20 + 8;
/// RFC 7323 §2.3: a shift above 14 is treated as 14.
const MAX_SHIFT: u8 = 14;

/// The capture of every segment sent in `trace`, as the bytes of a libpcap file.
pub fn capture(trace: &Trace) -> Result<Vec<u8>, PcapError> {
    let header = PcapHeader {
        snaplen: MAX_PACKET,
        datalink: DataLink::RAW,
        ts_resolution: TsResolution::NanoSecond,
        endianness: Endianness::Little,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(Vec::new(), header)?;
    let shift = window_shift(trace);
    let zeros = vec![0u8; (MAX_PACKET - MAX_HEADERS) as usize];
    let mut packet = Vec::with_capacity(MAX_PACKET as usize);
    for r in trace.records() {
        let Record::Send(Sent {
            t, from, to, seg, ..
        }) = r
        else {
            continue;
        };
        let payload = zeros.get(..seg.len as usize).ok_or(PcapError::TooLong {
            t_ns: t.as_nanos(),
            len: seg.len,
        })?;
        packet.clear();
        PacketBuilder::ip(IpHeaders::Ipv4(ip_header(*from, *to), Default::default()))
            .tcp_header(tcp_header(seg, shift))
            .write(&mut packet, payload)?;
        let timestamp = std::time::Duration::from_nanos(t.as_nanos());
        writer.write_packet(&PcapPacket::new(timestamp, packet.len() as u32, &packet))?;
    }
    Ok(writer.into_writer())
}

/// The IPv4 address of a trace address: host `i` is 10.0.0.(i + 1), a spoofed address is
/// 198.18.0.0 plus its 17 low bits.
pub fn address(addr: Addr) -> Ipv4Addr {
    match addr {
        Addr::Spoofed { addr, .. } => {
            Ipv4Addr::from(u32::from(Ipv4Addr::new(198, 18, 0, 0)) | (addr & 0x1_ffff))
        }
        Addr::Host(HostId(h)) => {
            Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 0, 0, 0)) + (h + 1).min(0x00ff_ffff))
        }
    }
}

/// The window scale shift of the capture: the smallest that fits every window of a segment
/// other than a SYN into the 16-bit window field (at most 14, RFC 7323 §2.3).
pub fn window_shift(trace: &Trace) -> u8 {
    let widest = trace
        .records()
        .iter()
        .filter_map(|r| match r {
            Record::Send(Sent { seg, .. }) if !seg.flags.syn() => Some(seg.window),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    (0..MAX_SHIFT)
        .find(|&s| scaled(widest, s) <= u32::from(u16::MAX))
        .unwrap_or(MAX_SHIFT)
}

/// `ceil(window / 2^shift)`.
fn scaled(window: u32, shift: u8) -> u32 {
    window.div_ceil(1 << shift)
}

fn ip_header(from: Addr, to: Addr) -> Ipv4Header {
    Ipv4Header {
        time_to_live: 64,
        protocol: IpNumber::TCP,
        dont_fragment: true,
        source: address(from).octets(),
        destination: address(to).octets(),
        // Total length and checksum are set as the packet is written.
        ..Default::default()
    }
}

fn tcp_header(seg: &Segment, shift: u8) -> TcpHeader {
    let window = if seg.flags.syn() {
        // RFC 7323 §2.2: the window field of a SYN is never scaled.
        seg.window
    } else {
        scaled(seg.window, shift)
    };
    let mut tcp = TcpHeader::new(
        seg.src_port,
        seg.dst_port,
        seg.seq.0,
        window.min(u32::from(u16::MAX)) as u16,
    );
    tcp.syn = seg.flags.syn();
    tcp.fin = seg.flags.fin();
    tcp.rst = seg.flags.rst();
    tcp.ack = seg.flags.ack();
    tcp.acknowledgment_number = seg.ack.0;
    if seg.flags.syn() {
        let mut options = Vec::with_capacity(3);
        if let Some(mss) = seg.mss {
            options.push(TcpOptionElement::MaximumSegmentSize(mss));
        }
        if shift > 0 {
            // RFC 7323 §2.2: sent on SYNs only; NOP aligns the header to 32 bits.
            options.push(TcpOptionElement::Noop);
            options.push(TcpOptionElement::WindowScale(shift));
        }
        tcp.set_options(&options)
            .expect("MSS and window scale fit in the TCP options");
    }
    tcp
}
