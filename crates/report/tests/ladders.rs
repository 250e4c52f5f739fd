//! One connection's ladder, as the text ladder, Mermaid and SVG draw it, checked against the
//! records by packet id: each segment's arrival is the first receipt of its own packet,
//! copies stay copies, and each state change is shown with its recorded cause.

mod common;

use std::collections::HashMap;

use common::{dropped, exchange_over, flood};
use synack_report::conversation::{Conversation, Fate, Flight, Shown};
use synack_report::export::{mermaid, svg};
use synack_report::ladder::{self, LadderOptions};
use synack_sim::Time;
use synack_tcp::State;
use synack_world::ids::{Addr, FlowId, PacketId};
use synack_world::trace::{Cause, Record, Trace};

/// Every receipt time of each packet, in record order.
fn receipts(trace: &Trace) -> HashMap<PacketId, Vec<Time>> {
    let mut out: HashMap<PacketId, Vec<Time>> = HashMap::new();
    for r in trace.records() {
        if let Record::Recv { t, packet, .. } = r {
            out.entry(*packet).or_default().push(*t);
        }
    }
    out
}

/// (packet, send time, receiver) of every packet connection `conn` sent, in record order.
fn sends(trace: &Trace, conn: FlowId) -> Vec<(PacketId, Time, Addr)> {
    common::sent(trace)
        .filter(|s| s.conn == Some(conn))
        .map(|s| (s.packet, s.t, s.to))
        .collect()
}

fn conversation(trace: &Trace, conn: FlowId) -> Conversation {
    Conversation::of(trace, conn, &LadderOptions::default()).unwrap()
}

/// Each connection's flights are its sends, one each, and each flight's fate and copies
/// are what the records of its packet id say.
fn flights_follow_packet_ids(trace: &Trace) {
    let receipts = receipts(trace);
    let dropped = dropped(trace);
    for conn in trace.connections() {
        let c = conversation(trace, conn);
        let sent = sends(trace, conn);
        assert_eq!(c.flights.len(), sent.len(), "connection {conn}");
        for (f, (packet, t, to)) in c.flights.iter().zip(sent) {
            assert_eq!((f.packet, f.sent), (packet, t));
            let got = receipts.get(&packet).map_or(&[][..], Vec::as_slice);
            match f.fate {
                Fate::Arrived(r) => assert_eq!(r.t, got[0], "packet {packet}"),
                Fate::Lost => assert!(dropped.contains(&packet) && got.is_empty()),
                Fate::Vanished => assert!(matches!(to, Addr::Spoofed { .. }) && got.is_empty()),
                Fate::InFlight => assert!(got.is_empty() && !dropped.contains(&packet)),
            }
            let copies: Vec<Time> = f.copies.iter().map(|r| r.t).collect();
            assert_eq!(copies, got.get(1..).unwrap_or_default(), "packet {packet}");
        }
    }
}

/// The text ladder's lines with a segment (not copies): (sent, arrived) as printed.
fn ladder_rows(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| l.contains("<SEQ=") && !l.contains("(copy)") && !l.contains("(rcv "))
        .map(|l| {
            let arrived = &l[l.len() - 12..];
            (l[..12].trim().to_string(), arrived.trim().to_string())
        })
        .collect()
}

fn secs(t: Time) -> String {
    format!("{:.6}", t.as_secs_f64())
}

/// What the text ladder must print for each flight: its send time and its arrival.
fn expected_rows(trace: &Trace, conn: FlowId) -> Vec<(String, String)> {
    let receipts = receipts(trace);
    sends(trace, conn)
        .into_iter()
        .map(|(packet, t, to)| {
            let arrived = match receipts.get(&packet) {
                Some(r) => secs(r[0]),
                None if matches!(to, Addr::Spoofed { .. }) => "vanished".to_string(),
                None if dropped(trace).contains(&packet) => String::new(),
                None => "in flight".to_string(),
            };
            (secs(t), arrived)
        })
        .collect()
}

