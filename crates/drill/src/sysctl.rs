//! The shell lines packetdrill runs, and the `net.ipv4.tcp_*` sysctls they set, mapped onto
//! synack's [`Config`] (the experiment file's `[tcp]` keys).
//!
//! | sysctl | `[tcp]` key |
//! |---|---|
//! | `tcp_syn_retries` | `syn_retries` |
//! | `tcp_synack_retries` | `synack_retries` |
//! | `tcp_syn_linear_timeouts` | `syn_linear_timeouts` |
//! | `tcp_syncookies` (0, 1, 2) | `syn_cookies` |
//! | `tcp_abort_on_overflow` | `abort_on_overflow` |
//! | `tcp_rfc1337` | `rfc1337` |
//! | `tcp_slow_start_after_idle` (0, 1) | `slow_start_after_idle` (`"off"`, `"linux"`) |
//! | `tcp_fin_timeout` | `fin_timeout` |
//! | `tcp_max_syn_backlog` | `max_syn_backlog` |
//! | `net.core.somaxconn` | `somaxconn` |
//! | `tcp_wmem` (its default, the middle value) | `send_buffer` |
//! | `tcp_rmem` (its maximum: the window scale's base, where autotuning takes the window) | `recv_buffer` |
//! | `ip_local_port_range` | `ephemeral_ports` |
//! | `tcp_tw_reuse` (0, 1, 2) | `tw_reuse` |
//! | `tcp_tw_reuse_delay` (ms) | `tw_reuse_delay` |
//! | `tcp_max_tw_buckets` | `max_tw_buckets` |
//! | `tcp_invalid_ratelimit` (ms, at most 60000) | `invalid_ratelimit` |
//! | `tcp_sack` (0, 1) | `sack` |
//! | `tcp_timestamps` (0, 1) | `timestamps` |
//! | `tcp_window_scaling` (0, 1) | `window_scaling` |
//! | `tcp_ecn` (0, 1, 2; AccECN's 3 to 5 are unsupported) | `ecn` |
//! | `tcp_congestion_control` (`cubic`) | `congestion = "cubic"` |
//! | `tcp_congestion_control` (`reno`) | `congestion = "newreno"` (Linux's `reno` module recovers as NewReno without SACK) |
//!
//! Features synack lacks today (DSACK, F-RTO, RACK/TLP) are *gaps*: the script runs and
//! fails where Linux's behaviour differs, which is how the issues adding them will show
//! progress. A setting that agrees with what synack does anyway (`tcp_reordering=3`, …)
//! is accepted. Anything else is **unsupported**, named.

use synack_sim::Duration;
use synack_tcp::config::{
    Config, Congestion, EcnMode, IdleRestart, PortRange, SynCookies, TwReuse,
};

/// What a shell line did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shell {
    /// `[tcp]` keys set, as `key = value` (for `--verbose`).
    pub applied: Vec<String>,
    /// Settings synack has no model for yet; the script still runs.
    pub gaps: Vec<String>,
    /// The first thing synack cannot do at all.
    pub unsupported: Option<String>,
    /// `ethtool -K tun0 tso off gso off`: packets are matched one segment each.
    pub tso_off: bool,
}

