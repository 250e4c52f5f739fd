//! The experiment file: every kind of mistake gives one precise message (file, line:column,
//! key, what was expected, a suggestion), and valid files give the typed experiment.

mod common;

use std::path::Path;

use common::{BASE, BULK};
use proptest::prelude::*;
use synack_experiment::config::*;
use synack_sim::Duration;
use synack_tcp::config::{Config, Congestion, Handshake, Isn, PassiveClose, PortRange, Rules};

fn parse_err(text: &str) -> ConfigError {
    match Experiment::parse(text, "x.toml") {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

fn assert_contains(err: &ConfigError, expected: &[&str]) {
    let shown = err.to_string();
    for e in expected {
        assert!(
            shown.contains(e),
            "message\n  {shown}\nshould contain\n  {e}"
        );
    }
}

/// Each bad file, and substrings its message must contain.
#[test]
fn bad_files() {
    let base = |extra: &str| format!("{BASE}{extra}");
    let bulk = |extra: &str| format!("{BASE}{BULK}{extra}");
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "unknown top-level key",
            "name = \"t\"\nduration = \"10s\"\nsede = 1\n".to_string(),
            vec![
                "x.toml:3:1: unknown key `sede` at the top level; expected one of: name, \
                 description, seed, duration, replications, tcp, host, router, link, route, routing, \
                 ttl, workload, sweep, chart",
                "did you mean `seed`?",
            ],
        ),
        (
            "unknown key in [tcp]",
            base("\n[tcp]\nmsll = \"1s\"\n"),
            vec![
                "x.toml:15:1: unknown key `msll` in [tcp]; expected one of: profile, mss, sack, timestamps, window_scaling, msl,",
                "did you mean `msl`?",
            ],
        ),
        (
            "unknown key in a host's tcp",
            BASE.replace(
                "name = \"server\"",
                "name = \"server\"\ntcp = { syn_cookie = true }",
            ),
            vec![
                "x.toml:8:9: unknown key `syn_cookie` in `host.server.tcp`",
                "did you mean `syn_cookies`?",
            ],
        ),
        (
            "unknown key in [[link]]",
            base("los = 0.01\n"),
            vec![
                "x.toml:13:1: unknown key `los` in [[link]] \"wan\"; expected one of: name, \
                 between, forward, reverse, delay, jitter, bandwidth, queue, loss, duplicate, \
                 reorder, stale; did you mean `loss`?",
            ],
        ),
        (
            "unknown key in [link.forward]",
            base("[link.forward]\ndelya = \"1ms\"\n"),
            vec![
                "x.toml:14:1: unknown key `delya` in `link.wan.forward`",
                "did you mean `delay`?",
            ],
        ),
        (
            "unknown key in a workload",
            bulk("byte = \"1MB\"\n"),
            vec![
                "x.toml:20:1: unknown key `byte` in [[workload]] \"w\"; expected one of: name, \
                 kind, from, to, bytes, start, server_close, accept_rate, linger_zero; did you mean `bytes`?",
            ],
        ),
        (
            "unknown key in a script segment",
            base(
                "[[workload]]\nname = \"s\"\nkind = \"script\"\nsegments = [\n  \
                 { at = \"1s\", from = \"client\", to = \"server\", sport = 1, dport = 80, \
                 flags = \"SYN\", sqe = 5 },\n]\n",
            ),
            vec![
                "x.toml:17:86: unknown key `sqe` in `workload.s.segments[0]`",
                "did you mean `seq`?",
            ],
        ),
        (
            "wrong type",
            base("queue = \"big\"\n"),
            vec![
                "x.toml:13:9: `link.wan.queue`: expected a number of packets, or a table",
                "found the string \"big\"",
            ],
        ),
        (
            "wrong type of a table",
            "name = \"t\"\nduration = \"10s\"\ntcp = 3\n".to_string(),
            vec!["x.toml:3:7: `tcp`: expected a table, found the integer 3"],
        ),
        (
            "negative delay",
            BASE.replace("delay = \"10ms\"", "delay = \"-10ms\""),
            vec!["x.toml:12:9: `link.wan.delay`: a duration cannot be negative, found \"-10ms\""],
        ),
        (
            "duration without unit (string)",
            base("jitter = \"5\"\n"),
            vec![
                "x.toml:13:10: `link.wan.jitter`: missing unit in \"5\": write for example \
                 \"5s\" or \"5ms\" (units: ns, us, ms, s, min)",
            ],
        ),
        (
            "duration without unit (number)",
            BASE.replace("duration = \"10s\"", "duration = 10"),
            vec![
                "x.toml:2:12: `duration`: expected a duration with a unit, such as \"30s\"; \
                 found the bare number 10",
            ],
        ),
        (
            "unknown duration unit",
            base("jitter = \"5 sec\"\n"),
            vec!["x.toml:13:10: `link.wan.jitter`: unknown unit `sec` in \"5 sec\""],
        ),
        (
            "rate without unit",
            base("bandwidth = \"100\"\n"),
            vec!["x.toml:13:13: `link.wan.bandwidth`: missing unit in \"100\": write for example \"100Mbps\""],
        ),
        (
            "size with an unknown unit",
            bulk("").replace("\"1MB\"", "\"5 mb\""),
            vec!["x.toml:19:9: `workload.w.bytes`: unknown unit `mb`", "did you mean `MB`?"],
        ),
        (
            "loss above 1",
            base("loss = 1.5\n"),
            vec!["x.toml:13:8: `link.wan.loss`: expected a probability in [0, 1], found 1.5"],
        ),
        (
            "negative duplicate probability",
            base("duplicate = -0.1\n"),
            vec!["x.toml:13:13: `link.wan.duplicate`: expected a probability in [0, 1], found -0.1"],
        ),
        (
            "Gilbert-Elliott r out of range",
            base("loss = { model = \"gilbert-elliott\", p = 0.1, r = 2 }\n"),
            vec!["x.toml:13:50: `link.wan.loss.r`: expected a probability in [0, 1], found 2"],
        ),
        (
            "Gilbert-Elliott h out of range",
            base("[link.loss]\nmodel = \"gilbert-elliott\"\np = 0.1\nr = 0.5\nh = 1.01\n"),
            vec!["x.toml:17:5: `link.wan.loss.h`: expected a probability in [0, 1], found 1.01"],
        ),
        (
            "Gilbert-Elliott unknown parameter",
            base("loss = { model = \"gilbert-elliott\", p = 0.1, rr = 0.5 }\n"),
            vec![
                "x.toml:13:46: unknown key `rr` in `link.wan.loss`; expected one of: model, p, r, k, h",
                "did you mean `r`?",
            ],
        ),
        (
            "unknown loss model",
            base("loss = { model = \"gilbert\", p = 0.1, r = 0.5 }\n"),
            vec![
                "x.toml:13:18: `link.wan.loss.model`: unknown value \"gilbert\"; expected one of: \
                 \"gilbert-elliott\"",
            ],
        ),
        (
            "loss of the wrong type",
            base("loss = \"high\"\n"),
            vec![
                "x.toml:13:8: `link.wan.loss`: expected a probability in [0, 1], or a table \
                 { model = \"gilbert-elliott\", p, r, k, h }, found the string \"high\"",
            ],
        ),
        (
            "unknown host in a link",
            BASE.replace("[\"client\", \"server\"]", "[\"client\", \"sever\"]"),
            vec![
                "x.toml:11:22: `link.wan.between[1]`: unknown host \"sever\"; the hosts are: \
                 client, server; did you mean `server`?",
            ],
        ),
        (
            "a link between a host and itself",
            BASE.replace("[\"client\", \"server\"]", "[\"client\", \"client\"]"),
            vec!["x.toml:11:11: `link.wan.between`: a link joins two different hosts, found \"client\" twice"],
        ),
        (
            "a link with one host",
            BASE.replace("[\"client\", \"server\"]", "[\"client\"]"),
            vec!["x.toml:11:11: `link.wan.between`: expected an array of 2 host names, found 1 element"],
        ),
        (
            "unknown host in a workload",
            format!("{BASE}{}", BULK.replace("from = \"client\"", "from = \"clinet\"")),
            vec![
                "x.toml:17:8: `workload.w.from`: unknown host \"clinet\"; the hosts are: client, \
                 server; did you mean `client`?",
            ],
        ),
        (
            "workload to itself",
            format!("{BASE}{}", BULK.replace("server:80", "client:80")),
            vec!["x.toml:18:6: `workload.w.to`: `from` and `to` are the same host \"client\""],
        ),
        (
            "workload between unlinked hosts",
            format!(
                "{}{}",
                BASE.replace("[[link]]", "[[host]]\nname = \"far\"\n\n[[link]]"),
                BULK.replace("server:80", "far:80")
            ),
            vec!["x.toml:21:6: `workload.w.to`: no route from \"client\" to \"far\": no [[link]] reaches \"far\""],
        ),
        (
            "bulk without a port",
            format!("{BASE}{}", BULK.replace("server:80", "server")),
            vec![
                "x.toml:18:6: `workload.w.to`: expected HOST:PORT, such as \"server:80\"; found \
                 \"server\" (the port is missing)",
            ],
        ),
        (
            "unknown workload kind",
            format!("{BASE}{}", BULK.replace("\"bulk\"", "\"bluk\"")),
            vec![
                "x.toml:16:8: `workload.w.kind`: unknown workload kind \"bluk\"; expected one of: \
                 probe, bulk, request, churn, flood, script, pool, restart; did you mean `bulk`?",
            ],
        ),
        (
            "workload without kind",
            format!("{BASE}{}", BULK.replace("kind = \"bulk\"\n", "")),
            vec!["x.toml:14:1: `workload.w`: missing key `kind`; expected one of: probe, bulk"],
        ),
        (
            "workload missing a required key",
            bulk("").replace("bytes = \"1MB\"\n", ""),
            vec!["x.toml:14:1: missing key `bytes` in [[workload]] \"w\""],
        ),
        (
            "unknown flag in a script",
            base(
                "[[workload]]\nname = \"s\"\nkind = \"script\"\n[[workload.segments]]\n\
                 at = \"1s\"\nfrom = \"client\"\nto = \"server\"\nsport = 1\ndport = 80\n\
                 flags = \"SYN,AKC\"\n",
            ),
            vec![
                "x.toml:22:9: `workload.s.segments[0].flags`: unknown flag `AKC` in \"SYN,AKC\"",
                "did you mean `ACK`?",
            ],
        ),
        (
            "probe stop before start",
            base(
                "[[workload]]\nname = \"p\"\nkind = \"probe\"\nfrom = \"client\"\n\
                 to = \"server\"\nrate = 100\nstart = \"2s\"\nstop = \"1s\"\n",
            ),
            vec!["x.toml:20:8: `workload.p.stop`: stop (1s) is not after start (2s)"],
        ),
        (
            "linger_zero with a half-close",
            base(
                "[[workload]]\nname = \"c\"\nkind = \"churn\"\nfrom = \"client\"\n\
                 to = \"server:80\"\nrate = 1\nhalf_close = true\nlinger_zero = true\n",
            ),
            vec!["x.toml:20:15: `workload.c.linger_zero`: `linger_zero` (SO_LINGER 0 on close) \
                  cannot go with `half_close = true`"],
        ),
        (
            "restart of a port nothing serves",
            base(
                "[[workload]]\nname = \"r\"\nkind = \"restart\"\nserver = \"server:80\"\n\
                 at = \"1s\"\n",
            ),
            vec!["x.toml:16:10: `workload.r.server`: no server application runs on server:80 to \
                  restart"],
        ),
        (
            "syn_cookies out of range",
            base("\n[tcp]\nsyn_cookies = 3\n"),
            vec!["x.toml:15:15: `tcp.syn_cookies`: expected 0, 1 or 2 (or false or true); found 3"],
        ),
        (
            "zero rate",
            base(
                "[[workload]]\nname = \"f\"\nkind = \"flood\"\nfrom = \"client\"\n\
                 to = \"server:80\"\nrate = 0\n",
            ),
            vec!["x.toml:18:8: `workload.f.rate`: expected a positive number of events per second, found 0"],
        ),
        (
            "duplicate host",
            BASE.replace("name = \"server\"", "name = \"client\""),
            vec!["x.toml:7:8: `host[1].name`: duplicate [[host]] name \"client\" (first used at line 5)"],
        ),
        (
            "duplicate link",
            base("[[link]]\nname = \"wan\"\nbetween = [\"server\", \"client\"]\n"),
            vec!["x.toml:14:8: `link[1].name`: duplicate [[link]] name \"wan\" (first used at line 10)"],
        ),
        (
            "a second link between the same hosts",
            base("[[link]]\nname = \"wan2\"\nbetween = [\"server\", \"client\"]\n"),
            vec!["x.toml:15:11: `link.wan2.between`: \"server\" and \"client\" are already joined by link \"wan\""],
        ),
        (
            "bad host name",
            BASE.replace("name = \"server\"", "name = \"ser.ver\""),
            vec!["x.toml:7:8: `host[1].name`: expected a name of letters, digits, `-` and `_`"],
        ),
        (
            "jitter above delay in one direction",
            base("[link.reverse]\njitter = \"20ms\"\n"),
            vec![
                "x.toml:14:10: `link.wan.reverse.jitter`: jitter (20ms) exceeds delay (10ms) in \
                 the reverse direction",
            ],
        ),
        (
            "zero replications",
            BASE.replace("duration = \"10s\"", "duration = \"10s\"\nreplications = 0"),
            vec!["x.toml:3:16: `replications`: expected at least 1 replication, found 0"],
        ),
        (
            "negative replications",
            BASE.replace("duration = \"10s\"", "duration = \"10s\"\nreplications = -2"),
            vec!["x.toml:3:16: `replications`: expected an integer in 0..=4294967295, found the integer -2"],
        ),
        (
            "zero duration",
            BASE.replace("duration = \"10s\"", "duration = \"0ms\""),
            vec!["x.toml:2:12: `duration`: expected a positive duration, found 0s"],
        ),
        (
            "missing duration",
            BASE.replace("duration = \"10s\"\n", ""),
            vec!["x.toml:1:1: missing key `duration` at the top level"],
        ),
        (
            "unknown tcp enum value",
            base("\n[tcp]\nhandshake = \"three\"\n"),
            vec![
                "x.toml:15:13: `tcp.handshake`: unknown value \"three\"; expected one of: \
                 \"three-way\", \"two-way\"",
            ],
        ),
        (
            "unknown rule set",
            base("\n[tcp]\nsyn_received_rules = \"rfc793\"\n"),
            vec![
                "x.toml:15:22: `tcp.syn_received_rules`: unknown value \"rfc793\"; expected one \
                 of: \"rfc9293\", \"linux\"",
            ],
        ),
        (
            "unknown profile",
            base("\n[tcp]\nprofile = \"linuxx\"\n"),
            vec!["x.toml:15:11: `tcp.profile`: unknown value \"linuxx\"", "did you mean `linux`?"],
        ),
        (
            "delayed_ack neither a duration nor off",
            base("\n[tcp]\ndelayed_ack = \"no\"\n"),
            vec!["x.toml:15:15: `tcp.delayed_ack`: expected a duration such as \"40ms\", or \"off\"; found \"no\""],
        ),
        (
            "fin_timeout without a unit",
            base("\n[tcp]\nfin_timeout = \"60\"\n"),
            vec!["x.toml:15:15: `tcp.fin_timeout`: missing unit in \"60\"", "(or \"none\")"],
        ),
        (
            "bad port range",
            base("\n[tcp]\nephemeral_ports = \"60999-32768\"\n"),
            vec!["x.toml:15:19: `tcp.ephemeral_ports`: the first port is above the last one"],
        ),
        (
            "inconsistent TCP settings on one host",
            BASE.replace(
                "name = \"server\"",
                "name = \"server\"\ntcp = { min_rto = \"5min\" }",
            ),
            vec![
                "x.toml:8:19: `host.server.tcp.min_rto`: `min_rto` must not exceed max_rto \
                 (resolved for host \"server\")",
            ],
        ),
        (
            "sweep over a key that does not exist",
            base("\n[sweep]\n\"link.wan.los\" = [0.1]\n"),
            vec![
                "x.toml:15:19: in [sweep] \"link.wan.los\" = 0.1: unknown key `los` in [[link]] \"wan\"",
                "did you mean `loss`?",
            ],
        ),
        (
            "sweep over a link that does not exist",
            base("\n[sweep]\n\"link.lan.loss\" = [0.1]\n"),
            vec![
                "x.toml:15:1: [sweep] \"link.lan.loss\": no [[link]] named `lan`; there are: wan; \
                 did you mean `wan`?",
            ],
        ),
        (
            "sweep over a chart",
            base("\n[sweep]\n\"chart.x\" = [1]\n"),
            vec!["x.toml:15:1: [sweep] \"chart.x\": `chart.x` is not a parameter"],
        ),
        (
            "empty sweep list",
            base("\n[sweep]\n\"link.wan.loss\" = []\n"),
            vec!["x.toml:15:1: [sweep] \"link.wan.loss\": expected a non-empty list of values, found []"],
        ),
        (
            "sweep value that is not a list",
            base("\n[sweep]\n\"link.wan.loss\" = 0.1\n"),
            vec!["x.toml:15:1: [sweep] \"link.wan.loss\": expected a list of values"],
        ),
        (
            "bad sweep value type",
            base("\n[sweep]\n\"tcp.msl\" = [\"1s\", 30]\n"),
            vec![
                "x.toml:15:20: in [sweep] \"tcp.msl\" = 30: `tcp.msl`: expected a duration with a \
                 unit, such as \"30s\"; found the bare number 30",
            ],
        ),
        (
            "sweep value out of range",
            base("\n[sweep]\n\"link.wan.loss\" = [0.1, 1.5]\n"),
            vec![
                "x.toml:15:25: in [sweep] \"link.wan.loss\" = 1.5: `link.wan.loss`: expected a \
                 probability in [0, 1], found 1.5",
            ],
        ),
        (
            "repeated sweep value",
            base("\n[sweep]\n\"link.wan.loss\" = [0.1, 0.1]\n"),
            vec!["x.toml:15:25: [sweep] \"link.wan.loss\": the value 0.1 appears twice"],
        ),
        (
            "sweep point invalid only in combination",
            base("\n[sweep]\n\"link.wan.delay\" = [\"1ms\", \"20ms\"]\n\"link.wan.jitter\" = [\"5ms\"]\n"),
            vec![
                "x.toml:15:1: [sweep] point \"link.wan.delay\" = \"1ms\", \"link.wan.jitter\" = \"5ms\": \
                 `link.wan.jitter`: jitter (5ms) exceeds delay (1ms)",
            ],
        ),
        (
            "chart y an unknown metric",
            base("\n[sweep]\n\"link.wan.loss\" = [0.1]\n\n[[chart]]\nx = \"link.wan.loss\"\ny = \"goodput\"\n"),
            vec![
                "x.toml:19:5: `chart[0].y`: unknown metric \"goodput\"; expected one of: \
                 conn_attempted,",
                "did you mean `goodput_bps`?",
            ],
        ),
        (
            "chart y list with an unknown metric",
            base("\n[sweep]\n\"link.wan.loss\" = [0.1]\n\n[[chart]]\nx = \"link.wan.loss\"\ny = [\"goodput_bps\", \"retransmit\"]\n"),
            vec!["x.toml:19:21: `chart[0].y[1]`: unknown metric \"retransmit\"", "did you mean `retransmits`?"],
        ),
        (
            "chart x not swept",
            base("\n[sweep]\n\"link.wan.loss\" = [0.1]\n\n[[chart]]\nx = \"link.wan.delay\"\ny = \"goodput_bps\"\n"),
            vec![
                "x.toml:18:5: `chart[0].x`: `link.wan.delay` is not swept; the swept paths are: \
                 link.wan.loss",
            ],
        ),
        (
            "chart x without any sweep",
            base("\n[[chart]]\nx = \"link.wan.loss\"\ny = \"goodput_bps\"\n"),
            vec!["x.toml:15:5: `chart[0].x`: `link.wan.loss` is not swept: the file has no [sweep]"],
        ),
        (
            "sweep chart without x",
            base("\n[sweep]\n\"link.wan.loss\" = [0.1]\n\n[[chart]]\ny = \"goodput_bps\"\n"),
            vec!["x.toml:17:1: `chart[0]`: missing key `x`: the swept path to plot against"],
        ),
        (
            "log axis over a zero",
            base("\n[sweep]\n\"link.wan.loss\" = [0.0, 0.1]\n\n[[chart]]\nx = \"link.wan.loss\"\ny = \"goodput_bps\"\nlog_x = true\n"),
            vec!["x.toml:20:9: `chart[0].log_x`: a logarithmic x axis needs positive numbers, but `link.wan.loss` takes 0.0"],
        ),
        (
            "bad reference expression",
            base(
                "\n[sweep]\n\"link.wan.loss\" = [0.1]\n\n[[chart]]\nx = \"link.wan.loss\"\n\
                 y = \"goodput_bps\"\n[[chart.reference]]\nlabel = \"Mathis\"\n\
                 expr = \"1460*8/0.04*sqrt(1.5/p)\"\n",
            ),
            vec![
                "x.toml:22:8: `chart[0].reference[0].expr`: invalid expression \
                 \"1460*8/0.04*sqrt(1.5/p)\": unknown name `p`; the only variable is `x`",
            ],
        ),
        (
            "unbalanced reference expression",
            base(
                "\n[sweep]\n\"link.wan.loss\" = [0.1]\n\n[[chart]]\nx = \"link.wan.loss\"\n\
                 y = \"goodput_bps\"\nreference = [{ label = \"m\", expr = \"sqrt(x\" }]\n",
            ),
            vec!["x.toml:20:36: `chart[0].reference[0].expr`: invalid expression \"sqrt(x\""],
        ),
        (
            "unknown chart kind",
            base("\n[sweep]\n\"link.wan.loss\" = [0.1]\n\n[[chart]]\nkind = \"line\"\nx = \"link.wan.loss\"\ny = \"goodput_bps\"\n"),
            vec!["x.toml:18:8: `chart[0].kind`: unknown value \"line\"; expected one of: \"sweep\", \"timeseries\""],
        ),
        (
            "a flows chart without flows.csv",
            bulk("\n[[chart]]\nkind = \"flows\"\ny = \"goodput_bps\"\n"),
            vec![
                "x.toml:22:8: `chart[0].kind`: a flows chart plots flows.csv, which only \
                 `flows = true`",
            ],
        ),
        (
            "a flows chart of no column of flows.csv",
            format!("flows = true\n{}", bulk("\n[[chart]]\nkind = \"flows\"\ny = \"goodput\"\n")),
            vec![
                "x.toml:24:5: `chart[0].y`: a flows chart plots columns of flows.csv; expected \
                 one of: flow, start_s,",
                "found \"goodput\"; did you mean `goodput_bps`?",
            ],
        ),
        (
            "a flows chart against a text column",
            format!(
                "flows = true\n{}",
                bulk("\n[[chart]]\nkind = \"flows\"\nx = \"end\"\ny = \"goodput_bps\"\n")
            ),
            vec!["x.toml:24:5: `chart[0].x`: a flows chart plots columns of flows.csv; expected \"cdf\" or one of"],
        ),
        (
            "a flows chart with a series",
            format!(
                "flows = true\n{}",
                bulk("\n[[chart]]\nkind = \"flows\"\nx = \"cdf\"\ny = \"goodput_bps\"\nseries = \"tcp.msl\"\n")
            ),
            vec!["x.toml:26:10: `chart[0].series`: a flows chart takes no `series`"],
        ),
        (
            "invalid TOML",
            "name = \"t\"\nduration = \"10s\"\n[[link]\n".to_string(),
            vec!["x.toml:3:", "invalid TOML"],
        ),
        (
            "duplicate TOML key",
            "name = \"t\"\nname = \"u\"\n".to_string(),
            vec!["x.toml:2:1: invalid TOML: duplicate key"],
        ),
    ];
    let mut failures = Vec::new();
    for (what, text, expected) in cases {
        let shown = parse_err(&text).to_string();
        for e in expected {
            if !shown.contains(e) {
                failures.push(format!("{what}: message\n  {shown}\nshould contain\n  {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn errors_carry_the_key_and_suggestion() {
    let err = parse_err(&format!("{BASE}los = 0.01\n"));
    assert_eq!(err.kind, ErrorKind::UnknownKey);
    assert_eq!(err.key.as_deref(), Some("link.wan.los"));
    assert_eq!(err.suggestion.as_deref(), Some("loss"));
    assert_eq!(
        *err.origin,
        Origin::File {
            file: "x.toml".to_string(),
            position: Some((13, 1))
        }
    );
    let err = parse_err(&format!("{BASE}loss = 2\n"));
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert_eq!(err.key.as_deref(), Some("link.wan.loss"));
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad")
        .join(name)
}

#[test]
fn bad_fixture_files() {
    let cases: &[(&str, &[&str])] = &[
        (
            "does-not-exist.toml",
            &["does-not-exist.toml: cannot read the experiment file:"],
        ),
        ("syntax.toml", &["syntax.toml:4:8: invalid TOML"]),
        (
            "unknown-link-key.toml",
            &[
                "unknown-link-key.toml:12:1: unknown key `los` in [[link]] \"wan\"",
                "did you mean `loss`?",
            ],
        ),
        (
            "flood-unknown-host.toml",
            &[
                "flood-unknown-host.toml:19:8: `workload.flood.from`: unknown host \"atacker\"",
                "did you mean `attacker`?",
            ],
        ),
        ("not-utf8.toml", &["not-utf8.toml: not UTF-8 text"]),
    ];
    for (name, expected) in cases {
        let err = Experiment::load(&fixture(name)).expect_err(name);
        assert_contains(&err, expected);
    }
}

/// Every section and every workload kind.
const FULL: &str = r#"
name = "everything"
description = "Every key the schema has."
seed = 42
duration = "2min"
replications = 3

[tcp]
profile = "rfc"
mss = 1400
msl = "30s"
delayed_ack = "off"
fin_timeout = "none"
ephemeral_ports = "40000-40100"
send_buffer = "4MiB"
recv_buffer = 65535
congestion = "reno"
isn = "zero"
handshake = "two-way"
passive_close = "with-ack"
time_wait = false

[[host]]
name = "client"
[[host]]
name = "server"
tcp = { profile = "linux", syn_cookies = false, backlog = 16, accept_queue = 8 }
[[host]]
name = "attacker"

[[link]]
name = "wan"
between = ["client", "server"]
delay = "10ms"
jitter = "1ms"
bandwidth = "100Mbps"
queue = 50
loss = 0.01
duplicate = 0.001
reorder = { probability = 0.01, delay = "5ms" }
stale = { probability = 0.001, max_age = "1min" }
[link.forward]
loss = { model = "gilbert-elliott", p = 0.01, r = 0.3 }
[link.reverse]
delay = "20ms"
bandwidth = "1.5Gbps"

[[link]]
name = "lan"
between = ["attacker", "server"]
delay = "250us"

[[workload]]
name = "ping"
kind = "probe"
from = "client"
to = "server"
rate = 100
size = "1KiB"
arrivals = "poisson"
start = "1.5s"

[[workload]]
name = "transfer"
kind = "bulk"
from = "client"
to = "server:80"
bytes = "50MB"
server_close = "never"

[[workload]]
name = "rpc"
kind = "request"
from = "client"
to = "server:8080"
request = "200B"
response = "2KB"
count = 10
interval = "100ms"

[[workload]]
name = "web"
kind = "churn"
from = "client"
to = "server:443"
rate = 50.5
closer = "server"
stop = "1min"

[[workload]]
name = "flood"
kind = "flood"
from = "attacker"
to = "server:80"
rate = 1000
start = "10s"

[[workload]]
name = "old"
kind = "script"
segments = [
  { at = "5s", from = "client", to = "server", sport = 40000, dport = 80, flags = "SYN,ACK", seq = 100, ack = 200, len = 10 },
  { at = "6s", from = "server", to = "client", sport = 80, dport = 40000, flags = "RST" },
]

[[workload]]
name = "api"
kind = "pool"
from = "client"
to = "server:8081"
rate = 50
connections = 4

[[workload]]
name = "deploy"
kind = "restart"
server = "server:80"
at = "30s"
reuse_addr = true

[sweep]
"link.wan.loss" = [0.001, 0.01, 0.1]
"host.server.tcp.syn_cookies" = [false, true]
"workload.flood.rate" = [100, 1000]

[[chart]]
x = "link.wan.loss"
y = ["goodput_bps", "retransmits"]
series = "host.server.tcp.syn_cookies"
title = "Goodput"
x_label = "loss"
y_label = "bit/s"
log_x = true
log_y = true
[[chart.reference]]
label = "Mathis"
expr = "1460*8/0.04*sqrt(1.5/x)"

[[chart]]
name = "flood"
kind = "timeseries"
y = "sockets:SYN-RECEIVED"

[[series]]
metric = "sockets"
host = "server"
every = "100ms"
"#;

#[test]
fn a_full_file_parses() {
    let e = Experiment::parse(FULL, "full.toml").unwrap();
    assert_eq!(e.name, "everything");
    assert_eq!(e.description, "Every key the schema has.");
    assert_eq!(e.seed, 42);
    assert_eq!(e.duration, Duration::from_secs(120));
    assert_eq!(e.replications, 3);
    assert_eq!(e.file(), "full.toml");
    assert_eq!(e.hosts.len(), 3);

    let wan = &e.links[0];
    assert_eq!(wan.between, ["client".to_string(), "server".to_string()]);
    assert_eq!(wan.forward.delay, Duration::from_millis(10));
    assert_eq!(wan.reverse.delay, Duration::from_millis(20));
    assert_eq!(wan.forward.jitter, Duration::from_millis(1));
    assert_eq!(wan.forward.bandwidth, Some(100_000_000));
    assert_eq!(wan.reverse.bandwidth, Some(1_500_000_000));
    assert_eq!(wan.forward.queue, Queue::packets(50));
    assert_eq!(
        wan.forward.loss,
        Loss::GilbertElliott {
            p: 0.01,
            r: 0.3,
            k: 1.0,
            h: 0.0
        }
    );
    assert_eq!(wan.reverse.loss, Loss::Probability(0.01));
    assert_eq!(wan.reverse.duplicate, 0.001);
    assert_eq!(
        wan.reverse.reorder,
        Some(Reorder {
            probability: 0.01,
            delay: Duration::from_millis(5)
        })
    );
    assert_eq!(
        wan.forward.stale,
        Some(Stale {
            probability: 0.001,
            max_age: Duration::from_secs(60)
        })
    );
    assert_eq!(wan.direction_from("server"), Some(&wan.reverse));
    let lan = &e.links[1];
    assert_eq!(lan.forward.delay, Duration::from_micros(250));
    assert_eq!(lan.forward.bandwidth, None);
    assert_eq!(lan.forward.queue, Queue::packets(DEFAULT_QUEUE));
    assert_eq!(lan.forward.loss, Loss::Probability(0.0));

    let kinds: Vec<&str> = e.workloads.iter().map(|w| w.kind()).collect();
    assert_eq!(kinds, WORKLOAD_KINDS);
    match &e.workloads[0] {
        WorkloadConfig::Probe(p) => {
            assert_eq!(p.name, "ping");
            assert_eq!(p.to.host, "server");
            assert_eq!(p.to.port, None);
            assert_eq!(p.rate, 100.0);
            assert_eq!(p.size, 1024);
            assert_eq!(p.arrivals, Arrivals::Poisson);
            assert_eq!(p.start, Duration::from_millis(1500));
            assert_eq!(
                p.stop, e.duration,
                "stop defaults to the experiment's duration"
            );
        }
        other => panic!("{other:?}"),
    }
    match &e.workloads[1] {
        WorkloadConfig::Bulk(b) => {
            assert_eq!(b.bytes, 50_000_000);
            assert_eq!(
                b.to,
                Endpoint {
                    host: "server".into(),
                    port: 80
                }
            );
            assert_eq!(b.server_close, ServerClose::Never);
            assert_eq!(b.start, Duration::ZERO);
        }
        other => panic!("{other:?}"),
    }
    match &e.workloads[2] {
        WorkloadConfig::Request(r) => {
            assert_eq!((r.request, r.response, r.count), (200, 2000, 10));
            assert_eq!(r.interval, Duration::from_millis(100));
            assert_eq!(r.server_close, ServerClose::AfterFin);
        }
        other => panic!("{other:?}"),
    }
    match &e.workloads[3] {
        WorkloadConfig::Churn(c) => {
            assert_eq!(c.rate, 50.5);
            assert_eq!(c.arrivals, Arrivals::Poisson);
            assert_eq!(c.closer, Closer::Server);
            assert_eq!(c.stop, Duration::from_secs(60));
            assert_eq!((c.request, c.response), (100, 1000));
        }
        other => panic!("{other:?}"),
    }
    match &e.workloads[4] {
        WorkloadConfig::Flood(f) => {
            assert_eq!(f.from, "attacker");
            assert_eq!(f.rate, 1000.0);
            assert_eq!(f.start, Duration::from_secs(10));
            assert_eq!(f.stop, Duration::from_secs(120));
        }
        other => panic!("{other:?}"),
    }
    match &e.workloads[5] {
        WorkloadConfig::Script(s) => {
            assert_eq!(s.segments.len(), 2);
            let syn_ack = &s.segments[0];
            assert_eq!(syn_ack.at, Duration::from_secs(5));
            assert!(syn_ack.flags.syn && syn_ack.flags.ack && !syn_ack.flags.rst);
            assert_eq!((syn_ack.seq, syn_ack.ack, syn_ack.len), (100, 200, 10));
            assert_eq!(s.segments[1].flags.to_string(), "RST");
            assert_eq!((s.segments[1].seq, s.segments[1].len), (0, 0));
        }
        other => panic!("{other:?}"),
    }

    let c = &e.charts[0];
    assert_eq!(c.kind, ChartKind::Sweep);
    assert_eq!(
        c.name,
        "goodput_bps-retransmits-vs-link_wan_loss-by-host_server_tcp_syn_cookies"
    );
    assert_eq!(c.y, ["goodput_bps", "retransmits"]);
    assert_eq!(c.series.as_deref(), Some("host.server.tcp.syn_cookies"));
    assert_eq!(c.title.as_deref(), Some("Goodput"));
    assert!(c.log_x && c.log_y);
    let mathis = &c.reference[0];
    assert_eq!(mathis.label, "Mathis");
    let at = mathis.expr().unwrap().eval(0.01).unwrap();
    assert!((at - 1460.0 * 8.0 / 0.04 * (150.0f64).sqrt()).abs() < 1e-6);
    assert_eq!(e.charts[1].kind, ChartKind::Timeseries);
    assert_eq!(e.charts[1].name, "flood");
    assert_eq!(e.charts[1].x, "time");

    let json = e.to_json();
    assert_eq!(json["name"], "everything");
    assert_eq!(json["duration"], "2min");
    assert_eq!(json["hosts"][1]["tcp"]["backlog"], 16);
    assert_eq!(json["hosts"][1]["tcp"]["delayed_ack"], "off");
    assert_eq!(
        json["links"][0]["forward"]["loss"]["model"],
        "gilbert-elliott"
    );
    assert_eq!(json["links"][0]["reverse"]["bandwidth"], "1500Mbps");
    assert_eq!(json["workloads"][4]["kind"], "flood");
    assert_eq!(json["workloads"][5]["segments"][0]["flags"], "SYN,ACK");
    assert_eq!(json["sweep"][0]["path"], "link.wan.loss");
    assert_eq!(
        json["charts"][0]["reference"][0]["expr"],
        "1460*8/0.04*sqrt(1.5/x)"
    );
}

#[test]
fn tcp_settings_resolve_profile_then_global_then_host() {
    let e = Experiment::parse(FULL, "full.toml").unwrap();
    // client: the global profile (rfc), then the global keys.
    let client = e.tcp_for("client");
    assert_eq!(client.init_cwnd, None, "rfc profile: RFC 3390");
    assert_eq!(client.min_rto, Duration::from_secs(1), "rfc profile");
    assert_eq!(client.mss, 1400, "global override");
    assert_eq!(client.msl, Duration::from_secs(30), "global override");
    assert_eq!(client.delayed_ack, None);
    assert_eq!(client.fin_timeout, None);
    assert_eq!(client.congestion, Congestion::Reno);
    assert_eq!(client.isn, Isn::Zero);
    assert_eq!(client.handshake, Handshake::TwoWay);
    assert_eq!(client.passive_close, PassiveClose::WithAck);
    assert!(!client.time_wait);
    assert_eq!(client.send_buffer, 4 << 20);
    assert_eq!(client.recv_buffer, 65535);
    assert_eq!(
        client.ephemeral_ports,
        PortRange {
            first: 40000,
            last: 40100
        }
    );
    assert!(!client.syn_cookies.enabled(), "rfc profile");
    // server: its own profile (linux) is the base; global keys still apply over it; its own
    // keys apply last.
    let server = e.tcp_for("server");
    assert_eq!(server.init_cwnd, Some(10), "host profile switches the base");
    assert_eq!(server.min_rto, Duration::from_millis(200), "linux base");
    assert_eq!(server.mss, 1400, "global override over the host's profile");
    assert_eq!(server.backlog, 16, "host override");
    assert_eq!(server.accept_queue, 8, "host override");
    assert!(
        !server.syn_cookies.enabled(),
        "host override beats the linux default"
    );
    // A host override beats a global one.
    let text = format!(
        "{}\n[tcp]\nmsl = \"10s\"\n",
        BASE.replace(
            "name = \"server\"",
            "name = \"server\"\ntcp = { msl = \"1s\" }"
        )
    );
    let e = Experiment::parse(&text, "x.toml").unwrap();
    assert_eq!(e.tcp_for("server").msl, Duration::from_secs(1));
    assert_eq!(e.tcp_for("client").msl, Duration::from_secs(10));
    assert_eq!(
        e.tcp_for("client").init_cwnd,
        Some(10),
        "default profile is linux"
    );
    assert_eq!(e.tcp_for("nobody").msl, Duration::from_secs(10));
}

#[test]
fn units() {
    let text = format!(
        "{BASE}jitter = \"250us\"\nbandwidth = \"100Mbps\"\n{}start = \"1.5s\"\n",
        BULK.replace("1MB", "4MiB")
    );
    let e = Experiment::parse(&text, "x.toml").unwrap();
    assert_eq!(e.links[0].forward.jitter, Duration::from_micros(250));
    assert_eq!(e.links[0].forward.bandwidth, Some(100_000_000));
    let WorkloadConfig::Bulk(b) = &e.workloads[0] else {
        panic!()
    };
    assert_eq!(b.bytes, 4 * 1024 * 1024);
    assert_eq!(b.start, Duration::from_millis(1500));
    let e = Experiment::parse(&text.replace("4MiB", "50MB"), "x.toml").unwrap();
    let WorkloadConfig::Bulk(b) = &e.workloads[0] else {
        panic!()
    };
    assert_eq!(b.bytes, 50_000_000);
    let e = Experiment::parse(&text.replace("\"4MiB\"", "1460"), "x.toml").unwrap();
    let WorkloadConfig::Bulk(b) = &e.workloads[0] else {
        panic!()
    };
    assert_eq!(b.bytes, 1460, "a bare integer is bytes");
    assert_eq!(units::parse_duration("2min"), Ok(Duration::from_secs(120)));
    assert_eq!(units::parse_size("1GB"), Ok(1_000_000_000));
    assert_eq!(units::parse_size("1GiB"), Ok(1 << 30));
    assert_eq!(units::parse_rate("64Kbps"), Ok(64_000));
    assert_eq!(units::parse_rate("1Gbps"), Ok(1_000_000_000));
}

#[test]
fn sweep_points_are_a_product_with_the_first_axis_slowest() {
    let e = Experiment::parse(FULL, "full.toml").unwrap();
    let axes: Vec<&str> = e.sweep_axes().iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        axes,
        [
            "link.wan.loss",
            "host.server.tcp.syn_cookies",
            "workload.flood.rate"
        ],
        "file order, not alphabetical"
    );
    let points = e.sweep_points();
    assert_eq!(points.len(), 3 * 2 * 2);
    let show = |p: &Vec<(String, toml::Value)>| {
        p.iter()
            .map(|(_, v)| v.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(show(&points[0]), "0.001 false 100");
    assert_eq!(show(&points[1]), "0.001 false 1000");
    assert_eq!(show(&points[2]), "0.001 true 100");
    assert_eq!(show(&points[4]), "0.01 false 100");
    assert_eq!(show(&points[11]), "0.1 true 1000");
    assert!(points
        .iter()
        .all(|p| p.iter().map(|(k, _)| k.as_str()).eq(axes.iter().copied())));
    // Applying a point.
    let last = e.with_overrides(&points[11]).unwrap();
    assert_eq!(last.links[0].reverse.loss, Loss::Probability(0.1));
    assert!(last.tcp_for("server").syn_cookies.enabled());
    let WorkloadConfig::Flood(f) = &last.workloads[4] else {
        panic!()
    };
    assert_eq!(f.rate, 1000.0);
    assert_eq!(last.sweep_axes(), e.sweep_axes(), "the sweep stays");
    // No sweep: one empty point.
    let plain = Experiment::parse(BASE, "x.toml").unwrap();
    assert_eq!(plain.sweep_points(), vec![Vec::new()]);
}

#[test]
fn overrides_address_named_elements() {
    let text = format!("{BASE}[[link]]\nname = \"lan\"\nbetween = [\"server\", \"client2\"]\n[[host]]\nname = \"client2\"\n");
    let e = Experiment::parse(&text, "x.toml").unwrap();
    let set = |p: &str, v: &str| vec![(p.to_string(), parse_cli_value(v))];
    let x = e.with_overrides(&set("link.lan.delay", "5ms")).unwrap();
    assert_eq!(x.links[1].forward.delay, Duration::from_millis(5));
    assert_eq!(
        x.links[0].forward.delay,
        Duration::from_millis(10),
        "other link unchanged"
    );
    let x = e
        .with_overrides(&set("link.wan.forward.delay", "1ms"))
        .unwrap();
    assert_eq!(x.links[0].forward.delay, Duration::from_millis(1));
    assert_eq!(x.links[0].reverse.delay, Duration::from_millis(10));
    let x = e.with_overrides(&set("link.wan.loss", "0.25")).unwrap();
    assert_eq!(x.links[0].forward.loss, Loss::Probability(0.25));
    let x = e
        .with_overrides(&set(
            "link.wan.loss",
            "{ model = \"gilbert-elliott\", p = 0.1, r = 0.5, h = 0.5 }",
        ))
        .unwrap();
    assert_eq!(x.links[0].forward.loss.mean(), 0.1 / 0.6 * 0.5);
    let x = e
        .with_overrides(&set("host.server.tcp.syn_cookies", "false"))
        .unwrap();
    assert!(!x.tcp_for("server").syn_cookies.enabled());
    assert!(x.tcp_for("client").syn_cookies.enabled());
    let x = e.with_overrides(&set("tcp.profile", "rfc")).unwrap();
    assert_eq!(x.tcp_for("client").msl, Duration::from_secs(120));
    let x = e.with_overrides(&set("seed", "9")).unwrap();
    assert_eq!(x.seed, 9);
    let x = e.with_overrides(&set("duration", "1min")).unwrap();
    assert_eq!(x.duration, Duration::from_secs(60));
    let x = e.with_overrides(&set("replications", "4")).unwrap();
    assert_eq!(x.replications, 4);
    assert_eq!(
        e.links[0].forward.loss,
        Loss::Probability(0.0),
        "the original is unchanged"
    );

    let bad: &[(&str, &str, &[&str])] = &[
        (
            "link.wan.loss",
            "1.5",
            &["with override `link.wan.loss = 1.5`: `link.wan.loss`: expected a probability in [0, 1], found 1.5"],
        ),
        (
            "link.wam.loss",
            "0.1",
            &["with override `link.wam.loss = 0.1`: no [[link]] named `wam`; there are: wan, lan; did you mean `wan`?"],
        ),
        (
            "tcp.msll",
            "30s",
            &["with override `tcp.msll = \"30s\"`: unknown key `msll` in [tcp]", "did you mean `msl`?"],
        ),
        (
            "tpc.msl",
            "30s",
            &["unknown key `tpc` at the top level", "did you mean `tcp`?"],
        ),
        (
            "link.wan.delay",
            "10",
            &["with override `link.wan.delay = 10`: `link.wan.delay`: expected a duration with a unit"],
        ),
        (
            "link.wan.delay.x",
            "1",
            &["`link.wan.delay` is a string, not a table"],
        ),
        ("link.wan", "1", &["names a whole [[link]]"]),
        ("chart.x", "1", &["is not a parameter"]),
        (
            "link.wan.between",
            "[\"client\", \"nobody\"]",
            &["`link.wan.between[1]`: unknown host \"nobody\""],
        ),
    ];
    for (path, value, expected) in bad {
        let err = e.with_overrides(&set(path, value)).expect_err(path);
        assert_contains(&err, expected);
        assert!(matches!(*err.origin, Origin::Override { .. }), "{err}");
    }
}

#[test]
fn sweep_values_may_be_tables_and_nested_paths() {
    let text = format!(
        "{BASE}\n[sweep]\n\"link.wan.loss\" = [0.01, {{ model = \"gilbert-elliott\", p = 0.1, r = 0.5 }}]\n\
         \"link.wan.reverse.delay\" = [\"1ms\", \"2ms\"]\n\"host.client.tcp.profile\" = [\"rfc\"]\n"
    );
    let e = Experiment::parse(&text, "x.toml").unwrap();
    let points = e.sweep_points();
    assert_eq!(points.len(), 4);
    let p = e.with_overrides(&points[3]).unwrap();
    assert!(matches!(
        p.links[0].forward.loss,
        Loss::GilbertElliott { .. }
    ));
    assert_eq!(p.links[0].reverse.delay, Duration::from_millis(2));
    assert_eq!(p.links[0].forward.delay, Duration::from_millis(10));
    assert_eq!(p.tcp_for("client"), Config::rfc());
    assert_eq!(p.tcp_for("server"), Config::linux());
}

#[test]
fn a_set_that_breaks_the_sweep_is_rejected() {
    let text = format!("{BASE}\n[sweep]\n\"link.wan.jitter\" = [\"1ms\", \"5ms\"]\n");
    let e = Experiment::parse(&text, "x.toml").unwrap();
    let err = e
        .with_overrides(&[("link.wan.delay".to_string(), parse_cli_value("2ms"))])
        .unwrap_err();
    assert_contains(
        &err,
        &["x.toml:15:29: in [sweep] \"link.wan.jitter\" = \"5ms\": `link.wan.jitter`: jitter (5ms) exceeds delay (2ms)"],
    );
}

#[test]
fn profiles_match_design() {
    let l = Config::linux();
    assert_eq!(l.mss, 1460);
    assert_eq!(l.msl, Duration::from_secs(30));
    assert!(l.time_wait);
    assert_eq!(l.handshake, Handshake::ThreeWay);
    assert_eq!(l.passive_close, PassiveClose::AfterApp);
    assert_eq!(l.initial_rto, Duration::from_secs(1));
    assert_eq!(l.min_rto, Duration::from_millis(200));
    assert_eq!(l.max_rto, Duration::from_secs(120));
    assert_eq!((l.syn_retries, l.synack_retries), (6, 5));
    assert_eq!(l.syn_linear_timeouts, 4);
    assert_eq!(l.init_cwnd, Some(10));
    assert_eq!(l.delayed_ack, Some(Duration::from_millis(40)));
    assert_eq!(l.congestion, Congestion::Cubic);
    assert_eq!((l.send_buffer, l.recv_buffer), (4_000_000, 4_000_000));
    assert_eq!(l.isn, Isn::Linux);
    assert_eq!(l.syn_received_rules, Rules::Linux);
    assert_eq!(l.time_wait_rules, Rules::Linux);
    assert_eq!((l.backlog, l.accept_queue), (128, 128));
    assert!(l.syn_cookies.enabled());
    assert!(!l.rfc1337);
    assert_eq!(l.fin_timeout, Some(Duration::from_secs(60)));
    assert_eq!(l.ephemeral_ports, "32768-60999".parse().unwrap());

    let r = Config::rfc();
    assert_eq!(r.mss, 1460);
    assert_eq!(r.msl, Duration::from_secs(120));
    assert!(r.time_wait);
    assert_eq!(r.handshake, Handshake::ThreeWay);
    assert_eq!(r.passive_close, PassiveClose::AfterApp);
    assert_eq!(r.initial_rto, Duration::from_secs(1));
    assert_eq!(r.min_rto, Duration::from_secs(1));
    assert_eq!(r.max_rto, Duration::from_secs(60));
    assert_eq!((r.syn_retries, r.synack_retries), (6, 5));
    assert_eq!(r.syn_linear_timeouts, 0);
    assert_eq!(r.init_cwnd, None);
    assert_eq!(
        (r.initial_window(1460), r.initial_window(536)),
        (4380, 2144),
        "RFC 3390: 3 and 4 segments"
    );
    assert_eq!(r.delayed_ack, Some(Duration::from_millis(200)));
    assert_eq!(r.congestion, Congestion::NewReno);
    assert_eq!((r.send_buffer, r.recv_buffer), (4_000_000, 4_000_000));
    assert_eq!(r.isn, Isn::Clock);
    assert_eq!(r.syn_received_rules, Rules::Rfc9293);
    assert_eq!(r.time_wait_rules, Rules::Rfc9293);
    assert_eq!((r.backlog, r.accept_queue), (128, 128));
    assert!(!r.syn_cookies.enabled());
    assert!(r.rfc1337);
    assert_eq!(r.fin_timeout, None);
    assert_eq!(r.ephemeral_ports, "49152-65535".parse().unwrap());

    // And the experiment file's default profile is linux.
    let e = Experiment::parse(BASE, "x.toml").unwrap();
    assert_eq!(e.tcp_for("client"), Config::linux());
}

#[test]
fn experiments_can_be_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Experiment>();
    send_sync::<ConfigError>();
}

#[test]
fn metrics_list() {
    assert_eq!(METRICS.first(), Some(&"conn_attempted"));
    assert_eq!(METRICS.last(), Some(&"events"));
    assert_eq!(METRICS.len(), 50);
    let at = |m: &str| METRICS.iter().position(|x| *x == m).unwrap();
    assert_eq!(at("probe_loss"), at("probe_received") + 1);
}

#[test]
fn load_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ok.toml");
    std::fs::write(&path, FULL).unwrap();
    let e = Experiment::load(&path).unwrap();
    assert_eq!(e.name, "everything");
    std::fs::write(&path, format!("{BASE}los = 1\n")).unwrap();
    let err = Experiment::load(&path).unwrap_err();
    assert!(err
        .to_string()
        .starts_with(&format!("{}:13:1: unknown key `los`", path.display())));
}

/// Valid files with one byte changed, deleted or inserted.
fn mutated() -> impl Strategy<Value = String> {
    let bytes = FULL.as_bytes().to_vec();
    let len = bytes.len();
    (
        0..len,
        0..3u8,
        proptest::sample::select(b"\"=[]{},.:-0129xs \n#ae".to_vec()),
    )
        .prop_map(move |(at, op, byte)| {
            let mut b = bytes.clone();
            match op {
                0 => b[at] = byte,
                1 => {
                    b.remove(at);
                }
                _ => b.insert(at, byte),
            }
            String::from_utf8_lossy(&b).into_owned()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Experiment::parse(&text, "fuzz.toml");
    }

    #[test]
    fn near_valid_files_never_panic(text in mutated()) {
        if let Err(e) = Experiment::parse(&text, "fuzz.toml") {
            prop_assert!(e.to_string().starts_with("fuzz.toml"), "{}", e);
        }
    }

    #[test]
    fn random_overrides_never_panic(
        path in "(tcp|link\\.wan|host\\.server\\.tcp|workload\\.flood|seed|duration|chart)(\\.[a-z_]{1,12}){0,2}",
        value in "[-0-9a-z.\"\\[\\]{}=, ]{0,16}",
    ) {
        let e = Experiment::parse(FULL, "full.toml").unwrap();
        let _ = e.with_overrides(&[(path, parse_cli_value(&value))]);
    }
}

#[test]
fn congestion_cubic_is_a_choice() {
    let e = Experiment::parse(BASE, "x.toml").unwrap();
    let set = |v: &str| vec![("tcp.congestion".to_string(), parse_cli_value(v))];
    let x = e.with_overrides(&set("cubic")).unwrap();
    assert_eq!(x.tcp_for("client").congestion, Congestion::Cubic);
    assert_eq!(Congestion::Cubic.to_string(), "cubic");
    let err = e.with_overrides(&set("cubik")).unwrap_err();
    assert!(err.to_string().contains("`cubic`"), "{err}");
}

/// `init_cwnd` takes a number of segments or "rfc3390", and says so when given anything else.
#[test]
fn init_cwnd_is_segments_or_rfc3390() {
    let head = "name = \"x\"\nduration = \"1s\"\n[[host]]\nname = \"a\"\n[tcp]\n";
    let e = Experiment::parse(&format!("{head}init_cwnd = \"rfc3390\"\n"), "x.toml").unwrap();
    assert_eq!(e.tcp_for("a").init_cwnd, None);
    let e = Experiment::parse(&format!("{head}init_cwnd = 4\n"), "x.toml").unwrap();
    assert_eq!(e.tcp_for("a").init_cwnd, Some(4));
    let err = Experiment::parse(&format!("{head}init_cwnd = \"ten\"\n"), "x.toml").unwrap_err();
    assert!(
        err.to_string()
            .contains("expected a number of segments such as 10, or \"rfc3390\""),
        "{err}"
    );
}

#[test]
fn an_unnamed_chart_gets_a_file_name() {
    // `sockets:SYN-RECEIVED` holds a colon, which no file name should.
    let file = FULL.replace(
        "name = \"flood\"\nkind = \"timeseries\"",
        "kind = \"timeseries\"",
    );
    let e = Experiment::parse(&file, "full.toml").unwrap();
    assert_eq!(e.charts[1].name, "sockets_SYN-RECEIVED-vs-time");
}

#[test]
fn x_expr_maps_a_swept_value_and_only_on_sweep_charts() {
    let file = FULL.replace(
        "name = \"flood\"\nkind = \"timeseries\"",
        "name = \"flood\"\nkind = \"timeseries\"\nx_expr = \"2*x\"",
    );
    let err = Experiment::parse(&file, "full.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`x_expr` maps a swept value"), "{err}");
    let err = Experiment::parse(
        &FULL.replace(
            "log_y = true\n[[chart.reference]]",
            "log_y = true\nx_expr = \"x/\"\n[[chart.reference]]",
        ),
        "full.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("x_expr"), "{err}");
}

/// `queue`: an integer, or a table of each kind, with its defaults; per direction.
#[test]
fn queue_forms_resolve() {
    let parse = |extra: &str| {
        let e =
            Experiment::parse(&format!("{BASE}bandwidth = \"10Mbps\"\n{extra}"), "x.toml").unwrap();
        e.links[0].clone()
    };
    assert_eq!(parse("queue = 20\n").forward.queue, Queue::packets(20));
    assert_eq!(
        parse("queue = { kind = \"drop-tail\", bytes = \"150KB\" }\n")
            .forward
            .queue,
        Queue::DropTail {
            limit: None,
            bytes: Some(150_000)
        }
    );
    assert_eq!(
        parse("queue = { limit = 7, bytes = 9000 }\n").forward.queue,
        Queue::DropTail {
            limit: Some(7),
            bytes: Some(9000)
        }
    );
    assert_eq!(
        parse("queue = { kind = \"red\", max = 30, gentle = true }\n")
            .forward
            .queue,
        Queue::Red {
            limit: DEFAULT_QUEUE,
            bytes: None,
            min: Threshold::Packets(5.0),
            max: Threshold::Packets(30.0),
            max_p: 0.1,
            weight: 0.002,
            gentle: true,
            avpkt: 1000,
            ecn: false
        }
    );
    // tc-red's units: sizes, both of them.
    assert!(matches!(
        parse("queue = { kind = \"red\", min = \"30KB\", max = \"90KB\" }\n")
            .forward
            .queue,
        Queue::Red {
            min: Threshold::Bytes(30_000),
            max: Threshold::Bytes(90_000),
            ..
        }
    ));
    assert!(matches!(
        parse("queue = { kind = \"red\", ecn = true }\n")
            .forward
            .queue,
        Queue::Red { ecn: true, .. }
    ));
    assert!(matches!(
        parse("queue = { kind = \"codel\", ecn = true }\n")
            .forward
            .queue,
        Queue::CoDel { ecn: true, .. }
    ));
    let link = parse("[link.reverse]\nqueue = { kind = \"codel\", target = \"2ms\" }\n");
    assert_eq!(link.forward.queue, Queue::default());
    assert_eq!(
        link.reverse.queue,
        Queue::CoDel {
            limit: DEFAULT_CODEL_LIMIT,
            bytes: None,
            target: Duration::from_millis(2),
            interval: Duration::from_millis(100),
            ecn: false
        }
    );
}

#[test]
fn bad_queues() {
    let cases: &[(&str, &[&str])] = &[
        (
            "bandwidth = \"1Mbps\"\nqueue = { kind = \"codel\", min = 3 }\n",
            &["x.toml:14:9: `link.wan.queue`: `min` is a key of kind = \"red\", not of kind = \"codel\""],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = { target = \"1ms\" }\n",
            &["`target` is a key of kind = \"codel\", not of kind = \"drop-tail\" (the default kind)"],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = { limit = 50, ecn = true }\n",
            &["`ecn` is a key of kind = \"red\" or kind = \"codel\", not of kind = \"drop-tail\" (the default kind)"],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = { kind = \"red\", ecn = 1 }\n",
            &["`link.wan.queue.ecn`", "expected a boolean"],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = { kind = \"blue\" }\n",
            &["x.toml:14:18: `link.wan.queue.kind`", "\"drop-tail\", \"red\", \"codel\""],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = { kind = \"red\", min = 10, max = 10 }\n",
            &["x.toml:14:41: `link.wan.queue.max`: queue.max must be more than queue.min"],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = { kind = \"red\", weight = 0 }\n",
            &["`link.wan.queue.weight`: queue.weight must be in (0, 1]"],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = { kind = \"red\", max_p = 1.5 }\n",
            &["`link.wan.queue.max_p`", "expected a probability in [0, 1], found 1.5"],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = { kind = \"codel\", interval = \"0s\" }\n",
            &["`link.wan.queue.interval`: queue.interval must be positive"],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = { bytes = 0 }\n",
            &["`link.wan.queue.bytes`: expected a byte limit of at least 1 byte"],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = { kind = \"red\", limit = 0 }\n",
            &["`link.wan.queue.limit`: expected a queue of at least 1 packet"],
        ),
        (
            "queue = { kind = \"red\" }\n",
            &["x.toml:13:18: `link.wan.queue.kind`: a RED queue needs a `bandwidth`"],
        ),
        (
            "[link.forward]\nqueue = { kind = \"codel\" }\n",
            &["`link.wan.forward.queue.kind`: a CoDel queue needs a `bandwidth` on its link (forward direction)"],
        ),
        (
            "bandwidth = \"1Mbps\"\nqueue = -3\n",
            &["`link.wan.queue`: expected a number of packets in 0..=4294967295, found -3"],
        ),
    ];
    for (extra, expected) in cases {
        assert_contains(&parse_err(&format!("{BASE}{extra}")), expected);
    }
}