/// `20 ms`, `20.116 ms`, `1.5 s`: the SVG's way of writing times.
fn svg_time(t: Time) -> String {
    let ns = t.as_nanos();
    let trim = |s: String| s.trim_end_matches('0').trim_end_matches('.').to_string();
    if ns < 1_000_000_000 {
        format!("{} ms", trim(format!("{:.3}", ns as f64 / 1e6)))
    } else {
        format!("{} s", trim(format!("{:.6}", ns as f64 / 1e9)))
    }
}

/// The tooltip of each arrow of the given class in the SVG picture.
fn svg_titles(picture: &str, class: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(picture).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
        .map(|g| {
            let title = g.children().find(|n| n.has_tag_name("title")).unwrap();
            title.text().unwrap().to_string()
        })
        .collect()
}

/// The arrows of the Mermaid diagram that are sends (not copies).
fn mermaid_sends(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| (l.contains("->>") && !l.contains("-->>")) || l.contains("-x"))
        .collect()
}

/// Two sends of identical segments whose receipts came the other way round: what a
/// builder that pairs receipts with sends by comparing segments gets wrong.
fn identical_segments_overtake(trace: &Trace) -> bool {
    let receipts = receipts(trace);
    let sent: Vec<_> = common::sent(trace)
        .filter_map(|s| Some((s.packet, s.from, s.seg, receipts.get(&s.packet)?[0])))
        .collect();
    sent.iter().enumerate().any(|(i, a)| {
        sent[i + 1..]
            .iter()
            .any(|b| (a.1, a.2) == (b.1, b.2) && b.3 < a.3)
    })
}

#[test]
fn under_jitter_each_segment_arrives_when_its_own_packet_does() {
    // Jitter nearly as large as the delay reorders the link; loss makes duplicate ACKs and
    // retransmissions, identical segments that overtake each other.
    let text = exchange_over("jitter = \"9ms\"\nloss = 0.03", "100KB");
    let (_, trace) = common::traced(&text);
    assert!(identical_segments_overtake(&trace));
    flights_follow_packet_ids(&trace);
    let options = LadderOptions::default();
    let c = conversation(&trace, FlowId(0));
    let ladder = ladder::ladder(&trace, FlowId(0), &options).unwrap();
    assert_eq!(ladder_rows(&ladder), expected_rows(&trace, FlowId(0)));
    // The SVG's tooltips name the same send and arrival times.
    let picture = svg::ladder(&trace, FlowId(0), &options).unwrap();
    let delivered: Vec<&Flight> = c
        .flights
        .iter()
        .filter(|f| matches!(f.fate, Fate::Arrived(_)))
        .collect();
    let titles = svg_titles(&picture, "segment");
    assert_eq!(titles.len(), delivered.len());
    let receipts = receipts(&trace);
    for (title, f) in titles.iter().zip(delivered) {
        let when = format!(
            "sent {}, arrived {};",
            svg_time(f.sent),
            svg_time(receipts[&f.packet][0])
        );
        assert!(title.contains(&when), "{title} should say {when}");
    }
    // Mermaid draws the flights in send order.
    let diagram = mermaid::sequence_diagram(&trace, FlowId(0), &options).unwrap();
    let arrows = mermaid_sends(&diagram);
    assert_eq!(arrows.len(), c.flights.len());
    for (arrow, f) in arrows.iter().zip(&c.flights) {
        assert!(arrow.ends_with(&format!(": {}", c.label(f))), "{arrow}");
    }
}