/// packetdrill's `gtests/net/tcp/common/defaults.sh`, as the settings it makes (names and
/// values only).
const DEFAULTS: &[(&str, &str)] = &[
    ("net.ipv4.tcp_rmem", "4096 540000 15728640"),
    ("net.ipv4.tcp_wmem", "4096 262144 4194304"),
    ("net.ipv4.tcp_timestamps", "1"),
    ("net.ipv4.tcp_syn_retries", "5"),
    ("net.ipv4.tcp_synack_retries", "5"),
    ("net.ipv4.tcp_frto", "2"),
    ("net.ipv4.tcp_sack", "1"),
    ("net.ipv4.tcp_dsack", "1"),
    ("net.ipv4.tcp_fack", "0"),
    ("net.ipv4.tcp_reordering", "3"),
    ("net.ipv4.tcp_congestion_control", "cubic"),
    ("net.ipv4.tcp_slow_start_after_idle", "0"),
    ("net.ipv4.tcp_early_retrans", "4"),
    ("net.ipv4.tcp_recovery", "1"),
    ("net.ipv4.tcp_tso_win_divisor", "3"),
    ("net.ipv4.tcp_ecn", "0"),
    ("net.ipv4.tcp_ecn_option", "2"),
    ("net.ipv4.tcp_pacing_ss_ratio", "200"),
    ("net.ipv4.tcp_pacing_ca_ratio", "120"),
    ("net.ipv4.tcp_notsent_lowat", "4294967295"),
    ("net.ipv4.tcp_fastopen", "0x70403"),
    ("net.ipv4.tcp_syncookies", "1"),
];

