//! The one checker (`synack_experiment::check`): every cross-check a world relies on is made
//! before anything runs, and each failure names the file, line and column it is about.

mod common;

use common::{floods, API, CHAIN, WEB};
use synack_experiment::config::{parse_cli_value, ConfigError, Experiment, Origin};
use synack_experiment::spec::WorkloadSpec;
use synack_experiment::{check, Checked};

/// Parses `text` as `x.toml` and checks it with the overrides `sets` (as `--set` gives them).
fn checked(text: &str, sets: &[(&str, &str)]) -> Result<Checked, ConfigError> {
    let exp = Experiment::parse(text, "x.toml")?;
    let sets: Vec<(String, toml::Value)> = sets
        .iter()
        .map(|(p, v)| (p.to_string(), parse_cli_value(v)))
        .collect();
    check(&exp, &sets)
}

/// `[sweep]` with these entries, to append.
fn sweep(entries: &[(&str, &str)]) -> String {
    let mut s = "\n[sweep]\n".to_string();
    for (path, values) in entries {
        s.push_str(&format!("\"{path}\" = {values}\n"));
    }
    s
}

/// A script workload "s" with one segment from `a` to `c` (lines 20–25 after [`CHAIN`]).
const SCRIPT_A_TO_C: &str = r#"
[[workload]]
name = "s"
kind = "script"
segments = [
  { at = "1s", from = "a", to = "c", sport = 40000, dport = 80, flags = "SYN" },
]
"#;

/// What the route check says of a workload or segment from `a` to `c`.
const NO_LINK_A_C: &str = "no route from \"a\" to \"c\": the path reaches host \"b\", and \
                           hosts do not forward packets (make it a [[router]]); join them by \
                           [[link]]s, directly or through [[router]]s";

/// What the listener check says when "api" serves b:80 with a larger response than "web".
const TWO_SERVERS: &str = "`workload.api.to`: workloads \"web\" and \"api\" both serve b:80 but \
                           differently (`response` is 1000 B and 2000 B); one server \
                           application answers each port: give them different ports";

/// A bad case: what it is, the file, the overrides, the whole message.
type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, String);