#[test]
fn a_duplicated_packet_is_one_flight_with_copies() {
    let text = exchange_over("duplicate = 0.5", "1KB");
    let (_, trace) = common::traced(&text);
    flights_follow_packet_ids(&trace);
    let c = conversation(&trace, FlowId(0));
    let copies: usize = c.flights.iter().map(|f| f.copies.len()).sum();
    assert!(copies > 0, "the link should duplicate some packets");
    let sent = sends(&trace, FlowId(0)).len();
    let options = LadderOptions::default();
    // The text ladder: a line per send, a `(copy)` line per copy, each copy right below its
    // segment's line with the same send time and segment.
    let ladder = ladder::ladder(&trace, FlowId(0), &options).unwrap();
    assert_eq!(ladder_rows(&ladder), expected_rows(&trace, FlowId(0)));
    let lines: Vec<&str> = ladder.lines().collect();
    let copy_lines: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("(copy)"))
        .collect();
    assert_eq!(copy_lines.len(), copies, "{ladder}");
    for &i in &copy_lines {
        let segment = |l: &str| {
            l.split_whitespace()
                .find(|w| w.starts_with("<SEQ="))
                .unwrap()
                .to_string()
        };
        let original = (1..=i)
            .map(|k| lines[i - k])
            .find(|l| !l.contains("(copy)"))
            .unwrap();
        assert_eq!(segment(lines[i]), segment(original), "{ladder}");
        assert_eq!(lines[i][..12], original[..12], "{ladder}");
    }
    // Mermaid: an arrow per send, a dotted `copy of` arrow per copy.
    let diagram = mermaid::sequence_diagram(&trace, FlowId(0), &options).unwrap();
    assert_eq!(mermaid_sends(&diagram).len(), sent);
    assert_eq!(diagram.matches("-->>").count(), copies);
    assert_eq!(diagram.matches(": copy of ").count(), copies);
    // SVG: an arrow per send, a thin one per copy.
    let picture = svg::ladder(&trace, FlowId(0), &options).unwrap();
    assert_eq!(svg_titles(&picture, "segment").len(), sent);
    assert_eq!(svg_titles(&picture, "copy").len(), copies);
}

/// The case of the issue: `synack trace experiments/lost-final-ack.toml --point 11`.
/// Without TIME-WAIT the client forgets the connection after its last ACK; that ACK is
/// lost, the server retransmits its FIN, and the client's stack answers with a RST that
/// belongs to no connection. Returns the trace, the options, the connection and the RST's
/// flight, for the first connection whose RST reached the server (the link loses 20 %).
fn lost_final_ack() -> (Trace, LadderOptions, FlowId, Flight, String) {
    let (_, trace) = common::experiment("lost-final-ack.toml").trace_one(11, 0);
    let options = LadderOptions::default();
    for flow in (0..400).map(FlowId) {
        let Some(c) = Conversation::of(&trace, flow, &options) else {
            continue;
        };
        let rst = c.flights.iter().find(|f| f.seg.flags.rst()).cloned();
        if let Some(rst) = rst.filter(|r| matches!(r.fate, Fate::Arrived(_))) {
            let label = c.label(&rst);
            assert!(rst.from_client && label.starts_with("RST seq="));
            return (trace, options, flow, rst, label);
        }
    }
    panic!("no connection's RST arrived")
}

#[test]
fn the_rst_that_ends_last_ack_is_the_recorded_cause_of_closed() {
    let (trace, options, flow, rst, _) = lost_final_ack();
    let c = Conversation::of(&trace, flow, &options).unwrap();
    let Fate::Arrived(receipt) = rst.fate else {
        panic!("the RST arrives")
    };
    assert_eq!(receipt.state, State::Closed);
    // The server's move to CLOSED names the RST as its cause, and is shown with it.
    let closed: Vec<_> = c
        .changes
        .iter()
        .filter(|ch| !ch.client && ch.to == State::Closed)
        .collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].cause, Cause::Packet(rst.packet));
    let flight = c
        .flights
        .iter()
        .position(|f| f.packet == rst.packet)
        .unwrap();
    let receipt = 0;
    assert_eq!(closed[0].shown, Shown::Receipt { flight, receipt });
    assert!(closed[0].segment.is_some_and(|s| s.flags.rst()));
}