/// How one sysctl setting bears on synack.
#[derive(Debug, PartialEq, Eq)]
enum Effect {
    /// Set a `[tcp]` key: its name and value as text.
    Applied(&'static str, String),
    /// synack does this already, or it does not bear on a single simulated stack.
    Agrees,
    /// A feature synack lacks today (the script runs, and may fail on it).
    Gap(String),
    Unsupported(String),
}

/// Runs the text of one `` `command` `` against `config`. `from_defaults` lines (those of
/// `defaults.sh`) never make a script unsupported: the whole suite runs them.
pub fn run_shell(text: &str, config: &mut Config) -> Shell {
    let mut shell = Shell::default();
    let joined = text.replace("\\\n", " ");
    let statements = joined
        .split(['\n', ';'])
        .map(|s| s.split('#').next().unwrap_or("").trim())
        .filter(|s| !s.is_empty());
    for stmt in statements {
        shell_statement(stmt, config, &mut shell);
        if shell.unsupported.is_some() {
            break;
        }
    }
    shell
}

/// `stmt` split into words as a shell splits them: at blanks outside quotes, with the
/// quotes removed (`tcp_rmem="4096 131072 6291456"` is one word).
fn shell_words(stmt: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in stmt.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

fn shell_statement(stmt: &str, config: &mut Config, shell: &mut Shell) {
    let words = shell_words(stmt);
    // CUBIC's HyStart detectors (`hystart_detect`, a bit each: 1 the ACK train, 2 the
    // delay): synack's CUBIC runs both, the module's default, 3.
    if let ["echo", value, ">", "/sys/module/tcp_cubic/parameters/hystart_detect"] = words
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        if *value != "3" {
            shell.unsupported = Some(format!(
                "shell line `{stmt}`: synack's HyStart runs both detectors (3)"
            ));
        }
        return;
    }
    // Output redirections (`> /dev/null 2>&1`) do not matter here.
    let words: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .take_while(|w| !w.starts_with('>') && !w.starts_with("2>"))
        .collect();
    match words.as_slice() {
        [] => {}
        [path] if path.ends_with("common/defaults.sh") => {
            for (name, value) in DEFAULTS {
                apply(name, value, config, shell, true);
            }
        }
        ["sysctl", rest @ ..] => {
            for kv in rest.iter().filter(|w| !w.starts_with('-')) {
                match kv.split_once('=') {
                    Some((k, v)) => apply(k, v, config, shell, false),
                    None => shell.unsupported = Some(format!("shell line `{stmt}`")),
                }
            }
        }
        [script, rest @ ..] if script.ends_with("set_sysctls.py") => {
            for kv in rest {
                let Some((path, v)) = kv.split_once('=') else {
                    shell.unsupported = Some(format!("shell line `{stmt}`"));
                    return;
                };
                let name = path.trim_start_matches("/proc/sys/").replace('/', ".");
                apply(&name, v, config, shell, false);
            }
        }
        [path] if path.starts_with("/tmp/sysctl_restore_") => {}
        ["ip", "tcp_metrics", "flush", ..] => {}
        ["tc", "qdisc", "add", "dev", "tun0", "root", "pfifo"] => {}
        ["ethtool", "-K", "tun0", rest @ ..]
            if rest.chunks(2).all(|kv| kv.get(1) == Some(&"off")) =>
        {
            shell.tso_off = true;
        }
        _ => shell.unsupported = Some(format!("shell line `{stmt}`")),
    }
}

/// One sysctl: applied, accepted, a gap, or unsupported.
fn apply(name: &str, value: &str, config: &mut Config, shell: &mut Shell, from_defaults: bool) {
    let name = name.replace('/', ".");
    let short = name
        .trim_start_matches("net.ipv4.")
        .trim_start_matches("net.core.");
    match effect(short, value.trim(), config) {
        Effect::Applied(key, v) => shell.applied.push(format!("{name}={value} -> {key} = {v}")),
        Effect::Agrees => {}
        Effect::Gap(why) => shell.gaps.push(format!("{name}={value}: {why}")),
        Effect::Unsupported(_) if from_defaults => {
            shell.gaps.push(format!("{name}={value}: not modelled"));
        }
        Effect::Unsupported(why) => {
            if shell.unsupported.is_none() {
                shell.unsupported = Some(format!("sysctl {name}={value}: {why}"));
            }
        }
    }
}

fn number(v: &str) -> Option<u64> {
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// The middle of `tcp_rmem`/`tcp_wmem`'s three values: the default buffer.
fn middle(v: &str) -> Option<u64> {
    nth_of_three(v, 1)
}

/// The `i`-th of a `min default max` triple, if positive.
fn nth_of_three(v: &str, i: usize) -> Option<u64> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    match parts.as_slice() {
        [_, _, _] => number(parts[i]).filter(|&n| n > 0),
        _ => None,
    }
}

fn effect(name: &str, v: &str, c: &mut Config) -> Effect {
    let bad = || Effect::Unsupported(format!("value `{v}` not understood"));
    let n = number(v);
    match (name, n) {
        ("tcp_syn_retries", Some(n)) => set(&mut c.syn_retries, n, "syn_retries"),
        ("tcp_synack_retries", Some(n)) => set(&mut c.synack_retries, n, "synack_retries"),
        ("tcp_syn_linear_timeouts", Some(n)) => {
            set(&mut c.syn_linear_timeouts, n, "syn_linear_timeouts")
        }
        ("tcp_max_syn_backlog", Some(n)) => set(&mut c.max_syn_backlog, n, "max_syn_backlog"),
        ("somaxconn", Some(n)) => set(&mut c.somaxconn, n, "somaxconn"),
        ("tcp_syncookies", Some(n @ (0..=2))) => {
            c.syn_cookies = [SynCookies::Off, SynCookies::Overflow, SynCookies::Always][n as usize];
            Effect::Applied("syn_cookies", c.syn_cookies.to_string())
        }
        ("tcp_ecn", Some(n @ (0..=2))) => {
            c.ecn = [EcnMode::Off, EcnMode::On, EcnMode::Passive][n as usize];
            Effect::Applied("ecn", c.ecn.to_string())
        }
        ("tcp_ecn", Some(3..=5)) => Effect::Unsupported("Accurate ECN (tcp_ecn 3 to 5)".into()),
        ("tcp_tw_reuse", Some(n @ (0..=2))) => {
            c.tw_reuse = [TwReuse::Off, TwReuse::On, TwReuse::Loopback][n as usize];
            Effect::Applied("tw_reuse", c.tw_reuse.to_string())
        }
        ("tcp_tw_reuse_delay", Some(n)) => {
            c.tw_reuse_delay = Duration::from_millis(n);
            Effect::Applied("tw_reuse_delay", format!("{n}ms"))
        }
        ("tcp_invalid_ratelimit", Some(n)) if n <= 60_000 => {
            c.invalid_ratelimit = Duration::from_millis(n);
            Effect::Applied("invalid_ratelimit", format!("{n}ms"))
        }
        ("tcp_max_tw_buckets", Some(n)) => match u32::try_from(n) {
            Ok(n) => {
                c.max_tw_buckets = Some(n);
                Effect::Applied("max_tw_buckets", n.to_string())
            }
            Err(_) => bad(),
        },
        ("tcp_abort_on_overflow", Some(n @ (0 | 1))) => {
            flag(&mut c.abort_on_overflow, n, "abort_on_overflow")
        }
        ("tcp_slow_start_after_idle", Some(n @ (0 | 1))) => {
            let (rule, name) = if n == 1 {
                (IdleRestart::Linux, "linux")
            } else {
                (IdleRestart::Off, "off")
            };
            c.slow_start_after_idle = rule;
            Effect::Applied("slow_start_after_idle", name.into())
        }
        ("tcp_rfc1337", Some(n @ (0 | 1))) => {
            c.rfc1337 = n == 1;
            Effect::Applied("rfc1337", c.rfc1337.to_string())
        }
        ("tcp_fin_timeout", Some(n)) if n <= 86_400 => {
            c.fin_timeout = Some(Duration::from_secs(n));
            Effect::Applied("fin_timeout", format!("{n}s"))
        }
        ("tcp_wmem", _) => match middle(v) {
            Some(b) => {
                c.send_buffer = b;
                Effect::Applied("send_buffer", b.to_string())
            }
            None => bad(),
        },
        // The largest: Linux scales its window from it (`tcp_select_initial_window`) and
        // autotuning opens the window towards it; synack opens it fully at once.
        ("tcp_rmem", _) => match nth_of_three(v, 2) {
            Some(b) => {
                c.recv_buffer = b;
                Effect::Applied("recv_buffer", b.to_string())
            }
            None => bad(),
        },
        ("tcp_sack", Some(n @ (0 | 1))) => flag(&mut c.sack, n, "sack"),
        ("tcp_timestamps", Some(n @ (0 | 1))) => flag(&mut c.timestamps, n, "timestamps"),
        ("tcp_window_scaling", Some(n @ (0 | 1))) => {
            flag(&mut c.window_scaling, n, "window_scaling")
        }
        ("tcp_congestion_control", _) if v == "cubic" => {
            c.congestion = Congestion::Cubic;
            Effect::Applied("congestion", "cubic".into())
        }
        // Linux's `reno` module: Reno's window, the stack's NewReno recovery.
        ("tcp_congestion_control", _) if v == "reno" => {
            c.congestion = Congestion::NewReno;
            Effect::Applied("congestion", "newreno".into())
        }
        ("ip_local_port_range", _) => {
            match v.replace(char::is_whitespace, "-").parse::<PortRange>() {
                Ok(r) => {
                    c.ephemeral_ports = r;
                    Effect::Applied("ephemeral_ports", r.to_string())
                }
                Err(_) => bad(),
            }
        }
        _ => feature(name, n),
    }
}

fn flag(field: &mut bool, n: u64, key: &'static str) -> Effect {
    *field = n == 1;
    Effect::Applied(key, field.to_string())
}

fn set(field: &mut u32, n: u64, key: &'static str) -> Effect {
    match u32::try_from(n) {
        Ok(n) => {
            *field = n;
            Effect::Applied(key, n.to_string())
        }
        Err(_) => Effect::Unsupported(format!("{n} is out of range for {key}")),
    }
}

/// Settings of features rather than of `[tcp]` keys.
fn feature(name: &str, n: Option<u64>) -> Effect {
    let gap = |what: &str| Effect::Gap(format!("synack has no {what} yet"));
    match (name, n) {
        ("tcp_dsack", Some(0)) | ("tcp_frto", Some(0)) | ("tcp_fack", Some(0)) => Effect::Agrees,
        ("tcp_dsack", _) => gap("D-SACK (RFC 2883)"),
        ("tcp_frto", _) => gap("F-RTO (RFC 5682)"),
        ("tcp_early_retrans" | "tcp_recovery", Some(0)) => Effect::Agrees,
        ("tcp_early_retrans" | "tcp_recovery", _) => gap("RACK-TLP (RFC 8985)"),
        ("tcp_reordering", Some(3)) => Effect::Agrees,
        ("tcp_fastopen", Some(0)) => Effect::Agrees,
        // The AccECN option only matters with ECN on; fast open only when a script uses it.
        ("tcp_ecn_option" | "tcp_fastopen" | "tcp_fastopen_key", _) => Effect::Agrees,
        // Pacing, TSO sizing and the unsent-data low-water mark: what synack leaves out.
        ("tcp_pacing_ss_ratio" | "tcp_pacing_ca_ratio" | "tcp_tso_win_divisor", _) => {
            Effect::Unsupported("pacing and TSO sizing are not modelled".into())
        }
        ("tcp_notsent_lowat", Some(4294967295)) => Effect::Agrees,
        _ => Effect::Unsupported("synack does not model this sysctl".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_map_keys_and_list_gaps_without_being_unsupported() {
        let mut c = Config::linux();
        let s = run_shell("../common/defaults.sh", &mut c);
        assert_eq!(s.unsupported, None);
        assert_eq!((c.syn_retries, c.synack_retries), (5, 5));
        assert_eq!((c.send_buffer, c.recv_buffer), (262_144, 15_728_640));
        assert!((c.sack && c.timestamps) && c.congestion == Congestion::Cubic);
        assert!(
            s.gaps.iter().any(|g| g.contains("tcp_dsack")),
            "{:?}",
            s.gaps
        );
    }

    #[test]
    fn congestion_control_hystart_and_the_idle_restart_map_to_keys() {
        let mut c = Config::linux();
        run_shell("../common/defaults.sh", &mut c);
        assert_eq!(c.slow_start_after_idle, IdleRestart::Off);
        // Linux's `reno` module after defaults.sh's cubic: NewReno, not cubic kept.
        let s = run_shell("sysctl -q net.ipv4.tcp_congestion_control=reno", &mut c);
        assert_eq!((s.unsupported, c.congestion), (None, Congestion::NewReno));
        let s = run_shell("sysctl -q net.ipv4.tcp_slow_start_after_idle=1", &mut c);
        assert_eq!(
            (s.unsupported, c.slow_start_after_idle),
            (None, IdleRestart::Linux)
        );
        // HyStart's default detectors are synack's; another choice is not.
        let hystart = "/sys/module/tcp_cubic/parameters/hystart_detect";
        assert_eq!(
            run_shell(&format!("echo 3 > {hystart}"), &mut c).unsupported,
            None
        );
        let s = run_shell(&format!("echo 2 > {hystart}"), &mut c);
        assert!(s.unsupported.unwrap().contains("both detectors"));
    }

    #[test]
    fn unknown_sysctls_and_commands_are_unsupported_by_name() {
        let mut c = Config::linux();
        let s = run_shell("sysctl -q net.ipv4.tcp_mtu_probing=1", &mut c);
        assert!(s.unsupported.unwrap().contains("tcp_mtu_probing"));
        let s = run_shell("tc qdisc add dev tun0 root netem delay 10ms", &mut c);
        assert!(s.unsupported.unwrap().contains("netem"));
        let s = run_shell(
            "../common/set_sysctls.py /proc/sys/net/ipv4/tcp_syn_retries=2",
            &mut c,
        );
        assert_eq!((s.unsupported, c.syn_retries), (None, 2));
        assert!(run_shell("ethtool -K tun0 tso off gso off", &mut c).tso_off);
    }

    #[test]
    fn quoted_values_are_one_word() {
        let mut c = Config::linux();
        let s = run_shell(
            r#"sysctl -q net.ipv4.tcp_rmem="4096 131072 6291456" 'net.ipv4.tcp_sack=0'"#,
            &mut c,
        );
        assert_eq!(
            (s.unsupported, c.recv_buffer, c.sack),
            (None, 6_291_456, false)
        );
    }
}
