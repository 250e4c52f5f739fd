//! The state-machine summary of a run: each endpoint's states with their times, the count
//! of every transition, and RFC 9293 Figure 5 annotated with those counts.

mod common;

use common::{attacker, client_server, exchange, head, request, script, syn_flood};

use synack_report::states::{
    endpoint_states, endpoints, state_diagram, transition_counts, MAX_ENDPOINTS,
};
use synack_tcp::State::{self, *};
use synack_world::trace::Trace;

fn trace(text: &str) -> Trace {
    common::traced(text).1
}

/// The table's rows, their columns joined by single spaces.
fn table_rows(diagram: &str) -> Vec<String> {
    diagram
        .lines()
        .skip_while(|l| !l.starts_with("from "))
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The drawing: from the title to the first blank line.
fn figure(diagram: &str) -> String {
    diagram
        .lines()
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn each_endpoint_of_the_exchange_lists_its_states_and_when_it_entered_them() {
    assert_eq!(
        endpoint_states(&trace(&exchange())),
        "conn 0 client: CLOSED 0.000 → SYN-SENT 0.000 → ESTABLISHED 0.020 → FIN-WAIT-1 0.040 \
         → FIN-WAIT-2 0.060 → TIME-WAIT 0.060 → CLOSED 240.060\n\
         conn 0 server: LISTEN 0.010 → SYN-RECEIVED 0.010 → ESTABLISHED 0.030 → CLOSE-WAIT 0.050 \
         → LAST-ACK 0.050 → CLOSED 0.070\n"
    );
}

#[test]
fn the_exchange_takes_each_transition_of_figures_6_and_12_once() {
    let counts = transition_counts(&trace(&exchange()));
    let taken: Vec<(State, State, u64)> = counts.iter().collect();
    assert_eq!(
        taken,
        vec![
            // Client and server interleave in the figure's order of `from`.
            (Closed, SynSent, 1),
            (Listen, SynReceived, 1),
            (SynReceived, Established, 1),
            (SynSent, Established, 1),
            (Established, FinWait1, 1),
            (Established, CloseWait, 1),
            (FinWait1, FinWait2, 1),
            (CloseWait, LastAck, 1),
            (FinWait2, TimeWait, 1),
            (LastAck, Closed, 1),
            (TimeWait, Closed, 1),
        ]
    );
    assert_eq!(counts.total(), 11);
    assert_eq!(counts.get(SynSent, Closed), 0);
    assert_eq!((counts.entered(Closed), counts.left(Closed)), (2, 1));
    assert_eq!(counts.causes(TimeWait, Closed), vec![("timer", 1)]);
    assert_eq!(counts.causes(LastAck, Closed), vec![("rcv ACK", 1)]);
}

#[test]
fn the_diagram_annotates_every_arrow_with_its_count_and_tables_what_was_taken() {
    let diagram = state_diagram(&trace(&exchange()));
    let fig = figure(&diagram);
    // The eleven transitions taken are all arrows of Figure 5; its other eight stay at 0.
    assert_eq!(fig.matches("[×1]").count(), 11, "{diagram}");
    assert_eq!(fig.matches("[×0]").count(), 8, "{diagram}");
    assert!(fig.contains("active OPEN / snd SYN [×1]"), "{diagram}");
    assert!(fig.contains("rcv SYN / snd SYN,ACK   [×0]"), "{diagram}");
    assert!(!diagram.contains("Not drawn above"), "{diagram}");
    assert_eq!(
        table_rows(&diagram),
        vec![
            "CLOSED SYN-SENT 1 active OPEN / create TCB, snd SYN",
            "LISTEN SYN-RECEIVED 1 rcv SYN / snd SYN,ACK",
            "SYN-RECEIVED ESTABLISHED 1 rcv ACK of SYN / x",
            "SYN-SENT ESTABLISHED 1 rcv SYN,ACK / snd ACK",
            "ESTABLISHED FIN-WAIT-1 1 CLOSE / snd FIN",
            "ESTABLISHED CLOSE-WAIT 1 rcv FIN / snd ACK",
            "FIN-WAIT-1 FIN-WAIT-2 1 rcv ACK of FIN / x",
            "CLOSE-WAIT LAST-ACK 1 CLOSE / snd FIN",
            "FIN-WAIT-2 TIME-WAIT 1 rcv FIN / snd ACK",
            "LAST-ACK CLOSED 1 rcv ACK of FIN / x rcv ACK ×1",
            "TIME-WAIT CLOSED 1 timeout=2MSL / delete TCB timer ×1",
            "all 11",
        ]
    );
}

#[test]
fn resets_are_tabled_below_the_figure_with_their_cause() {
    // A forged RST, exactly in the server's window, arrives at 35 ms: the server's
    // connection ends in ESTABLISHED. The client's FIN (40 ms) then finds no connection
    // and is answered by <SEQ=SEG.ACK><CTL=RST>, which ends FIN-WAIT-1.
    let text = exchange()
        + &script(
            "forged",
            r#"{ at = "25ms", from = "client", to = "server", sport = 49152, dport = 80, flags = "RST", seq = 1001 }"#,
        );
    let trace = trace(&text);
    assert_eq!(
        endpoint_states(&trace),
        "conn 0 client: CLOSED 0.000 → SYN-SENT 0.000 → ESTABLISHED 0.020 → FIN-WAIT-1 0.040 \
         → CLOSED 0.060\n\
         conn 0 server: LISTEN 0.010 → SYN-RECEIVED 0.010 → ESTABLISHED 0.030 → CLOSED 0.035\n"
    );
    let diagram = state_diagram(&trace);
    assert!(
        diagram.contains("Not drawn above (†): 2 transitions of 2 kinds"),
        "{diagram}"
    );
    let rows = table_rows(&diagram);
    assert!(
        rows.contains(
            &"ESTABLISHED CLOSED 1 rcv RST, ABORT, or retransmissions exhausted † rcv RST ×1"
                .to_string()
        ),
        "{diagram}"
    );
    assert!(
        rows.contains(
            &"FIN-WAIT-1 CLOSED 1 rcv RST, ABORT, or retransmissions exhausted † rcv RST ×1"
                .to_string()
        ),
        "{diagram}"
    );
}

#[test]
fn half_open_connections_of_a_syn_flood_time_out_off_the_figure() {
    let text = [
        head("flood", "100s", "profile = \"linux\""),
        client_server("delay = \"10ms\"", "", ""),
        attacker(),
        request("r", "start = \"5s\""),
        syn_flood("rate = 2\nstop = \"1s\""),
    ]
    .concat();
    let trace = trace(&text);
    let counts = transition_counts(&trace);
    // Two spoofed SYNs (at 0 and 0.5 s) and the client's.
    assert_eq!(counts.get(Listen, SynReceived), 3);
    assert_eq!(counts.get(SynReceived, Established), 1);
    // Their SYN-ACKs go unanswered until the retries run out.
    assert_eq!(counts.get(SynReceived, Closed), 2);
    assert_eq!(counts.causes(SynReceived, Closed), vec![("timer", 2)]);
    let diagram = state_diagram(&trace);
    assert!(diagram.contains("[×3]"), "{diagram}");
    assert!(
        diagram.contains("Not drawn above (†): 2 transitions of 1 kind\n"),
        "{diagram}"
    );
    assert!(table_rows(&diagram).contains(
        &"SYN-RECEIVED CLOSED 2 rcv RST, ABORT, or SYN,ACK retries exhausted † timer ×2"
            .to_string()
    ));
}

/// Connections arriving 200 a second for 3 s; by the end of the 10 s run every one has
/// closed and left TIME-WAIT (2·MSL = 1 s).
fn churn() -> String {
    common::churn("10s", "500ms", 200.0, "32768-60999", "stop = \"3s\"")
}

#[test]
fn in_a_churn_run_every_state_entered_is_left_again() {
    let trace = trace(&churn());
    let counts = transition_counts(&trace);
    let all = endpoints(&trace);
    let clients = all.iter().filter(|e| e.visits[0].0 == Closed).count() as u64;
    assert!(clients > 400, "{clients} connections");
    assert_eq!(all.len() as u64, 2 * clients);
    // Every connection that entered SYN-SENT left it, and so on down to CLOSED.
    for state in [
        SynSent,
        SynReceived,
        Established,
        FinWait1,
        FinWait2,
        CloseWait,
        LastAck,
        TimeWait,
    ] {
        assert_eq!(counts.entered(state), counts.left(state), "{state}");
    }
    assert_eq!(counts.entered(SynSent), clients);
    assert_eq!(counts.entered(Closed), 2 * clients);
    assert!(all.iter().all(|e| e.visits.last().unwrap().0 == Closed));
    // The counts and the endpoints' timelines are the same state changes.
    let steps: usize = all.iter().map(|e| e.visits.len() - 1).sum();
    assert_eq!(counts.total(), steps as u64);
    let diagram = state_diagram(&trace);
    assert!(
        diagram.contains(&format!("active OPEN / snd SYN [×{clients}]")),
        "{diagram}"
    );
    // The per-endpoint listing stops after MAX_ENDPOINTS and says how many it left out.
    let listing = endpoint_states(&trace);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), MAX_ENDPOINTS + 1);
    assert!(
        lines[0].starts_with("conn 0 client: CLOSED 0."),
        "{listing}"
    );
    assert_eq!(
        lines[MAX_ENDPOINTS],
        format!(
            "… and {} more endpoints ({} in all)",
            all.len() - MAX_ENDPOINTS,
            all.len()
        )
    );
}

#[test]
fn moves_by_a_timer_or_the_application_are_counted_under_those_causes() {
    let counts = transition_counts(&trace(&exchange()));
    // The client's connect and close, the server's close: the application's doing.
    assert_eq!(counts.causes(Closed, SynSent), vec![("application", 1)]);
    assert_eq!(
        counts.causes(Established, FinWait1),
        vec![("application", 1)]
    );
    assert_eq!(counts.causes(CloseWait, LastAck), vec![("application", 1)]);
    // The end of TIME-WAIT: its timer's.
    assert_eq!(counts.causes(TimeWait, Closed), vec![("timer", 1)]);
    // The rest: a segment's receipt, named by its flags.
    assert_eq!(
        counts.causes(SynSent, Established),
        vec![("rcv SYN,ACK", 1)]
    );
    assert_eq!(counts.causes(FinWait2, TimeWait), vec![("rcv FIN,ACK", 1)]);
}
