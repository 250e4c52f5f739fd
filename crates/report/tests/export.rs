//! Trace exports read back by independent parsers: the capture with pcap-parser and a
//! hand-written IPv4/TCP decoder that checks every checksum, the SVG with an XML parser,
//! the Mermaid diagram against the exact text.

mod common;

use common::{exchange, flood};
use synack_experiment::metrics::Metrics;
use synack_report::export::{jsonl, mermaid, pcap, svg};
use synack_report::ladder::{self, LadderOptions};
use synack_report::view::{self, View, ViewError};
use synack_sim::Time;
use synack_tcp::{Options, Segment, Seq, Timestamp};
use synack_world::ids::{Addr, FlowId, HostId};
use synack_world::trace::Trace;

fn trace(text: &str) -> (Metrics, Trace) {
    common::traced(text)
}

/// A 20 KB request over a link that loses one packet in five: lost SYNs, lost data, lost
/// ACKs, retransmission timeouts.
fn lossy() -> String {
    let head = common::head("lossy", "5min", "profile = \"rfc\"");
    common::exchange_with(&format!("seed = 3\n{head}"), "loss = 0.2", "20KB")
}

/// (time in ns, from, to, segment) of every send.
fn sends(trace: &Trace) -> Vec<(u64, Addr, Addr, Segment)> {
    common::sent(trace)
        .map(|s| (s.t.as_nanos(), s.from, s.to, s.seg))
        .collect()
}

fn drops(trace: &Trace) -> usize {
    common::dropped(trace).len()
}

// ---------------------------------------------------------------------------------- pcap

