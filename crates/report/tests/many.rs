//! Many connections: listeners under pressure, SYN cookies, ephemeral ports, TIME-WAIT,
//! old duplicates. Exact outcomes where the timeline is deterministic; closed forms of
//! queueing theory where it is random.

mod common;

use common::{attacker, client_server, head, request, run, script, sent, syn_flood, traced};

use synack_experiment::metrics::Metrics;
use synack_world::ids::{Addr, HostId};

const CLIENT: Addr = Addr::Host(HostId(0));
const SERVER: Addr = Addr::Host(HostId(1));

/// A client and a server 10 ms apart, and an attacker 10 ms from the server; `server_tcp`
/// goes into the server's `tcp` table. Exact timers, for round schedules.
fn under_attack(server_tcp: &str, duration: &str, workloads: &str) -> String {
    [
        head(
            "t",
            duration,
            "profile = \"linux\"\nmsl = \"1s\"\ntimer_wheel_hz = 0",
        ),
        client_server("delay = \"10ms\"", "", server_tcp),
        attacker(),
        workloads.to_string(),
    ]
    .concat()
}

/// A request from the client at 100 ms, and one spoofed SYN at t = 0 that takes the only
/// place in the SYN queue (listen(fd, 0): Linux's queue is full once it holds more than 0).
fn request_after_one_spoofed_syn() -> String {
    request("r", "start = \"100ms\"") + &syn_flood("rate = 1\nstop = \"500ms\"")
}

#[test]
fn a_full_syn_queue_drops_syns_until_the_half_open_connection_gives_up() {
    let text = under_attack(
        "backlog = 0, syn_cookies = false",
        "100s",
        &request_after_one_spoofed_syn(),
    );
    let m = run(&text, 0);
    // The spoofed SYN arrives at 10 ms; its SYN-ACK goes out at 10 ms and is retransmitted
    // 5 times (1, 3, 7, 15, 31 s later); the half-open connection gives up 63 s after the
    // first, at 63.01 s. The client's SYNs (Linux: 4 linear retries, then doubling) leave at
    // 0.1 + 0, 1, 2, 3, 4, 5, 7, 11, 19, 35 s and arrive 10 ms later, all while the queue
    // is full; the one at 0.1 + 67 s finds it empty.
    assert_eq!(m.syn_dropped, 10);
    assert_eq!(m.syn_retransmits, 10);
    assert_eq!(m.synack_retransmits, 5);
    assert_eq!((m.conn_established, m.conn_failed), (1, 0));
    assert!(
        (m.handshake_mean_s.unwrap() - 67.020).abs() < 1e-9,
        "{}",
        m.handshake_mean_s.unwrap()
    );
    assert_eq!(m.half_open_peak, 1);
    assert_eq!(m.syncookies_sent, 0);
}

#[test]
fn with_syn_cookies_a_full_queue_answers_with_a_cookie_and_the_ack_opens_the_connection() {
    let text = under_attack(
        "backlog = 0, syn_cookies = true",
        "10s",
        &request_after_one_spoofed_syn(),
    );
    let (m, trace) = traced(&text);
    assert_eq!(
        (m.syncookies_sent, m.syncookies_accepted, m.syn_dropped),
        (1, 1, 0)
    );
    assert_eq!((m.conn_established, m.conn_closed_clean), (1, 1));
    assert!((m.handshake_mean_s.unwrap() - 0.020).abs() < 1e-9);
    assert_eq!(m.bytes_delivered, 1100);
    // The cookie SYN-ACK is sent once and never again, though the client's ACK is what
    // the server waits for.
    let synacks: Vec<u32> = sent(&trace)
        .filter(|s| s.from == SERVER && s.to == CLIENT && s.seg.flags.syn() && s.seg.flags.ack())
        .map(|s| s.seg.seq.0)
        .collect();
    assert_eq!(synacks.len(), 1);
}

#[test]
fn a_forged_cookie_ack_is_answered_with_a_reset() {
    let workloads = [
        script(
            "forged",
            r#"{ at = "1s", from = "client", to = "server", sport = 40000, dport = 80, flags = "ACK", seq = 5000, ack = 123456 }"#,
        ),
        request("r", "start = \"5s\""),
    ]
    .concat();
    let (m, trace) = traced(&under_attack("syn_cookies = true", "10s", &workloads));
    assert_eq!((m.syncookies_accepted, m.ghost_established), (0, 0));
    // RFC 9293 §3.10.7.2 (LISTEN, second): <SEQ=SEG.ACK><CTL=RST>.
    let rst = sent(&trace)
        .find(|s| s.from == SERVER && s.seg.flags.rst())
        .map(|s| (s.t.as_nanos(), s.seg.seq.0, s.seg.dst_port));
    assert_eq!(rst, Some((1_010_000_000, 123_456, 40000)));
}

