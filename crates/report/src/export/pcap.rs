//! The run as a libpcap capture: every segment as it was put on a link (the trace's `send`
//! records), as a real IPv4 packet, for Wireshark, tshark and tcpdump.
//!
//! The capture is taken where segments enter their links, so it holds the segments a link
//! then lost: Wireshark sees ACKs that never arrived and may call the retransmissions they
//! caused "spurious". It holds the whole run, or the sends `--connection`, `--from` and
//! `--until` keep ([`write_capture_of`]).
//!
//! The file:
//! - **One file for all links**, in send order, each packet once, as its sender put it on
//!   its first link (routers forward it unchanged but for its TTL, which the capture does
//!   not follow).
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
//! - **TCP**: ports, absolute seq and ack, SYN/FIN/RST/ACK, the window field as sent
//!   (scaled by the sender's window scale once agreed, RFC 7323 §2.2), the options the
//!   segment carries (MSS, SACK-permitted, timestamps, window scale, SACK) laid out as Linux
//!   lays them out (`tcp_options_write`), so Wireshark decodes them and computes scaled
//!   windows and SACK ranges; a correct checksum, and `len` payload bytes of zeros: the
//!   simulator models no content.

use std::net::Ipv4Addr;

use etherparse::{
    IpEcn, IpHeaders, IpNumber, Ipv4Header, PacketBuilder, TcpHeader, TcpOptionElement,
};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};
use synack_tcp::{Ecn, Options, Segment, Seq};

use std::ops::ControlFlow;

use synack_world::ids::{Addr, HostId};
use synack_world::trace::{Seen, Sent, Sink, Trace};

use crate::view::Filter;

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
/// IPv4 header without options, TCP header with the most options (40 bytes).
const MAX_HEADERS: u32 = 20 + 20 + 40;

/// The capture of every segment sent in `trace`, as the bytes of a libpcap file.
pub fn capture(trace: &Trace) -> Result<Vec<u8>, PcapError> {
    write_capture(trace, Vec::new())
}

/// [`capture`], written to `out` a packet at a time; returns `out`.
pub fn write_capture<W: std::io::Write>(trace: &Trace, out: W) -> Result<W, PcapError> {
    let mut capture = Capture::new(Filter::default(), out);
    let _ = trace.replay(&mut capture);
    capture.finish()
}

/// A sink that writes each send `filter` keeps to a capture as the run hands it over: the
/// capture is never held, whatever the length of the run. The file's header goes out with
/// the first packet (or at [`Capture::finish`]), so a run that is refused writes nothing.
pub struct Capture<W: std::io::Write> {
    filter: Filter,
    /// The output, until the header is written to it…
    out: Option<W>,
    /// …then the capture.
    writer: Option<PcapWriter<W>>,
    /// The first error: the run stops there.
    failed: Option<PcapError>,
    zeros: Vec<u8>,
    packet: Vec<u8>,
}

impl<W: std::io::Write> Capture<W> {
    pub fn new(filter: Filter, out: W) -> Capture<W> {
        Capture {
            filter,
            out: Some(out),
            writer: None,
            failed: None,
            zeros: vec![0u8; (MAX_PACKET - MAX_HEADERS) as usize],
            packet: Vec::with_capacity(MAX_PACKET as usize),
        }
    }

    /// The capture, its header written even if no packet was; the first error of any write.
    pub fn finish(mut self) -> Result<W, PcapError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        opened(&mut self.out, &mut self.writer)?;
        let mut out = self.writer.take().expect("opened").into_writer();
        out.flush().map_err(pcap_file::PcapError::IoError)?;
        Ok(out)
    }

    fn write(&mut self, s: &Sent) -> Result<(), PcapError> {
        let Sent {
            t, from, to, seg, ..
        } = s;
        let payload = self
            .zeros
            .get(..seg.len as usize)
            .ok_or(PcapError::TooLong {
                t_ns: t.as_nanos(),
                len: seg.len,
            })?;
        self.packet.clear();
        PacketBuilder::ip(IpHeaders::Ipv4(
            ip_header(*from, *to, seg.ecn),
            Default::default(),
        ))
        .tcp_header(tcp_header(seg))
        .write(&mut self.packet, payload)?;
        let timestamp = std::time::Duration::from_nanos(t.as_nanos());
        let writer = opened(&mut self.out, &mut self.writer)?;
        writer.write_packet(&PcapPacket::new(
            timestamp,
            self.packet.len() as u32,
            &self.packet,
        ))?;
        Ok(())
    }
}