#[test]
fn the_rst_that_ends_last_ack_is_in_the_text_ladder_with_closed() {
    let (trace, options, flow, rst, label) = lost_final_ack();
    let Fate::Arrived(receipt) = rst.fate else {
        panic!("the RST arrives")
    };
    // The RST's line ends the server in CLOSED; no timer did anything.
    let text = ladder::ladder(&trace, flow, &options).unwrap();
    let rst_text = format!("<SEQ={}><CTL=RST>", &label["RST seq=".len()..]);
    let line = text
        .lines()
        .find(|l| l.contains(&rst_text))
        .unwrap_or_else(|| panic!("no RST in\n{text}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        &words[1..],
        [
            "CLOSED",
            "-->",
            "<SEQ=102><CTL=RST>",
            "-->",
            "CLOSED",
            &secs(receipt.t)
        ],
        "{text}"
    );
    assert!(!text.contains("(timer)"), "{text}");
}

/// The text written beside the state dot at the end of the arrow labelled `label`.
fn svg_state_at_arrowhead(picture: &str, label: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(picture).unwrap();
    let arrow = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("segment"))
        .find(|g| g.descendants().any(|n| n.text() == Some(label)))
        .and_then(|g| g.children().find(|n| n.has_tag_name("line")))?;
    let (x2, y2) = (arrow.attribute("x2")?, arrow.attribute("y2")?);
    let dot = doc.descendants().find(|n| {
        n.has_tag_name("circle") && n.attribute("cx") == Some(x2) && n.attribute("cy") == Some(y2)
    })?;
    Some(dot.next_sibling_element()?.text()?.to_string())
}

#[test]
fn the_rst_that_ends_last_ack_is_in_mermaid_and_svg_with_closed() {
    let (trace, options, flow, _, label) = lost_final_ack();
    // Mermaid: the server's CLOSED note comes right after the RST.
    let diagram = mermaid::sequence_diagram(&trace, flow, &options).unwrap();
    let lines: Vec<&str> = diagram.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == format!("    client->>server: {label}"))
        .unwrap_or_else(|| panic!("no RST in\n{diagram}"));
    assert_eq!(lines[at + 1], "    Note over server: CLOSED");
    // SVG: the server's CLOSED is written where the RST's arrow ends.
    let picture = svg::ladder(&trace, flow, &options).unwrap();
    assert_eq!(
        svg_state_at_arrowhead(&picture, &label).as_deref(),
        Some("CLOSED")
    );
}

#[test]
fn syn_acks_to_spoofed_addresses_vanish_and_are_not_lost() {
    // A listener without SYN cookies: each spoofed SYN gets a connection, whose SYN-ACKs
    // (and their retransmissions) go to an address that answers nothing.
    let text = flood().replace("rate = 1\n", "rate = 4\n").replace(
        "name = \"server\"\n",
        "name = \"server\"\ntcp = { syn_cookies = false }\n",
    );
    let (_, trace) = common::traced(&text);
    flights_follow_packet_ids(&trace);
    let options = LadderOptions::default();
    let flooded: Vec<FlowId> = trace
        .connections()
        .into_iter()
        .filter(|&conn| matches!(conversation(&trace, conn).client, Addr::Spoofed { .. }))
        .collect();
    assert_eq!(flooded.len(), 2, "SYNs at 0 and 250 ms");
    for conn in flooded {
        let c = conversation(&trace, conn);
        assert!(!c.flights.is_empty());
        for f in &c.flights {
            assert!(f.seg.flags.syn() && f.seg.flags.ack() && !f.from_client);
            assert_eq!(f.fate, Fate::Vanished);
        }
        // The text ladder says so, counting from the spoofed SYN's ISN.
        let text = ladder::ladder(&trace, conn, &options).unwrap();
        let rows: Vec<&str> = text.lines().filter(|l| l.contains("<SEQ=")).collect();
        assert!(!text.contains("--x") && !text.contains("x--"), "{text}");
        assert_eq!(rows[0].split_whitespace().nth(1), Some("(rcv"), "{text}");
        assert!(rows[0].contains("<SEQ=0><CTL=SYN>)"), "{text}");
        for row in &rows[1..] {
            assert!(row.contains("<SEQ=0><ACK=1><CTL=SYN,ACK>"), "{text}");
            assert!(
                row.trim_end().ends_with("SYN-RECEIVED       vanished"),
                "{text}"
            );
        }
        // The SVG's tooltips too.
        let picture = svg::ladder(&trace, conn, &options).unwrap();
        let titles = svg_titles(&picture, "segment unreceived");
        assert_eq!(titles.len(), c.flights.len());
        assert!(titles.iter().all(|t| t.contains("vanished")), "{titles:?}");
        assert!(svg_titles(&picture, "segment lost").is_empty());
    }
}