#[test]
fn connect_fails_locally_when_every_port_is_in_time_wait() {
    let text = [
        head("ports", "1s", "profile = \"linux\"\nmsl = \"1s\""),
        client_server("delay = \"1ms\"", "ephemeral_ports = \"50000-50004\"", ""),
        request("r", "count = 20\ninterval = \"10ms\""),
    ]
    .concat();
    let m = run(&text, 0);
    // Five ports; each connection takes about 5 ms, then its port sits in TIME-WAIT for
    // 2 s. Connects at 0, 10, …, 40 ms get the five ports; the 15 after find none.
    assert_eq!(m.conn_attempted, 20);
    assert_eq!(
        (m.conn_established, m.port_exhausted, m.conn_failed),
        (5, 15, 15)
    );
    assert_eq!(m.time_wait_peak, 5);
}

fn stale_syn(handshake: &str) -> Metrics {
    let text = [
        head(
            "old-syn",
            "60s",
            &format!("profile = \"rfc\"\nmsl = \"5s\"\nhandshake = \"{handshake}\""),
        ),
        client_server("delay = \"10ms\"", "", ""),
        script(
            "old",
            r#"{ at = "1s", from = "client", to = "server", sport = 40000, dport = 80, flags = "SYN", seq = 1000 }"#,
        ),
        request("r", "start = \"30s\""),
    ]
    .concat();
    run(&text, 0)
}

#[test]
fn an_old_duplicate_syn_is_reset_by_the_three_way_handshake_and_makes_a_ghost_without_it() {
    // RFC 9293 Figure 8: the SYN-ACK reaches a client with no such connection, which
    // answers RST; the server returns to LISTEN.
    let three = stale_syn("three-way");
    assert_eq!(three.ghost_established, 0);
    assert_eq!(three.half_open_peak, 1);
    assert_eq!((three.conn_established, three.conn_closed_clean), (1, 1));
    // Without the third segment the server is ESTABLISHED on the SYN alone: a ghost.
    let two = stale_syn("two-way");
    assert_eq!(two.ghost_established, 1);
    assert_eq!((two.conn_established, two.conn_closed_clean), (1, 1));
}

fn churn(rate: f64, ports: &str, seconds: u32) -> Metrics {
    run(
        &common::churn(&format!("{seconds}s"), "500ms", rate, ports, ""),
        0,
    )
}

#[test]
fn time_wait_sockets_follow_littles_law() {
    let (rate, hold, seconds) = (200.0, 1.0, 30.0);
    let m = churn(rate, "32768-60999", seconds as u32);
    // L = λ·W for W = 2·MSL, less the ramp-up of the first W seconds (mean over [0, T]).
    let expected = rate * hold - rate * hold * hold / (2.0 * seconds);
    // The occupancy of an M/D/∞ queue averaged over T has variance ≈ λ·W²/T.
    let sigma = (rate * hold * hold / seconds).sqrt();
    assert!(
        (m.time_wait_mean - expected).abs() < 5.0 * sigma,
        "mean {} against {expected} (5σ = {})",
        m.time_wait_mean,
        5.0 * sigma
    );
    assert_eq!((m.port_exhausted, m.conn_failed), (0, 0));
    // Every connection but those still in TIME-WAIT at the end has closed cleanly.
    let open_at_end = m.conn_established - m.conn_closed_clean;
    assert!(
        open_at_end as f64 <= m.time_wait_peak as f64,
        "{open_at_end} still open"
    );
}