/// The capture's writer, its header written to `out` the first time.
fn opened<'a, W: std::io::Write>(
    out: &mut Option<W>,
    writer: &'a mut Option<PcapWriter<W>>,
) -> Result<&'a mut PcapWriter<W>, PcapError> {
    if let Some(out) = out.take() {
        let header = PcapHeader {
            snaplen: MAX_PACKET,
            datalink: DataLink::RAW,
            ts_resolution: TsResolution::NanoSecond,
            endianness: Endianness::Little,
            ..PcapHeader::default()
        };
        *writer = Some(PcapWriter::with_header(out, header)?);
    }
    Ok(writer.as_mut().expect("the header is written"))
}

impl<W: std::io::Write> Sink for Capture<W> {
    fn see(&mut self, seen: Seen<'_>) -> ControlFlow<()> {
        let Seen::Send(s) = seen else {
            return ControlFlow::Continue(());
        };
        if !self.filter.keeps(&seen) {
            return ControlFlow::Continue(());
        }
        match self.write(s) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.failed = Some(e);
                ControlFlow::Break(())
            }
        }
    }
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

/// The IPv4 header, with the segment's ECN field as sent (RFC 3168 §5).
fn ip_header(from: Addr, to: Addr, ecn: Ecn) -> Ipv4Header {
    Ipv4Header {
        ecn: match ecn {
            Ecn::NotEct => IpEcn::NotEct,
            Ecn::Ect0 => IpEcn::Ect0,
            Ecn::Ect1 => IpEcn::Ect1,
            Ecn::Ce => IpEcn::CongestionExperienced,
        },
        time_to_live: 64,
        protocol: IpNumber::TCP,
        dont_fragment: true,
        source: address(from).octets(),
        destination: address(to).octets(),
        // Total length and checksum are set as the packet is written.
        ..Default::default()
    }
}

fn tcp_header(seg: &Segment) -> TcpHeader {
    let mut tcp = TcpHeader::new(seg.src_port, seg.dst_port, seg.seq.0, seg.window);
    tcp.syn = seg.flags.syn();
    tcp.fin = seg.flags.fin();
    tcp.rst = seg.flags.rst();
    tcp.ack = seg.flags.ack();
    tcp.ece = seg.flags.ece();
    tcp.cwr = seg.flags.cwr();
    tcp.acknowledgment_number = seg.ack.0;
    tcp.set_options(&options(&seg.opts))
        .expect("a segment's options fit in 40 bytes");
    tcp
}

/// A segment's options in Linux's order and alignment (`tcp_options_write`): MSS;
/// SACK-permitted and timestamps (`sackOK, TS`, or `nop, nop, TS`, or `nop, nop, sackOK`);
/// `nop, wscale`; `nop, nop, sack`.
fn options(o: &Options) -> Vec<TcpOptionElement> {
    use TcpOptionElement::*;
    let mut out = Vec::with_capacity(10);
    if let Some(mss) = o.mss {
        out.push(MaximumSegmentSize(mss));
    }
    match (o.timestamp, o.sack_permitted) {
        (Some(ts), true) => {
            out.extend([SelectiveAcknowledgementPermitted, Timestamp(ts.val, ts.ecr)])
        }
        (Some(ts), false) => out.extend([Noop, Noop, Timestamp(ts.val, ts.ecr)]),
        (None, true) => out.extend([Noop, Noop, SelectiveAcknowledgementPermitted]),
        (None, false) => {}
    }
    if let Some(shift) = o.wscale {
        out.extend([Noop, WindowScale(shift)]);
    }
    if let Some((&first, rest)) = o.sack.as_slice().split_first() {
        let block = |(l, r): (Seq, Seq)| (l.0, r.0);
        let mut more = [None; 3];
        for (slot, &b) in more.iter_mut().zip(rest) {
            *slot = Some(block(b));
        }
        out.extend([Noop, Noop, SelectiveAcknowledgement(block(first), more)]);
    }
    out
}