/// The Internet checksum (RFC 1071) of `parts` laid end to end: zero when a header that
/// carries its checksum is summed whole.
fn internet_sum(parts: &[&[u8]]) -> u16 {
    let bytes: Vec<u8> = parts.concat();
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A TCP packet decoded by hand, every length and checksum checked on the way.
#[derive(Debug)]
struct Packet {
    src: [u8; 4],
    dst: [u8; 4],
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: u32,
    /// FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10.
    flags: u8,
    window: u16,
    opts: Options,
    /// Bytes of options, padding included.
    options_len: usize,
    payload: Vec<u8>,
}

fn decode(ip: &[u8]) -> Packet {
    assert_eq!(ip[0] >> 4, 4, "IPv4");
    let ihl = usize::from(ip[0] & 0xf) * 4;
    assert_eq!(ihl, 20, "no IP options");
    assert_eq!(usize::from(be16(ip, 2)), ip.len(), "IPv4 total length");
    assert_eq!(ip[9], 6, "protocol TCP");
    assert_eq!(be16(ip, 6) & 0x4000, 0x4000, "Don't Fragment");
    assert_eq!(be16(ip, 6) & 0x3fff, 0, "not a fragment");
    assert_eq!(internet_sum(&[&ip[..ihl]]), 0, "IPv4 header checksum");
    let tcp = &ip[ihl..];
    let pseudo = [&ip[12..20], &[0, 6], &(tcp.len() as u16).to_be_bytes()[..]].concat();
    assert_eq!(internet_sum(&[&pseudo, tcp]), 0, "TCP checksum");
    let offset = usize::from(tcp[12] >> 4) * 4;
    let mut opts = Options::default();
    let mut o = 20;
    while o < offset {
        match tcp[o] {
            0 => break,
            1 => o += 1,
            kind => {
                let len = usize::from(tcp[o + 1]);
                match (kind, len) {
                    (2, 4) => opts.mss = Some(be16(tcp, o + 2)),
                    (3, 3) => opts.wscale = Some(tcp[o + 2]),
                    (4, 2) => opts.sack_permitted = true,
                    (8, 10) => {
                        opts.timestamp = Some(Timestamp {
                            val: be32(tcp, o + 2),
                            ecr: be32(tcp, o + 6),
                        })
                    }
                    (5, n) if n >= 10 && (n - 2) % 8 == 0 => {
                        for b in (o + 2..o + n).step_by(8) {
                            opts.sack.push((Seq(be32(tcp, b)), Seq(be32(tcp, b + 4))));
                        }
                    }
                    _ => panic!("unexpected TCP option {kind} of length {len}"),
                }
                o += len;
            }
        }
    }
    Packet {
        src: ip[12..16].try_into().unwrap(),
        dst: ip[16..20].try_into().unwrap(),
        src_port: be16(tcp, 0),
        dst_port: be16(tcp, 2),
        seq: be32(tcp, 4),
        ack: be32(tcp, 8),
        flags: tcp[13],
        window: be16(tcp, 14),
        opts,
        options_len: offset - 20,
        payload: tcp[offset..].to_vec(),
    }
}

fn flag_bits(seg: &Segment) -> u8 {
    u8::from(seg.flags.fin())
        | u8::from(seg.flags.syn()) << 1
        | u8::from(seg.flags.rst()) << 2
        | u8::from(seg.flags.ack()) << 4
}

/// Writes the capture of `text`'s run and checks every packet against the send records.
fn capture_matches_the_sends(text: &str) -> (Metrics, Trace, Vec<u8>) {
    let (metrics, trace) = trace(text);
    let bytes = pcap::capture(&trace).unwrap();
    let file = pcap_parser::PcapCapture::from_file(&bytes).unwrap();
    assert!(file.header.is_nanosecond_precision());
    assert_eq!(file.header.network, pcap_parser::Linktype::RAW);
    let sends = sends(&trace);
    assert_eq!(file.blocks.len(), sends.len(), "one packet per send record");
    for (block, (t, from, to, seg)) in file.blocks.iter().zip(&sends) {
        assert_eq!(
            (u64::from(block.ts_sec), u64::from(block.ts_usec)),
            (t / 1_000_000_000, t % 1_000_000_000),
            "timestamp (ns) of {seg:?}"
        );
        assert_eq!(block.caplen, block.origlen, "whole packets");
        let p = decode(block.data);
        assert_eq!(p.src, pcap::address(*from).octets());
        assert_eq!(p.dst, pcap::address(*to).octets());
        assert_eq!(
            (p.src_port, p.dst_port, p.seq, p.ack, p.flags),
            (
                seg.src_port,
                seg.dst_port,
                seg.seq.0,
                seg.ack.0,
                flag_bits(seg)
            )
        );
        assert_eq!(p.payload.len(), seg.len as usize);
        assert!(p.payload.iter().all(|&b| b == 0));
        assert_eq!(p.window, seg.window, "the window field as sent");
        assert_eq!(p.opts, seg.opts, "every option, decoded back");
        assert_eq!(
            p.options_len as u32,
            seg.opts.wire_len(),
            "the option bytes the simulator counts on the wire"
        );
    }
    (metrics, trace, bytes)
}

#[test]
fn the_capture_holds_every_segment_sent_with_true_headers() {
    let (_, trace, _) = capture_matches_the_sends(&exchange());
    // The rfc profile offers no window scale: its 4 MB buffer is advertised as 65,535.
    let windows: Vec<u16> = sends(&trace).iter().map(|s| s.3.window).collect();
    assert_eq!(
        windows[0], 64_240,
        "a SYN's window: 65,535 rounded down to 44 MSS"
    );
    assert!(windows[2..].iter().all(|&w| w == 65_535), "{windows:?}");
}

/// The linux profile's options, byte for byte as Linux lays them out: a SYN of
/// `mss 1460, sackOK, TS val ecr 0, nop, wscale 6` (20 bytes), data segments with `nop, nop,
/// TS` (12 bytes) and 1448 bytes of payload, windows scaled by 6.
#[test]
fn the_capture_carries_the_linux_options() {
    let text = exchange().replace("profile = \"rfc\"", "profile = \"linux\"");
    let (_, _, bytes) = capture_matches_the_sends(&text);
    let file = pcap_parser::PcapCapture::from_file(&bytes).unwrap();
    let first = decode(file.blocks[0].data);
    let ts = first.opts.timestamp.expect("a timestamp on the SYN");
    assert_eq!(ts.ecr, 0);
    assert_eq!(
        (first.opts.mss, first.opts.sack_permitted, first.opts.wscale),
        (Some(1460), true, Some(6))
    );
    assert_eq!(first.options_len, 20);
    let tcp = &file.blocks[0].data[20..];
    assert_eq!(
        [tcp[20], tcp[24], tcp[26], tcp[36], tcp[37]],
        [2, 4, 8, 1, 3],
        "mss, sackOK, TS, nop, wscale"
    );
    for block in &file.blocks[2..] {
        let p = decode(block.data);
        assert!(p.opts.timestamp.is_some() && p.opts.mss.is_none());
        assert!(p.payload.len() <= 1448, "1460 − 12 bytes of timestamps");
    }
    let window_of = |i: usize| decode(file.blocks[i].data).window;
    // The SYN's 64,240 bytes, where receive-buffer autotuning starts, advertised as
    // 1004 << 6 once the handshake agreed on shift 6.
    assert_eq!(window_of(2), 1004);
}

#[test]
fn lost_segments_are_in_the_capture_as_sent() {
    let (metrics, trace, _) = capture_matches_the_sends(&lossy());
    assert!(drops(&trace) > 0, "the run should lose segments");
    assert!(metrics.retransmits > 0);
}

#[test]
fn addresses_map_to_private_and_benchmarking_blocks() {
    use std::net::Ipv4Addr;
    assert_eq!(
        pcap::address(Addr::Host(HostId(0))),
        Ipv4Addr::new(10, 0, 0, 1)
    );
    assert_eq!(
        pcap::address(Addr::Host(HostId(1))),
        Ipv4Addr::new(10, 0, 0, 2)
    );
    assert_eq!(
        pcap::address(Addr::Host(HostId(255))),
        Ipv4Addr::new(10, 0, 1, 0)
    );
    // Spoofed: 24 random bits, of which the 17 low land in 198.18/15.
    assert_eq!(
        pcap::address(Addr::Spoofed {
            flood: 2,
            addr: 0x01_0203
        }),
        Ipv4Addr::new(198, 19, 2, 3)
    );
    assert_eq!(
        pcap::address(Addr::Spoofed {
            flood: 0,
            addr: 0x00_0a0b
        }),
        Ipv4Addr::new(198, 18, 10, 11)
    );
}

// ------------------------------------------------------------------------------- mermaid

#[test]
fn the_mermaid_diagram_of_an_exchange_reads_like_rfc_9293() {
    let (_, trace) = trace(&exchange());
    let expected = "\
```mermaid
sequenceDiagram
    %% connection 0: client:49152 → server:80 (relative seq and ack)
    participant client
    participant server
    Note over client: SYN-SENT
    client->>server: SYN seq=0
    Note over server: SYN-RECEIVED
    server->>client: SYN,ACK seq=0 ack=1
    Note over client: ESTABLISHED
    client->>server: ACK seq=1 ack=1
    client->>server: ACK seq=1 ack=1 len=1000
    Note over server: ESTABLISHED
    server->>client: ACK seq=1 ack=1001 len=1000
    Note over client: FIN-WAIT-1
    client->>server: FIN,ACK seq=1001 ack=1001
    Note over server: CLOSE-WAIT
    server->>client: ACK seq=1001 ack=1002
    Note over server: LAST-ACK
    server->>client: FIN,ACK seq=1001 ack=1002
    Note over client: FIN-WAIT-2
    Note over client: TIME-WAIT
    client->>server: ACK seq=1002 ack=1002
    Note over server: CLOSED
    Note over client: CLOSED
```
";
    let options = LadderOptions::default();
    assert_eq!(
        mermaid::sequence_diagram(&trace, FlowId(0), &options).unwrap(),
        expected
    );
    assert_eq!(mermaid::sequence_diagram(&trace, FlowId(1), &options), None);
}

#[test]
fn the_mermaid_diagram_counts_from_each_isn_unless_asked_for_absolute_numbers() {
    let (_, trace) = trace(&lossy());
    let (_, _, _, syn) = sends(&trace)[0];
    let (_, _, _, synack) = sends(&trace)[1];
    let first_arrows = |absolute| {
        let options = LadderOptions {
            absolute,
            ..LadderOptions::default()
        };
        let text = mermaid::sequence_diagram(&trace, FlowId(0), &options).unwrap();
        text.lines()
            .filter(|l| l.contains("->>") || l.contains("-x"))
            .take(2)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(first_arrows(false)[0], "    client->>server: SYN seq=0");
    assert_eq!(
        first_arrows(true)[0],
        format!("    client->>server: SYN seq={}", syn.seq.0)
    );
    assert!(first_arrows(false)[1].ends_with(": SYN,ACK seq=0 ack=1"));
    assert!(first_arrows(true)[1].ends_with(&format!(
        ": SYN,ACK seq={} ack={}",
        synack.seq.0, synack.ack.0
    )));
}

#[test]
fn the_mermaid_diagram_crosses_out_lost_segments() {
    let (_, trace) = trace(&lossy());
    let text = mermaid::sequence_diagram(&trace, FlowId(0), &LadderOptions::default()).unwrap();
    let arrows = |arrow: &str| {
        text.lines()
            .filter(|l| {
                l.contains(&format!("client{arrow}server:"))
                    || l.contains(&format!("server{arrow}client:"))
            })
            .count()
    };
    assert_eq!(arrows("-x"), drops(&trace));
    assert_eq!(arrows("-x") + arrows("->>"), sends(&trace).len());
}

// ----------------------------------------------------------------------------------- svg

/// Each segment group of the picture: its class and label text.
fn svg_segments(svg: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}"));
    doc.descendants()
        .filter(|n| {
            n.has_tag_name("g")
                && n.attribute("class")
                    .is_some_and(|c| c.starts_with("segment"))
        })
        .map(|g| {
            let label = g
                .descendants()
                .find(|n| n.attribute("class") == Some("label"))
                .and_then(|n| n.text())
                .unwrap_or_default();
            (g.attribute("class").unwrap().to_string(), label.to_string())
        })
        .collect()
}

#[test]
fn the_svg_ladder_draws_one_labelled_arrow_per_segment() {
    let (_, trace) = trace(&exchange());
    let picture = svg::ladder(&trace, FlowId(0), &LadderOptions::default()).unwrap();
    let labels: Vec<String> = svg_segments(&picture)
        .into_iter()
        .map(|(class, label)| {
            assert_eq!(class, "segment");
            label
        })
        .collect();
    assert_eq!(
        labels,
        [
            "SYN seq=0",
            "SYN,ACK seq=0 ack=1",
            "ACK seq=1 ack=1",
            "ACK seq=1 ack=1 len=1000",
            "ACK seq=1 ack=1001 len=1000",
            "FIN,ACK seq=1001 ack=1001",
            "ACK seq=1001 ack=1002",
            "FIN,ACK seq=1001 ack=1002",
            "ACK seq=1002 ack=1002",
        ]
    );
    let doc = roxmltree::Document::parse(&picture).unwrap();
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    let states: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("state"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(
        states,
        [
            "SYN-SENT",
            "SYN-RECEIVED",
            "ESTABLISHED",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "CLOSE-WAIT",
            "LAST-ACK",
            "FIN-WAIT-2",
            "TIME-WAIT",
            "CLOSED",
            "CLOSED"
        ]
    );
    // The time scale names the send times; TIME-WAIT's 2·MSL is cut out and labelled.
    for t in ["0 ms", "10 ms", "60 ms", "240.06 s", "239.99 s later"] {
        assert!(texts.contains(&t), "no {t:?} in {texts:?}");
    }
    // Time runs down: every arrow ends lower than it starts.
    for line in doc.descendants().filter(|n| {
        n.has_tag_name("line") && n.parent().and_then(|p| p.attribute("class")) == Some("segment")
    }) {
        let y = |a| line.attribute(a).unwrap().parse::<f64>().unwrap();
        assert!(y("y2") > y("y1"));
    }
}

#[test]
fn the_svg_ladder_stops_lost_segments_half_way() {
    let (_, trace) = trace(&lossy());
    let options = LadderOptions::default();
    let segments = svg_segments(&svg::ladder(&trace, FlowId(0), &options).unwrap());
    let lost = segments.iter().filter(|(c, _)| c == "segment lost").count();
    assert_eq!(segments.len(), sends(&trace).len());
    assert_eq!(lost, drops(&trace));
    assert!(svg::ladder(&trace, FlowId(1), &options).is_none());
}

#[test]
fn the_svg_ladder_can_show_a_time_window() {
    let (_, trace) = trace(&exchange());
    // The handshake's second half and the request: sent from 10 ms to 20 ms.
    let options = LadderOptions {
        absolute: true,
        from: Some(Time::from_nanos(10_000_000)),
        until: Some(Time::from_nanos(20_000_000)),
    };
    let labels: Vec<String> = svg_segments(&svg::ladder(&trace, FlowId(0), &options).unwrap())
        .into_iter()
        .map(|(_, label)| label)
        .collect();
    assert_eq!(
        labels,
        [
            "SYN,ACK seq=0 ack=1",
            "ACK seq=1 ack=1",
            "ACK seq=1 ack=1 len=1000"
        ]
    );
}

#[test]
fn a_spoofed_syn_puts_its_forged_sender_on_the_left() {
    let (_, trace) = trace(&flood());
    // The SYN is the connection's first segment, though no connection sent it.
    let text = mermaid::sequence_diagram(&trace, FlowId(0), &LadderOptions::default()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[3].starts_with("    participant spoofed_0_"), "{text}");
    assert!(lines[3].contains(" as spoofed-0-"), "{text}");
    assert_eq!(lines[4], "    participant server");
    // The SYN-ACKs go to an address nobody answers from; numbers count from both ISNs.
    assert!(text.contains("    server->>spoofed_0_"));
    assert!(text.contains(": SYN,ACK seq=0 ack=1\n"));
    let picture = svg::ladder(&trace, FlowId(0), &LadderOptions::default()).unwrap();
    let segments = svg_segments(&picture);
    assert!(!segments.is_empty());
    assert!(segments
        .iter()
        .all(|(class, label)| class == "segment unreceived" && label == "SYN,ACK seq=0 ack=1"));
    // In the capture the spoofed source lies in 198.18.0.0/15.
    let bytes = pcap::capture(&trace).unwrap();
    let file = pcap_parser::PcapCapture::from_file(&bytes).unwrap();
    let syn = decode(file.blocks[0].data);
    assert_eq!(syn.flags, 0x02);
    assert_eq!(syn.src[0], 198);
    assert!(syn.src[1] == 18 || syn.src[1] == 19);
    assert_eq!(syn.dst, [10, 0, 0, 2]);
}

// --------------------------------------------------------------------------------- views

#[test]
fn each_view_is_the_export_it_names() {
    let (_, trace) = trace(&exchange());
    let options = LadderOptions::default();
    let render = |v| view::render(v, &trace, None, &options).unwrap();
    let text = |s: Option<String>| s.unwrap().into_bytes();
    assert_eq!(render(View::Pcap), pcap::capture(&trace).unwrap());
    assert_eq!(render(View::Jsonl), jsonl::jsonl(&trace).into_bytes());
    assert_eq!(
        render(View::Ladder),
        text(ladder::ladder(&trace, FlowId(0), &options))
    );
    assert_eq!(
        render(View::Mermaid),
        text(mermaid::sequence_diagram(&trace, FlowId(0), &options))
    );
    assert_eq!(
        render(View::Svg),
        text(svg::ladder(&trace, FlowId(0), &options))
    );
    let states = String::from_utf8(render(View::States)).unwrap();
    assert!(states.starts_with("conn 0 client: CLOSED 0.000 → SYN-SENT"));
    assert!(states.contains("\nConnection states (RFC 9293 §3.3.2, Figure 5)"));
}

#[test]
fn a_connection_the_run_does_not_have_is_an_error_that_counts_them() {
    let options = LadderOptions::default();
    let (_, one) = trace(&exchange());
    for v in [
        View::Ladder,
        View::Mermaid,
        View::Svg,
        View::Jsonl,
        View::Pcap,
        View::States,
    ] {
        let e = view::render(v, &one, Some(FlowId(1)), &options).unwrap_err();
        assert!(
            matches!(e, ViewError::NoSuchConnection { count: 1 }),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "this run has 1 connection(s), numbered 0 to 0"
        );
    }
    let probe = common::experiment_text("link-probe.toml");
    let (_, none) = trace(&probe.replace("duration = \"20s\"", "duration = \"100ms\""));
    let e = view::render(View::Ladder, &none, None, &options).unwrap_err();
    assert_eq!(
        e.to_string(),
        "this run has 0 connection(s) (no TCP workload?)"
    );
}