/// Erlang's loss formula B(a, n): the blocking probability of n servers offered a erlangs.
fn erlang_b(a: f64, n: u32) -> f64 {
    (1..=n).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

#[test]
fn port_exhaustion_starts_at_p_over_2_msl_and_blocks_as_erlang_predicts() {
    // 100 ports held 2·MSL = 1 s each: the threshold is λ = 100 connections a second.
    let below = churn(50.0, "50000-50099", 20);
    assert_eq!(below.port_exhausted, 0);
    let above = churn(200.0, "50000-50099", 20);
    // Each port is a server of an Erlang loss system (M/G/n/n; the blocking does not
    // depend on the holding time's distribution), offered 200 erlangs. Blocking starts
    // once the ports have filled, about 0.5 s into the 20 s run.
    let b = erlang_b(200.0, 100);
    let measured = above.port_exhausted as f64 / above.conn_attempted as f64;
    let expected = b * (20.0 - 0.5) / 20.0;
    assert!(
        (measured - expected).abs() < 0.03,
        "blocked {measured}, Erlang B {expected}"
    );
}

#[test]
fn a_slow_application_fills_the_accept_queue_and_the_last_ack_waits_for_room() {
    let text = [
        head("slow-accept", "20s", "profile = \"linux\"\nmsl = \"1s\""),
        client_server(
            "delay = \"10ms\"",
            "",
            "listen_queues = \"separate\", accept_queue = 1",
        ),
        request("r", "count = 3\ninterval = \"1ms\"\naccept_rate = 1"),
    ]
    .concat();
    let (m, trace) = traced(&text);
    // The server sees each handshake's third segment three one-way trips after the SYN:
    // A is established and accepted at 30 ms; B (31 ms) waits in the accept queue until
    // the next accept at 1.03 s; C's final ACK (32 ms) finds the queue full and is ignored,
    // so the server resends its SYN-ACK one RTO after the first (1.012 s), and the client's
    // answering ACK (1.032 s) finds room: C is accepted at 2.03 s.
    assert_eq!(m.synack_retransmits, 1);
    assert_eq!(
        (m.conn_established, m.conn_closed_clean, m.syn_dropped),
        (3, 3, 0)
    );
    assert_eq!(m.bytes_delivered, 3 * 1100);
    // Each response leaves as its connection is accepted (its request is there already).
    let responses: Vec<u64> = sent(&trace)
        .filter(|s| s.from == SERVER && s.seg.len == 1000)
        .map(|s| s.t.as_nanos() / 10_000_000)
        .collect();
    assert_eq!(
        responses,
        vec![3, 103, 203],
        "response send times in 10 ms units"
    );
}

/// One client port, so every connection is a new incarnation of the same 4-tuple, opened
/// as soon as the last one's TIME-WAIT allows (a connect is tried every 10 ms); zero ISNs,
/// so incarnations share their sequence space; a 50 KB response, and a link that delivers
/// half of the server's segments again up to 3 s later. Without timestamps unless
/// `timestamps`. Only the server's segments come again: old SYNs and ACKs delivered to the
/// server again could replay a whole handshake, which zero ISNs let through even PAWS.
/// TIME-WAIT is RFC 9293's and protected from RSTs (`rfc1337`), so that it lasts exactly
/// 2·MSL: Linux's restarts its timer whenever an old segment reaches it, a defence of its
/// own that keeps the copies out longer.
fn reincarnations(msl_ms: u64, time_wait: bool) -> Metrics {
    reincarnations_with(msl_ms, time_wait, false)
}

fn reincarnations_with(msl_ms: u64, time_wait: bool, timestamps: bool) -> Metrics {
    let text = [
        "replications = 1\n".to_string(),
        head(
            "stale",
            "600s",
            &format!(
                "profile = \"linux\"\nisn = \"zero\"\nmsl = \"{msl_ms}ms\"\ntime_wait = {time_wait}\ntimestamps = {timestamps}\nrfc1337 = true\ntime_wait_rules = \"rfc9293\""
            ),
        ),
        client_server(
            "delay = \"5ms\"\nbandwidth = \"10Mbps\"\n[link.reverse]\nstale = { probability = 0.5, max_age = \"3s\" }",
            "ephemeral_ports = \"50000-50000\"",
            "",
        ),
        request(
            "r",
            "request = \"1000B\"\nresponse = \"50KB\"\ncount = 60000\ninterval = \"10ms\"",
        ),
    ]
    .concat();
    run(&text, 0)
}

#[test]
fn old_duplicates_are_accepted_unless_time_wait_outlasts_them() {
    // 2·MSL = 1 s < 3 s: old copies reach the next incarnations.
    let short = reincarnations(500, true);
    assert!(short.stale_accepted > 0, "{short:?}");
    // No TIME-WAIT at all: many more, as incarnations follow one another at once.
    let none = reincarnations(500, false);
    assert!(none.stale_accepted > 10 * short.stale_accepted, "{none:?}");
    // 2·MSL = 4 s > 3 s: every old copy arrives while the 4-tuple is still in TIME-WAIT.
    let long = reincarnations(2000, true);
    assert_eq!(long.stale_accepted, 0);
    assert!(long.conn_established > 100);
}

/// With timestamps (the linux profile's default) PAWS rejects the old copies even when
/// TIME-WAIT is too short for them (RFC 7323 §5): the host's timestamp clock only grows, so
/// a copy from an earlier incarnation carries a TSval older than the new one's TS.Recent.
#[test]
fn paws_rejects_old_duplicates_that_outlive_time_wait() {
    let without = reincarnations_with(500, true, false);
    assert!(without.stale_accepted > 0, "{without:?}");
    let with = reincarnations_with(500, true, true);
    assert_eq!(with.stale_accepted, 0, "{with:?}");
    assert!(with.conn_established > 100);
}

#[test]
fn a_live_client_whose_syn_meets_an_old_duplicates_half_open_entry_is_not_a_ghost() {
    // Zero ISNs: the old SYN (scripted, of no live incarnation) and the client's new SYN on
    // the same port are identical. The old one opens a half-open entry at 10 ms; the live
    // SYN reaches it 1 ms later and the handshake completes with it. That connection is the
    // client's: neither a ghost nor a taker of stale data.
    let text = [
        head(
            "adopt",
            "10s",
            "profile = \"linux\"\nisn = \"zero\"\nmsl = \"1s\"",
        ),
        client_server("delay = \"10ms\"", "ephemeral_ports = \"50000-50000\"", ""),
        script(
            "old",
            r#"{ at = "0s", from = "client", to = "server", sport = 50000, dport = 80, flags = "SYN", seq = 0 }"#,
        ),
        request("r", "start = \"1ms\""),
    ]
    .concat();
    let m = run(&text, 0);
    assert_eq!((m.ghost_established, m.stale_accepted), (0, 0));
    assert_eq!(
        (m.conn_established, m.conn_closed_clean, m.bytes_delivered),
        (1, 1, 1100)
    );
}

/// A churn of 100-byte exchanges over a 1 ms link at `rate` a second for `seconds`, the
/// client closing first, with `client_tcp` overrides on the client (MSL 30 s).
fn churn_with(rate: f64, seconds: u32, client_tcp: &str) -> Metrics {
    let text = [
        head(
            "mitigation",
            &format!("{seconds}s"),
            "profile = \"linux\"\nmsl = \"30s\"",
        ),
        client_server("delay = \"1ms\"", client_tcp, ""),
        common::workload(
            "c",
            "churn",
            "client",
            "server:80",
            &format!(
                "rate = {rate}\narrivals = \"periodic\"\nrequest = \"100B\"\nresponse = \"100B\""
            ),
        ),
    ]
    .concat();
    run(&text, 0)
}

/// `max_tw_buckets = 50`: the client's TIME-WAIT table stops at 50, and every later close
/// skips TIME-WAIT (`time_wait_overflow`), all within the 60 s of the first TIME-WAIT.
#[test]
fn max_tw_buckets_caps_time_wait_and_counts_the_overflow() {
    let m = churn_with(100.0, 10, "max_tw_buckets = 50");
    assert_eq!(m.time_wait_peak, 50);
    assert_eq!(m.port_exhausted, 0);
    // 1,000 connections, all closed within the run but the last few.
    assert!(
        (940..=950).contains(&m.time_wait_overflow),
        "{}",
        m.time_wait_overflow
    );
    let free = churn_with(100.0, 10, "");
    assert_eq!(free.time_wait_overflow, 0);
    assert!(free.time_wait_peak > 990, "{}", free.time_wait_peak);
}

/// Ten client ports, one connection every 0.4 s: each port comes round again after 4 s,
/// while its TIME-WAIT (60 s) still holds it. Without `tw_reuse` the ports run out after
/// ten connections; with `tw_reuse = 1` and timestamps, every later connect takes over a
/// TIME-WAIT socket older than the 1 s delay.
#[test]
fn tw_reuse_keeps_ten_ports_serving_a_steady_churn() {
    let ports = "ephemeral_ports = \"50000-50009\"";
    let held = churn_with(2.5, 20, ports);
    assert_eq!(held.conn_established, 10);
    assert_eq!(held.port_exhausted, 40);
    let reused = churn_with(2.5, 20, &format!("{ports}, tw_reuse = 1"));
    assert_eq!((reused.conn_established, reused.port_exhausted), (50, 0));
    assert_eq!(reused.time_wait_reused, 40);
    // The ten taken over ended clean; the last ten are still in TIME-WAIT at the end.
    assert_eq!(reused.conn_closed_clean, 40);
    // Without timestamps TIME-WAIT is never safe to take over.
    let bare = churn_with(
        2.5,
        20,
        &format!("{ports}, tw_reuse = 1, timestamps = false"),
    );
    assert_eq!((bare.time_wait_reused, bare.port_exhausted), (0, 40));
}

/// `linger_zero` on a churn's client (SO_LINGER 0, the first closer): every close is a RST,
/// so no TIME-WAIT is left anywhere and no port is held; the server, waiting for a FIN,
/// sees its connection reset. Nothing is lost: the client had read the whole response.
#[test]
fn linger_zero_closes_with_a_reset_and_leaves_no_time_wait() {
    let text = [
        head("linger", "10s", "profile = \"linux\"\nmsl = \"30s\""),
        client_server("delay = \"1ms\"", "ephemeral_ports = \"50000-50009\"", ""),
        common::workload(
            "c",
            "churn",
            "client",
            "server:80",
            "rate = 5\narrivals = \"periodic\"\nlinger_zero = true",
        ),
    ]
    .concat();
    let m = run(&text, 0);
    assert_eq!((m.conn_established, m.port_exhausted), (50, 0));
    assert_eq!(m.time_wait_peak, 0);
    assert_eq!((m.conn_reset, m.conn_closed_clean), (50, 0));
    assert_eq!((m.bytes_lost, m.bytes_delivered), (0, 50 * 1100));
}

/// A bulk client that closes with SO_LINGER 0 as soon as its 200 KB are in the send buffer
/// throws away all it has not had acknowledged: only the first flight (ten segments, sent
/// before the abort) can arrive.
#[test]
fn linger_zero_discards_what_was_not_acknowledged() {
    let text = [
        head("linger-bulk", "5s", "profile = \"linux\""),
        client_server("delay = \"10ms\"", "", ""),
        common::workload(
            "b",
            "bulk",
            "client",
            "server:80",
            "bytes = \"200KB\"\nlinger_zero = true",
        ),
    ]
    .concat();
    let m = run(&text, 0);
    assert_eq!(m.bytes_delivered, 10 * 1448);
    assert_eq!(m.bytes_lost, 200_000 - 10 * 1448);
    assert_eq!(m.conn_reset, 1);
}

/// A server restarted at 5 s while 10 connections a second come in. When the server closes
/// first it holds a TIME-WAIT socket per connection on port 80 for 60 s, so without
/// `SO_REUSEADDR` the new process's `bind()` fails every second to the end of the run and
/// every later connect is refused; with it, the port listens again 100 ms after the exit.
/// When the client closes first, nothing of the old process outlives the restart by more
/// than a round trip, and `bind()` succeeds at once without the option.
#[test]
fn a_restart_needs_so_reuseaddr_when_the_server_holds_time_wait() {
    let restart = |closer: &str, reuse: bool| {
        let text = [
            head("restart", "20s", "profile = \"linux\""),
            client_server("delay = \"1ms\"", "", ""),
            common::workload(
                "c",
                "churn",
                "client",
                "server:80",
                &format!("rate = 10\narrivals = \"periodic\"\ncloser = \"{closer}\""),
            ),
            format!(
                "[[workload]]\nname = \"deploy\"\nkind = \"restart\"\nserver = \"server:80\"\n\
                 at = \"5s\"\nreuse_addr = {reuse}\n"
            ),
        ]
        .concat();
        run(&text, 0)
    };
    let held = restart("server", false);
    assert_eq!(held.bind_failures, 15, "at 5.1 s, 6.1 s, … 19.1 s");
    assert!((held.restart_downtime_s - 15.0).abs() < 1e-9);
    assert_eq!(held.conn_established, 50);
    assert_eq!(
        held.conn_failed, 150,
        "refused by a RST while nothing listens"
    );
    let reused = restart("server", true);
    assert_eq!(reused.bind_failures, 0);
    assert!((reused.restart_downtime_s - 0.1).abs() < 1e-9);
    assert_eq!((reused.conn_established, reused.conn_failed), (199, 1));
    let client_closes = restart("client", false);
    assert_eq!(client_closes.bind_failures, 0);
    assert!((client_closes.restart_downtime_s - 0.1).abs() < 1e-9);
}

/// `kind = "pool"`: 100 requests, 10 a second over a 1 ms link. One persistent connection
/// carries them all (one handshake, one TIME-WAIT when the pool closes at the end), each
/// answered one round trip after it arrives; with `connections = 0` every request opens
/// its own connection, and pays a handshake first (two round trips in all).
#[test]
fn a_pool_carries_many_requests_over_one_connection() {
    let pool = |connections: u32| {
        let text = [
            head("pool", "20s", "profile = \"linux\""),
            client_server("delay = \"1ms\"", "", ""),
            common::workload(
                "p",
                "pool",
                "client",
                "server:80",
                &format!(
                    "rate = 10\narrivals = \"periodic\"\nconnections = {connections}\nstop = \"10s\""
                ),
            ),
        ]
        .concat();
        run(&text, 0)
    };
    let one = pool(1);
    assert_eq!((one.conn_attempted, one.requests_completed), (1, 100));
    assert_eq!(one.time_wait_peak, 1);
    assert_eq!(one.bytes_delivered, 100 * 1100);
    assert!(
        (one.request_mean_s.unwrap() - 0.002).abs() < 1e-4,
        "{}",
        one.request_mean_s.unwrap()
    );
    let none = pool(0);
    assert_eq!((none.conn_attempted, none.requests_completed), (100, 100));
    assert_eq!(none.time_wait_peak, 100);
    assert!(
        (none.request_mean_s.unwrap() - 0.004).abs() < 1e-4,
        "{}",
        none.request_mean_s.unwrap()
    );
}

/// A pool too small for its load: 100 requests a second over a 20 ms round trip need two
/// connections busy on average. One connection falls further behind with every request;
/// four keep up, each request answered in one round trip.
#[test]
fn a_pool_too_small_queues_its_requests() {
    let pool = |connections: u32| {
        let text = [
            head("pool", "5s", "profile = \"linux\""),
            client_server("delay = \"10ms\"", "", ""),
            common::workload(
                "p",
                "pool",
                "client",
                "server:80",
                &format!("rate = 100\narrivals = \"periodic\"\nconnections = {connections}"),
            ),
        ]
        .concat();
        run(&text, 0)
    };
    let one = pool(1);
    let four = pool(4);
    assert!(
        one.request_mean_s.unwrap() > 1.0,
        "{}",
        one.request_mean_s.unwrap()
    );
    assert!(one.requests_completed < 300, "{}", one.requests_completed);
    assert!(
        (four.request_mean_s.unwrap() - 0.020).abs() < 0.002,
        "{}",
        four.request_mean_s.unwrap()
    );
    assert!(
        four.requests_completed >= 495,
        "{}",
        four.requests_completed
    );
}

/// A connect() whose SYNs are all lost gives up when the timer expires after its last
/// retransmission, and `connect_fail_mean_s` is that time. Linux (`tcp_syn_linear_timeouts`
/// = 4, `tcp_syn_retries` = 6, exact timers): SYNs at 0, 1, 2, 3, 4, then 5, 7, 11, 19, 35,
/// 67 s after connect(); the timer armed with 64 s expires at 131 s. RFC 6298 (`rfc`: 1 s
/// initial RTO doubling, 6 retries): SYNs at 0, 1, 3, 7, 15, 31, 63 s; the timer after the
/// last, 64 s capped at the 60 s maximum RTO, ends it at 123 s.
#[test]
fn a_connect_that_fails_records_when_it_gave_up() {
    for (profile, gave_up) in [("linux", 131.0), ("rfc", 123.0)] {
        let text = [
            head(
                "t",
                "300s",
                &format!("profile = \"{profile}\"\ntimer_wheel_hz = 0"),
            ),
            client_server("delay = \"10ms\"\nforward = { loss = 1.0 }", "", ""),
            request("r", "start = \"0s\""),
        ]
        .concat();
        let m = run(&text, 0);
        assert_eq!((m.conn_attempted, m.conn_failed), (1, 1), "{profile}");
        assert!(
            (m.connect_fail_mean_s.unwrap() - gave_up).abs() < 1e-9,
            "{profile}: {}",
            m.connect_fail_mean_s.unwrap()
        );
    }
}