#[test]
fn an_old_duplicate_syn_is_a_copy_in_its_own_connection_and_opens_the_ghost() {
    // The two-way handshake's point with the most old duplicates (10 % of the client's
    // packets leave a stale copy), cut to its first 400 ms.
    let text = common::experiment_text("two-way-handshake.toml")
        .replace("duration = \"20s\"", "duration = \"400ms\"");
    let (_, trace) = common::plan(&text).trace_one(9, 0);
    flights_follow_packet_ids(&trace);
    let mut ghosts = 0;
    for conn in trace.connections() {
        let c = conversation(&trace, conn);
        // A ghost: its first change is the receipt of a packet it did not send.
        let first = c.changes[0];
        let Cause::Packet(p) = first.cause else {
            continue;
        };
        if c.flights.iter().any(|f| f.packet == p) {
            continue;
        }
        ghosts += 1;
        // The SYN came from an earlier connection, where it is a copy of a flight.
        let (origin, syn) = trace
            .connections()
            .into_iter()
            .find_map(|o| {
                let oc = conversation(&trace, o);
                let f = oc.flights.into_iter().find(|f| f.packet == p)?;
                Some((o, f))
            })
            .expect("the old SYN was sent by a connection");
        assert!(origin < conn && syn.seg.flags.syn() && !syn.copies.is_empty());
        // The ghost's ladder puts that SYN's sender on the left and counts from its ISN.
        assert!(c.client != c.server && !first.client);
        let ladder = ladder::ladder(&trace, conn, &LadderOptions::default()).unwrap();
        let rows: Vec<&str> = ladder.lines().skip(3).collect();
        let words: Vec<&str> = rows[0].split_whitespace().collect();
        assert_eq!(
            &words[1..],
            ["(rcv", "<SEQ=0><CTL=SYN>)", "ESTABLISHED"],
            "{ladder}"
        );
        assert!(
            rows[1].contains("<--  <SEQ=0><ACK=1><CTL=SYN,ACK>  <--"),
            "{ladder}"
        );
    }
    assert!(ghosts > 0, "no ghost connection in the first 400 ms");
}

#[test]
fn changes_without_a_segment_to_show_them_stand_alone_with_their_cause() {
    // The half-close experiment: the server's application closes while its response is
    // still queued, so no segment leaves with LAST-ACK at that instant; the client's
    // TIME-WAIT ends by its timer.
    let (_, trace) = common::experiment("half-close.toml").trace_one(0, 0);
    let c = conversation(&trace, FlowId(0));
    let last_ack = c.changes.iter().find(|ch| ch.to == State::LastAck).unwrap();
    assert_eq!((last_ack.cause, last_ack.shown), (Cause::App, Shown::Alone));
    let text = ladder::ladder(&trace, FlowId(0), &LadderOptions::default()).unwrap();
    let alone = |label: &str| {
        text.lines()
            .filter(|l| l.contains(label))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        alone("(application)"),
        [format!("{} (application) LAST-ACK", secs(last_ack.t))]
    );
    let closed = c.changes.last().unwrap();
    assert!(closed.client && closed.cause == Cause::Timer);
    assert_eq!(
        alone("(timer)"),
        [format!("{} CLOSED (timer)", secs(closed.t))]
    );
    // Every other change is a packet's, shown with its receipt, or shown by the send it
    // precedes.
    for ch in &c.changes {
        match ch.shown {
            Shown::Receipt { flight, receipt } => {
                assert_eq!(ch.cause, Cause::Packet(c.flights[flight].packet));
                assert_eq!(c.flights[flight].receipt(receipt).unwrap().t, ch.t);
            }
            Shown::Send(i) => {
                assert!(ch.cause == Cause::App || ch.cause == Cause::Timer);
                assert_eq!(
                    (c.flights[i].sent, c.flights[i].sender_state),
                    (ch.t, ch.to)
                );
            }
            Shown::Alone => assert!(std::ptr::eq(ch, last_ack) || std::ptr::eq(ch, closed)),
        }
    }
}
