//! Packets through routers: latency over k routers, TTL, the routers' queues, spoofed
//! answers on their way back to the flood's entry, host groups.

use synack_experiment::config::Experiment;
use synack_sim::{Duration, Time};
use synack_world::ids::Addr;
use synack_world::trace::{Record, Trace};
use synack_world::{RunOutput, World};

/// Runs the first sweep point of `text` once (seed 1), with its trace.
fn run(text: &str) -> (RunOutput, Trace) {
    let exp = Experiment::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
    let checked = synack_experiment::check(&exp, &[]).unwrap_or_else(|e| panic!("{e}"));
    World::traced(&checked.points[0].world, 1)
}

/// Host `a`, routers r1..rk in a chain, host `b`: k + 1 links of 1 ms at 1 Mbps. One
/// scripted SYN from a to b at 0 s (b answers with a RST: nothing listens).
fn chain(k: usize, extra: &str) -> String {
    let mut text = format!(
        "name = \"chain\"\nduration = \"1s\"\n{extra}\n[[host]]\nname = \"a\"\n[[host]]\nname = \"b\"\n"
    );
    for r in 1..=k {
        text += &format!("[[router]]\nname = \"r{r}\"\n");
    }
    let names: Vec<String> = std::iter::once("a".to_string())
        .chain((1..=k).map(|r| format!("r{r}")))
        .chain(std::iter::once("b".to_string()))
        .collect();
    for (i, pair) in names.windows(2).enumerate() {
        text += &format!(
            "[[link]]\nname = \"l{i}\"\nbetween = [\"{}\", \"{}\"]\ndelay = \"1ms\"\nbandwidth = \"1Mbps\"\n",
            pair[0], pair[1]
        );
    }
    text += r#"
[[workload]]
name = "syn"
kind = "script"
segments = [
  { at = "0s", from = "a", to = "b", sport = 40000, dport = 80, flags = "SYN" },
  { at = "0s", from = "a", to = "b", sport = 40001, dport = 80, flags = "SYN" },
]
"#;
    text
}

/// (send time, first receipt time) of each packet sent, in order.
fn crossings(trace: &Trace) -> Vec<(Time, Option<Time>)> {
    let mut sends: Vec<(u32, Time, Option<Time>)> = Vec::new();
    for r in trace.records() {
        match r {
            Record::Send(s) => sends.push((s.packet.0, s.t, None)),
            Record::Recv { t, packet, .. } => {
                let s = sends.iter_mut().find(|s| s.0 == packet.0).expect("sent");
                s.2.get_or_insert(*t);
            }
            _ => {}
        }
    }
    sends.into_iter().map(|(_, s, r)| (s, r)).collect()
}

#[test]
fn a_packet_crosses_k_routers_in_k_plus_one_link_times_exactly() {
    // A SYN with its MSS option is 44 bytes on the wire: 352 µs at 1 Mbps.
    let per_link = Duration::from_millis(1) + Duration::from_micros(352);
    for k in [0usize, 1, 2, 5] {
        let (out, trace) = run(&chain(k, ""));
        let c = crossings(&trace);
        let (sent, received) = c[0];
        assert_eq!(
            received.expect("the SYN arrives") - sent,
            Duration::from_nanos(per_link.as_nanos() * (k as u64 + 1)),
            "{k} routers"
        );
        // The second SYN, sent at the same instant, waits behind the first at the first
        // link only; after that each link is free when it arrives, so it keeps one
        // serialisation of delay.
        let (sent2, received2) = c[1];
        assert_eq!(sent2, sent);
        assert_eq!(
            received2.expect("the second SYN arrives") - sent2,
            Duration::from_nanos(per_link.as_nanos() * (k as u64 + 1)) + Duration::from_micros(352),
            "{k} routers"
        );
        // Both SYNs and both RSTs, each handed to k + 1 links.
        assert_eq!(out.metrics.segments_sent, 4 * (k as u64 + 1));
        assert_eq!(out.metrics.ttl_expired, 0);
    }
}

#[test]
fn a_router_drops_a_packet_whose_ttl_runs_out() {
    // TTL 3: routers r1 and r2 forward (3 → 2 → 1); r3 gets it with 1 left and drops it.
    let (out, trace) = run(&chain(3, "ttl = 3"));
    assert_eq!(out.metrics.ttl_expired, 2, "both SYNs die at r3");
    assert!(crossings(&trace).iter().all(|(_, r)| r.is_none()));
    let drops: Vec<_> = (trace.records().iter())
        .filter_map(|r| match r {
            Record::Drop { channel, .. } => Some(*channel),
            _ => None,
        })
        .collect();
    // Dropped where they came off link l2 (r2 → r3, its forward direction).
    assert_eq!(drops.len(), 2);
    assert!(drops.iter().all(|c| c.link == 2 && c.forward));
    // With TTL 4 they arrive.
    let (out, trace) = run(&chain(3, "ttl = 4"));
    assert_eq!(out.metrics.ttl_expired, 0);
    assert!(crossings(&trace).iter().all(|(_, r)| r.is_some()));
}

