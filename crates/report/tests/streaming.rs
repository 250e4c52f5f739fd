//! A traced run goes straight into its view (issue 14): the views made as the run goes —
//! JSON lines, the capture, the states, and the ladders from the one connection's records
//! a [`Trace::of_connection`] keeps — are byte for byte the views of the whole trace kept in
//! memory, for every connection of runs with old duplicates and ghosts, TIME-WAIT ended by a
//! SYN, spoofed floods, losses and copies.

mod common;

use synack_report::export::{jsonl, mermaid, pcap, svg};
use synack_report::ladder::{ladder, LadderOptions};
use synack_report::run::{trace_point, Plan};
use synack_report::view::{self, View};
use synack_sim::Time;
use synack_world::ids::FlowId;
use synack_world::trace::{Names, Sink, Trace};

/// Runs worth drawing: (plan, point).
fn runs() -> Vec<(Plan, usize)> {
    let cut = |name: &str, changes: &[(&str, &str)]| {
        let mut text = common::experiment_text(name);
        for (from, to) in changes {
            assert!(text.contains(from), "{name}: {from}");
            text = text.replace(from, to);
        }
        common::plan(&text)
    };
    vec![
        // Old duplicate SYNs open ghosts; stale copies arrive in later incarnations.
        (
            cut(
                "two-way-handshake.toml",
                &[("duration = \"20s\"", "duration = \"400ms\"")],
            ),
            9,
        ),
        // TIME-WAIT ended by a new SYN of the same 4-tuple (short MSL, reused ports).
        (
            cut(
                "msl-sweep.toml",
                &[("duration = \"60s\"", "duration = \"3s\"")],
            ),
            0,
        ),
        // A lost final ACK: LAST-ACK retransmits its FIN into TIME-WAIT.
        (common::experiment("lost-final-ack.toml"), 11),
        // Spoofed SYNs whose answers vanish, cookies, a full backlog.
        (
            cut(
                "syn-flood.toml",
                &[
                    ("duration = \"280s\"", "duration = \"2s\""),
                    ("start = \"100s\"", "start = \"500ms\""),
                    ("stop = \"140s\"", "stop = \"1500ms\""),
                ],
            ),
            12,
        ),
        (common::experiment("half-close.toml"), 0),
    ]
}

/// The view made as the run goes.
fn streamed(
    plan: &Plan,
    point: usize,
    v: View,
    connection: Option<FlowId>,
    o: &LadderOptions,
) -> Vec<u8> {
    let p = &plan.points[point];
    let play = |sink: &mut dyn Sink| {
        trace_point(p, plan.seed, 0, sink);
    };
    let mut out = Vec::new();
    view::write(v, &Names::of(&p.world), play, connection, o, &mut out)
        .unwrap_or_else(|e| panic!("{v:?} {connection:?}: {e}"));
    out
}

#[test]
fn every_view_made_as_the_run_goes_is_the_view_of_the_whole_trace() {
    let windows = [
        LadderOptions::default(),
        LadderOptions {
            from: Some(Time::from_nanos(50_000_000)),
            until: Some(Time::from_nanos(250_000_000)),
            absolute: false,
        },
    ];
    for (plan, point) in runs() {
        let name = &plan.points[point].params;
        let (_, whole) = plan.trace_one(point, 0);
        let connections = whole.connections();
        assert!(!connections.is_empty(), "{name:?}");
        for o in &windows {
            // The whole run's views.
            assert_eq!(
                streamed(&plan, point, View::Jsonl, None, o),
                view::render(View::Jsonl, &whole, None, o).unwrap(),
                "{name:?}"
            );
            assert_eq!(
                streamed(&plan, point, View::Pcap, None, o),
                view::render(View::Pcap, &whole, None, o).unwrap()
            );
            assert_eq!(
                streamed(&plan, point, View::States, None, o),
                view::render(View::States, &whole, None, o).unwrap()
            );
            // Each connection's: the ladders drawn from the records the filtered trace
            // kept, as from all of them.
            for &c in connections.iter().take(40) {
                let one = Some(c);
                let text = |s: Option<String>| s.map(String::into_bytes).unwrap_or_default();
                for (v, drawn) in [
                    (View::Ladder, text(ladder(&whole, c, o))),
                    (View::Mermaid, text(mermaid::sequence_diagram(&whole, c, o))),
                    (View::Svg, text(svg::ladder(&whole, c, o))),
                ] {
                    assert_eq!(
                        String::from_utf8(streamed(&plan, point, v, one, o)).unwrap(),
                        String::from_utf8(drawn).unwrap(),
                        "{name:?} {v:?} connection {c}"
                    );
                }
                assert_eq!(
                    streamed(&plan, point, View::Jsonl, one, o),
                    view::render(View::Jsonl, &whole, one, o).unwrap()
                );
            }
        }
        // The in-memory exports are the streamed ones.
        let o = LadderOptions::default();
        assert_eq!(
            streamed(&plan, point, View::Jsonl, None, &o),
            jsonl::jsonl(&whole).into_bytes()
        );
        assert_eq!(
            streamed(&plan, point, View::Pcap, None, &o),
            pcap::capture(&whole).unwrap()
        );
    }
}

#[test]
fn a_connection_kept_alone_holds_its_receipts_from_other_connections() {
    // The ghosts of the two-way handshake begin with a SYN another connection sent: the
    // filtered trace keeps that receipt (and its send), or the ghost's ladder would start
    // with a change caused by nothing it shows.
    let (plan, point) = runs().remove(0);
    let (_, whole) = plan.trace_one(point, 0);
    let p = &plan.points[point];
    let mut kept_alone = 0;
    for c in whole.connections() {
        let mut one = Trace::of_connection(Names::of(&p.world), c);
        trace_point(p, plan.seed, 0, &mut one);
        assert!(one.records().len() <= whole.records().len());
        assert_eq!(one.connection_count().get(), whole.connection_count().get());
        if one.connections().iter().any(|&o| o != c) {
            kept_alone += 1;
        }
    }
    assert!(kept_alone > 0, "no connection holds another's records");
}
