//! CUBIC end to end over a bandwidth-limited link, where ACKs come back spaced by the
//! bottleneck and RTTs grow as its queue fills: HyStart (Linux `hystart_update`) ends slow
//! start on the queueing delay, before the queue overflows; NewReno, without it, leaves
//! slow start only on a loss.

use synack_experiment::config::Experiment;
use synack_experiment::spec::SeriesMetric;
use synack_sim::Time;
use synack_world::trace::{Record, Trace};
use synack_world::{RunOutput, World};

/// Runs the first sweep point of `text` once (seed 1), with its trace.
fn run(text: &str) -> (RunOutput, Trace) {
    let exp = Experiment::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
    let checked = synack_experiment::check(&exp, &[]).unwrap_or_else(|e| panic!("{e}"));
    World::traced(&checked.points[0].world, 1)
}

/// 3 MB over 10 Mbps, 20 ms each way (a bandwidth-delay product of 34 segments), a
/// 200-packet queue, no random loss; the sender's cwnd and ssthresh recorded.
fn transfer(congestion: &str) -> String {
    format!(
        r#"
name = "hystart"
duration = "10s"
[tcp]
profile = "linux"
congestion = "{congestion}"
[[host]]
name = "client"
[[host]]
name = "server"
[[link]]
name = "path"
between = ["client", "server"]
delay = "20ms"
bandwidth = "10Mbps"
queue = 200
[[workload]]
name = "transfer"
kind = "bulk"
from = "client"
to = "server:80"
bytes = "3MB"
[[series]]
metric = "cwnd"
host = "client"
[[series]]
metric = "ssthresh"
host = "client"
"#
    )
}

/// When slow start first ended (ssthresh first set), the ssthresh then, cwnd just before,
/// and whether any packet had been dropped by then.
fn first_exit((out, trace): &(RunOutput, Trace)) -> (Time, f64, f64, bool) {
    let (t, ssthresh) = out
        .series
        .iter()
        .find(|r| r.metric == SeriesMetric::Ssthresh)
        .map(|r| (r.t, r.value))
        .expect("slow start ends");
    let cwnd = out
        .series
        .iter()
        .rev()
        .find(|r| r.metric == SeriesMetric::Cwnd && r.t <= t)
        .expect("cwnd recorded")
        .value;
    let dropped =
        (trace.records().iter()).any(|r| matches!(r, Record::Drop { t: d, .. } if *d <= t));
    (t, ssthresh, cwnd, dropped)
}

#[test]
fn hystart_ends_slow_start_before_the_queue_overflows() {
    let (t, ssthresh, cwnd, dropped) = first_exit(&run(&transfer("cubic")));
    assert!(!dropped, "nothing lost before slow start ended at {t}");
    assert_eq!(ssthresh, cwnd, "HyStart: ssthresh = cwnd");
    let segments = ssthresh / 1460.0;
    // From `hystart_low_window` up; above the path's 34 segments, well below its 234.
    assert!((34.0..200.0).contains(&segments), "{segments} segments");

    let (_, ssthresh, cwnd, dropped) = first_exit(&run(&transfer("newreno")));
    assert!(dropped, "NewReno leaves slow start on a loss");
    assert!(ssthresh < cwnd);
}