/// Each bad experiment (with its overrides) and the whole message it must give.
#[test]
fn each_cross_check_names_file_line_and_column() {
    let chain = |extra: &[&str]| format!("{CHAIN}{}", extra.concat());
    let api_on_80 = API.replace("b:81", "b:80");
    let api_on_80_larger = api_on_80.replace("1KB", "2KB");
    let flood_on_81 =
        "\n[[workload]]\nname = \"syn\"\nkind = \"flood\"\nfrom = \"c\"\nto = \"b:81\"\nrate = 100\n";
    let api_to_and_response = [
        ("workload.api.to", "[\"b:81\", \"b:80\"]"),
        ("workload.api.response", "[\"1KB\", \"2KB\"]"),
    ];
    // 257 durations × 2 × 2 = 1028 points: more than parsing checks point by point.
    let durations = format!(
        "[{}]",
        (10..=266)
            .map(|s| format!("\"{s}s\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let chart_x_delay = "\n[[chart]]\nx = \"link.ab.delay\"\ny = \"handshake_mean_s\"\n";
    let cases: Vec<Case> = vec![
        (
            "a scripted segment between hosts no link joins (it was silently dropped)",
            chain(&[SCRIPT_A_TO_C]),
            vec![],
            format!("x.toml:24:33: `workload.s.segments[0].to`: {NO_LINK_A_C}"),
        ),
        (
            "a request between hosts joined only through another (it failed late, unlocated)",
            chain(&[&WEB.replace("b:80", "c:80")]),
            vec![],
            format!("x.toml:24:6: `workload.web.to`: {NO_LINK_A_C}"),
        ),
        (
            "a probe between hosts joined only through another",
            chain(&["\n[[workload]]\nname = \"p\"\nkind = \"probe\"\nfrom = \"a\"\nto = \"c\"\nrate = 10\n"]),
            vec![],
            format!("x.toml:24:6: `workload.p.to`: {NO_LINK_A_C}"),
        ),
        (
            "a flood whose port nothing listens on",
            chain(&[WEB, flood_on_81]),
            vec![],
            "x.toml:31:6: `workload.syn.to`: nothing listens on b:81; a flood needs a bulk, \
             request, churn or pool workload serving that port (\"b\" serves port 80)"
                .to_string(),
        ),
        (
            "two workloads serving one port differently",
            chain(&[WEB, &api_on_80_larger]),
            vec![],
            format!("x.toml:31:6: {TWO_SERVERS}"),
        ),
        (
            "a link parameter only the link checked",
            chain(&["stale = { probability = 0.1, max_age = \"0s\" }\n"]),
            vec![],
            "x.toml:19:40: `link.bc.stale.max_age`: stale.max_age must be positive: stale \
             copies arrive after a delay in (0, max_age]"
                .to_string(),
        ),
        (
            "a link parameter only the link checked, in one direction",
            chain(&["[link.reverse]\nstale = { probability = 0.1, max_age = \"0s\" }\n"]),
            vec![],
            "x.toml:20:40: `link.bc.reverse.stale.max_age`: stale.max_age must be positive: \
             stale copies arrive after a delay in (0, max_age] (in the reverse direction)"
                .to_string(),
        ),
        (
            "a sweep value that breaks a route",
            chain(&[WEB, &sweep(&[("workload.web.to", "[\"b:80\", \"c:80\"]")])]),
            vec![],
            format!(
                "x.toml:28:30: in [sweep] \"workload.web.to\" = \"c:80\": `workload.web.to`: \
                 {NO_LINK_A_C}"
            ),
        ),
        (
            "a sweep point whose values together serve one port differently",
            chain(&[WEB, API, &sweep(&api_to_and_response)]),
            vec![],
            format!(
                "x.toml:35:1: [sweep] point \"workload.api.to\" = \"b:80\", \
                 \"workload.api.response\" = \"2KB\": {TWO_SERVERS}"
            ),
        ),
        (
            "the same point in a sweep too large to check point by point when parsed",
            chain(&[
                WEB,
                API,
                &sweep(&[
                    ("duration", &durations),
                    api_to_and_response[0],
                    api_to_and_response[1],
                ]),
            ]),
            vec![],
            format!(
                "x.toml:35:1: [sweep] point \"duration\" = \"10s\", \"workload.api.to\" = \
                 \"b:80\", \"workload.api.response\" = \"2KB\": {TWO_SERVERS}"
            ),
        ),
        (
            "a chart whose x is not swept",
            chain(&[
                WEB,
                &sweep(&[("workload.web.response", "[\"1KB\", \"2KB\"]")]),
                chart_x_delay,
            ]),
            vec![],
            "x.toml:31:5: `chart[0].x`: `link.ab.delay` is not swept; the swept paths are: \
             workload.web.response"
                .to_string(),
        ),
        (
            "a chart that does not show every swept path",
            chain(&[
                WEB,
                &sweep(&[
                    ("workload.web.response", "[\"1KB\", \"2KB\"]"),
                    ("link.ab.delay", "[\"1ms\", \"2ms\"]"),
                ]),
                chart_x_delay,
            ]),
            vec![],
            "x.toml:31:1: `chart[0]`: chart \"handshake_mean_s-vs-link_ab_delay\": the sweep \
             also varies `workload.web.response`, which is neither its x nor its series: points \
             that differ only in `workload.web.response` would be drawn at one place; add \
             `series = \"workload.web.response\"` to it"
                .to_string(),
        ),
        (
            "a timeseries chart with another x than time",
            chain(&["\n[[series]]\nmetric = \"cwnd\"\n\n[[chart]]\nkind = \"timeseries\"\nx = \"link.ab.delay\"\ny = \"cwnd\"\n"]),
            vec![],
            "x.toml:25:5: `chart[0].x`: a timeseries chart's x is \"time\", not \
             `link.ab.delay`; leave `x` out"
                .to_string(),
        ),
        (
            "an override of a swept path",
            chain(&[WEB, &sweep(&[("link.ab.delay", "[\"1ms\", \"2ms\"]")])]),
            vec![("link.ab.delay", "5ms")],
            "x.toml:28:1: --set link.ab.delay: this path is swept in [sweep] of x.toml; the \
             sweep would override it (edit the sweep list to run fewer values)"
                .to_string(),
        ),
        (
            "an override that breaks a route, at the key it overrides",
            chain(&[WEB]),
            vec![("workload.web.to", "c:80")],
            format!(
                "x.toml:24:6: with override `workload.web.to = \"c:80\"`: `workload.web.to`: \
                 {NO_LINK_A_C}"
            ),
        ),
        (
            "an override that breaks a sweep value",
            chain(&[WEB, API, &sweep(&api_to_and_response[..1])]),
            vec![("workload.api.response", "2KB")],
            format!(
                "x.toml:35:30: in [sweep] \"workload.api.to\" = \"b:80\": {TWO_SERVERS} (with \
                 override `workload.api.response = \"2KB\"`)"
            ),
        ),
    ];
    let mut failures = Vec::new();
    for (what, text, sets, expected) in cases {
        let shown = match checked(&text, &sets) {
            Ok(_) => "(no error)".to_string(),
            Err(e) => e.to_string(),
        };
        if shown != expected {
            failures.push(format!("{what}:\n  {shown}\nexpected\n  {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Errors found at a sweep point, or with overrides, say so in their origin.
#[test]
fn errors_found_later_keep_their_origin() {
    let text = format!("{CHAIN}{WEB}{API}");
    let err = checked(
        &text,
        &[
            ("workload.api.to", "b:80"),
            ("workload.api.response", "2KB"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        *err.origin,
        Origin::Override {
            file: "x.toml".to_string(),
            position: Some((31, 6)),
            sets: vec![("workload.api.to".to_string(), "\"b:80\"".to_string())],
        },
        "{err}"
    );
    assert_eq!(err.key.as_deref(), Some("workload.api.to"));
}

/// 200 floods at one port: the 128-flood limit (an artefact of packing addresses) is gone.
#[test]
fn two_hundred_floods_are_accepted() {
    let checked =
        checked(&format!("{CHAIN}{WEB}{}", floods(200)), &[]).unwrap_or_else(|e| panic!("{e}"));
    let world = &checked.points[0].world;
    assert_eq!(world.floods().count(), 200);
    assert!(world.floods().all(|f| f.port == 80));
}

/// 65,536 floods are the most a spoofed address can name; one more is refused where it is.
#[test]
fn more_than_65536_floods_are_refused_at_the_first_one_too_many() {
    let text = format!("{CHAIN}{WEB}{}", floods(65_537));
    let err = checked(&text, &[]).expect_err("one flood too many");
    assert!(
        err.to_string().contains(
            "workload \"syn65536\" is flood number 65537; at most 65536 floods are supported"
        ),
        "{err}"
    );
    assert_eq!(err.key.as_deref(), Some("workload.syn65536.kind"));
}

/// What `check` returns: every point's values and world, with the overrides applied.
#[test]
fn checked_points_carry_their_values_and_worlds() {
    let script_a_to_b = SCRIPT_A_TO_C.replace("to = \"c\"", "to = \"b\"");
    let text = format!(
        "{CHAIN}{WEB}{script_a_to_b}{}",
        sweep(&[("link.ab.delay", "[\"1ms\", \"2ms\"]")])
    )
    .replacen(
        "duration = \"10s\"\n",
        "duration = \"10s\"\nseed = 7\nreplications = 3\n",
        1,
    );
    let checked = checked(&text, &[("workload.web.response", "2KB")]).unwrap();
    assert_eq!((checked.seed, checked.replications), (7, 3));
    assert_eq!(checked.points.len(), 2);
    assert_eq!(checked.runs(), 6);
    for (i, delay_ms) in [1, 2].into_iter().enumerate() {
        let p = &checked.points[i];
        assert_eq!(p.index, i);
        assert_eq!(
            p.params,
            vec![(
                "link.ab.delay".to_string(),
                toml::Value::from(format!("{delay_ms}ms"))
            )]
        );
        let ab = &p.world.links[0];
        assert_eq!(ab.forward.delay.as_nanos(), delay_ms * 1_000_000);
        assert_eq!(
            p.world.links[1].forward.delay.as_nanos(),
            10_000_000,
            "bc unswept"
        );
        assert!(matches!(
            p.world.apps().next().unwrap().1.kind,
            synack_experiment::spec::AppKind::Request { response: 2000, .. }
        ));
        // A segment between linked hosts is in the world (one between unlinked hosts is an error).
        let scripts: Vec<_> = (p.world.workloads.iter())
            .filter_map(|w| match w {
                WorkloadSpec::Script(s) => Some(&s.segments),
                _ => None,
            })
            .collect();
        assert_eq!(scripts.len(), 1);
        assert_eq!(
            (scripts[0].len(), scripts[0][0].from, scripts[0][0].to),
            (1, 0, 1)
        );
    }
    assert_eq!(checked.overrides.len(), 1);
    assert_eq!(checked.experiment.sweep_axes().len(), 1);
}

/// A churn from `a` to `b:80` at `rate` a second for the 10 s of [`CHAIN`], with `flows`.
fn churn_flows(rate: u32) -> String {
    format!(
        "flows = true\n{CHAIN}\n[[workload]]\nname = \"c\"\nkind = \"churn\"\nfrom = \"a\"\n\
         to = \"b:80\"\nrate = {rate}\n"
    )
}

#[test]
fn flows_csv_is_bounded_by_the_connections_check_expects() {
    // 10,000 a second for 10 s, in 10 replications: a million rows, the most allowed.
    let at_limit = churn_flows(10_000).replace("duration", "replications = 10\nduration");
    checked(&at_limit, &[]).unwrap();
    let err = checked(&at_limit, &[("replications", "11")]).unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with("x.toml:1:9: `flows`:"), "{shown}");
    assert!(
        shown.contains("about 1100000 connections, a row each in flows.csv; at most 1000000"),
        "{shown}"
    );
    // A sweep counts every point's connections.
    let swept = churn_flows(10_000) + &sweep(&[("workload.c.rate", "[10000, 1]")]);
    let swept = swept.replace("duration", "replications = 10\nduration");
    let err = checked(&swept, &[]).unwrap_err().to_string();
    assert!(err.contains("about 1000100 connections"), "{err}");
    // Without flows.csv, nothing is counted.
    checked(&swept.replace("flows = true\n", ""), &[]).unwrap();
}

/// Two clients behind routers r1 and r2 (joined twice: directly, and through r3) and a
/// server behind r2; `extra` is appended.
fn routed(extra: &str) -> String {
    format!(
        r#"name = "t"
duration = "10s"
[[host]]
name = "client"
count = 2
[[host]]
name = "server"
[[router]]
name = "r1"
[[router]]
name = "r2"
[[router]]
name = "r3"
[[link]]
name = "access"
between = ["client[*]", "r1"]
[[link]]
name = "core"
between = ["r1", "r2"]
[[link]]
name = "detour1"
between = ["r1", "r3"]
[[link]]
name = "detour2"
between = ["r3", "r2"]
[[link]]
name = "s"
between = ["r2", "server"]
[[workload]]
name = "web"
kind = "churn"
from = "client[*]"
to = "server:80"
rate = 1
{extra}"#
    )
}

/// The first error of `text`, as printed.
fn error_of(text: &str) -> String {
    checked(text, &[])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

#[test]
fn routes_loops_unreachable_hosts_and_group_references_are_located() {
    // Routed through r1 and r2, one copy of the workload per member.
    let ok = checked(&routed(""), &[]).unwrap_or_else(|e| panic!("{e}"));
    let world = &ok.points[0].world;
    assert_eq!(world.hosts.len(), 3);
    assert_eq!(world.hosts[1].name, "client[1]");
    assert_eq!(world.links.len(), 6, "one access link per member");
    assert_eq!(world.links[1].name, "access[1]");
    assert_eq!(world.workloads.len(), 2);
    // A parameter path over a group's link sets every member's link; a group's count sweeps.
    let set = checked(
        &routed(""),
        &[("link.access.delay", "\"5ms\""), ("host.client.count", "3")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let world = &set.points[0].world;
    let access: Vec<_> = world
        .links
        .iter()
        .filter(|l| l.name.starts_with("access["))
        .collect();
    assert_eq!(access.len(), 3);
    assert!(access.iter().all(
        |l| l.forward.delay.as_nanos() == 5_000_000 && l.reverse.delay.as_nanos() == 5_000_000
    ));
    assert_eq!(world.workloads.len(), 3);
    // Series name a member.
    let member = checked(
        &routed("[[series]]\nmetric = \"cwnd\"\nhost = \"client[1]\"\n"),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(member.points[0].world.series[0].host, Some(1));
    // r1 sends packets for the server to r3, and r3 sends them back to r1: a loop.
    let back = "\n[[route]]\nat = \"r1\"\nto = \"server\"\nvia = \"r3\"\n\
                [[route]]\nat = \"r3\"\nto = \"server\"\nvia = \"r1\"\n";
    assert_eq!(
        error_of(&routed(back)),
        "x.toml:36:1: `route[0]`: routing loop: packets from \"r1\" to \"server\" go round in a \
         circle through \"r3\" (the static routes send them back where they came from)"
    );
    // A route whose `via` is no neighbour.
    let far = "\n[[route]]\nat = \"r1\"\nto = \"server\"\nvia = \"server\"\n";
    assert_eq!(
        error_of(&routed(far)),
        "x.toml:39:7: `route[0].via`: no [[link]] joins \"r1\" and \"server\": a route's `via` \
         is a neighbour of its `at`"
    );
    // A static detour that works.
    let detour = "\n[[route]]\nat = \"r1\"\nto = \"server\"\nvia = \"r3\"\n";
    let world = checked(&routed(detour), &[]).unwrap().points[0]
        .clone()
        .world;
    assert_eq!(
        world.routes.walk(0, 2),
        synack_experiment::routing::Walk::Reached { routers: 3 }
    );
    // An unreachable server: nothing links it.
    let lonely = routed("").replace(
        "[[link]]\nname = \"s\"\nbetween = [\"r2\", \"server\"]\n",
        "",
    );
    assert_eq!(
        error_of(&lonely),
        "x.toml:30:6: `workload.web.to`: no route from \"client[0]\" to \"server\": no [[link]] \
         reaches \"server\""
    );
    // A server on an island: its router r3 is joined to no other router.
    let island = routed("")
        .replace(
            "[[link]]\nname = \"detour1\"\nbetween = [\"r1\", \"r3\"]\n",
            "",
        )
        .replace(
            "[[link]]\nname = \"detour2\"\nbetween = [\"r3\", \"r2\"]\n",
            "",
        )
        .replace(
            "between = [\"r2\", \"server\"]",
            "between = [\"r3\", \"server\"]",
        );
    assert_eq!(
        error_of(&island),
        "x.toml:27:6: `workload.web.to`: no route from \"client[0]\" to \"server\": router \
         \"r1\" has no route to it; join them by [[link]]s, directly or through [[router]]s"
    );
    // Group references: a member out of range, a group named as one host, a router as a
    // workload's end.
    let bad_member = routed("").replace("to = \"server:80\"", "to = \"client[2]:80\"");
    assert_eq!(
        error_of(&bad_member),
        "x.toml:33:6: `workload.web.to`: \"client[2]\" names no member of group \"client\": its \
         members are \"client[0]\" to \"client[1]\", or all of them, \"client[*]\""
    );
    let whole = routed("").replace("from = \"client[*]\"", "from = \"client\"");
    assert_eq!(
        error_of(&whole),
        "x.toml:32:8: `workload.web.from`: \"client\" is a host group of 2: name one member \
         (\"client[0]\") or every member (\"client[*]\")"
    );
    let router = routed("").replace("to = \"server:80\"", "to = \"r2:80\"");
    assert_eq!(
        error_of(&router),
        "x.toml:33:6: `workload.web.to`: \"r2\" is a [[router]]: it forwards packets and has no \
         TCP, so it cannot be an end of a workload; name a [[host]]"
    );
    let both = routed("").replace(
        "between = [\"client[*]\", \"r1\"]",
        "between = [\"client[*]\", \"client[*]\"]",
    );
    assert!(
        error_of(&both)
            .starts_with("x.toml:16:11: `link.access.between`: a link joins every member"),
        "{}",
        error_of(&both)
    );
}

#[test]
fn check_each_hands_over_the_points_check_keeps() {
    let text = format!(
        "{CHAIN}{WEB}{}",
        sweep(&[
            ("tcp.msl", r#"["1s", "500ms"]"#),
            ("tcp.syn_retries", "[1, 2]")
        ])
    );
    let exp = Experiment::parse(&text, "x.toml").unwrap();
    let sets = [("duration".to_string(), parse_cli_value("3s"))];
    let all = check(&exp, &sets).unwrap();
    let mut one_at_a_time = Vec::new();
    let applied = synack_experiment::check_each(&exp, &sets, |p| {
        one_at_a_time.push((p.index, p.params, format!("{:?}", p.world)))
    })
    .unwrap();
    assert_eq!(applied.duration, all.experiment.duration);
    let kept: Vec<_> = (all.points.iter())
        .map(|p| (p.index, p.params.clone(), format!("{:?}", p.world)))
        .collect();
    assert_eq!(one_at_a_time, kept);
    assert_eq!(kept.len(), 4);
    let mut estimate = synack_experiment::Estimate::default();
    for p in all.points.iter() {
        estimate.add(p, all.replications);
    }
    assert_eq!(estimate, all.estimate());
}