/// A server behind a router, and an attacker whose spoofed SYNs enter at host `edge`
/// beyond a second router: the SYN-ACKs travel back over r1 → r2 → edge and vanish there.
const FLOOD_THROUGH_ROUTERS: &str = r#"
name = "flood"
duration = "2s"
[tcp]
syn_cookies = true
[[host]]
name = "server"
[[host]]
name = "edge"
[[router]]
name = "r1"
[[router]]
name = "r2"
[[link]]
name = "s"
between = ["server", "r1"]
delay = "1ms"
[[link]]
name = "core"
between = ["r1", "r2"]
delay = "1ms"
[link.forward]
bandwidth = "300Kbps"
queue = 5
[[link]]
name = "e"
between = ["r2", "edge"]
delay = "1ms"
[[workload]]
name = "web"
kind = "bulk"
from = "edge"
to = "server:80"
bytes = 1
start = "1.9s"
[[workload]]
name = "flood"
kind = "flood"
from = "edge"
to = "server:80"
rate = 1000
stop = "1s"
"#;

#[test]
fn answers_to_spoofed_sources_cross_the_routers_back_to_the_entry() {
    let (out, trace) = run(FLOOD_THROUGH_ROUTERS);
    let m = &out.metrics;
    // 1000 SYNs at 1000/s, each answered at once: by a SYN-ACK from the SYN queue (which
    // it retransmits) until the queue is full, then by a cookie SYN-ACK. Toward the edge the core runs at 300 kbps: a SYN-ACK of 44 bytes
    // or more takes 1.17 ms or more there, longer than the 1 ms between answers, so its
    // queue of 5 fills and drops. The SYNs' direction is infinitely fast and loses nothing.
    let core_drops = (trace.records().iter())
        .filter(
            |r| matches!(r, Record::Drop { channel, .. } if channel.link == 1 && channel.forward),
        )
        .count() as u64;
    let to_spoofed = (trace.records().iter())
        .filter(|r| matches!(r, Record::Send(s) if matches!(s.to, Addr::Spoofed { .. })))
        .count() as u64;
    assert!(
        to_spoofed > 1000,
        "every SYN answered, some again: {to_spoofed}"
    );
    assert!(m.syncookies_sent > 0);
    assert_eq!(
        m.segments_lost, core_drops,
        "only the core's queue toward the edge drops"
    );
    assert!(
        core_drops > 100,
        "the answers load the core's queue: {core_drops} drops"
    );
    // The answers that got through vanished at the edge (counted as events, never
    // received by a host): no receipt at a spoofed address is in the trace.
    assert!(trace.records().iter().all(|r| match r {
        Record::Recv { packet, .. } => !matches!(
            trace.sent(*packet).map(|s| s.to),
            Some(Addr::Spoofed { .. })
        ),
        _ => true,
    }));
    // The legitimate client, after the flood, gets through.
    assert_eq!(m.conn_established, 1);
}

#[test]
fn a_group_of_clients_shares_the_router_link() {
    let text = r#"
name = "star"
duration = "3s"
[[host]]
name = "client"
count = 20
[[host]]
name = "server"
[[router]]
name = "r"
[[link]]
name = "access"
between = ["client[*]", "r"]
delay = "1ms"
[[link]]
name = "uplink"
between = ["r", "server"]
delay = "2ms"
bandwidth = "10Mbps"
[[workload]]
name = "web"
kind = "request"
from = "client[*]"
to = "server:80"
count = 2
request = 100
response = "10KB"
interval = "500ms"
"#;
    let (out, _) = run(text);
    let m = &out.metrics;
    assert_eq!(m.conn_attempted, 40, "20 clients, 2 connections each");
    assert_eq!(m.conn_established, 40);
    assert_eq!(m.requests_completed, 40);
    // Every handshake crosses access (1 ms) and uplink (2 ms) each way: at least 6 ms.
    let handshake = m.handshake_mean_s.unwrap();
    assert!(handshake >= 0.006, "{handshake}");
}

#[test]
fn a_flood_may_enter_at_a_router_and_its_answers_vanish_there() {
    // The same network, the flood entering at r2 instead of the edge host behind it: its
    // SYNs cross core and s (not e), the answers come back over core and vanish at r2.
    let text = FLOOD_THROUGH_ROUTERS.replace(
        "kind = \"flood\"\nfrom = \"edge\"",
        "kind = \"flood\"\nfrom = \"r2\"",
    );
    assert!(text.contains("from = \"r2\""));
    let (out, trace) = run(&text);
    let m = &out.metrics;
    let spoofed = |a: &Addr| matches!(a, Addr::Spoofed { .. });
    let syns = (trace.records().iter())
        .filter(|r| matches!(r, Record::Send(s) if spoofed(&s.from)))
        .count();
    assert_eq!(syns, 1000, "1000 SYNs at 1000/s for 1 s");
    // Every SYN reaches the server (the core's r2 → r1 direction and s lose nothing)…
    let at_server = (trace.records().iter())
        .filter(|r| {
            matches!(r, Record::Recv { packet, .. }
                if trace.sent(*packet).is_some_and(|s| spoofed(&s.from)))
        })
        .count();
    assert_eq!(at_server, 1000);
    // …none crosses link e (index 2), and no answer is received by any host.
    assert!(trace.records().iter().all(|r| match r {
        Record::Drop {
            channel, packet, ..
        } => channel.link != 2 || !trace.sent(*packet).is_some_and(|s| spoofed(&s.from)),
        Record::Recv { packet, .. } => !trace.sent(*packet).is_some_and(|s| spoofed(&s.to)),
        _ => true,
    }));
    assert!(m.syncookies_sent > 0);
    // The answers load core's r1 → r2 queue as before, and the client still gets in.
    assert!(m.segments_lost > 100, "{}", m.segments_lost);
    assert_eq!(m.conn_established, 1);
}
