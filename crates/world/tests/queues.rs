//! Queue disciplines under TCP: one long-lived CUBIC transfer into a 10 Mbps bottleneck.
//! CoDel holds the standing queue delay near its 5 ms target while drop-tail's queue fills
//! to its limit; RED holds the queue near its thresholds. The `queue` and `queue_delay`
//! series and the `queue_drops` / `queue_delay_mean_s` metrics report them.

mod common;

use synack_experiment::spec::SeriesMetric;
use synack_world::{RunOutput, World};

fn run(queue: &str, series: &str) -> RunOutput {
    World::new(&common::bulk_over_bottleneck("aqm", queue, "", series), 1).run_all()
}

const DELAY_SERIES: &str = "[[series]]\nmetric = \"queue_delay\"\nhost = \"client\"\n";

/// The median wait, in ms, of the packets the client's queue admitted after 5 s (once
/// slow start's overshoot has passed).
fn median_wait_ms(out: &RunOutput) -> f64 {
    let mut waits: Vec<f64> = out
        .series
        .iter()
        .filter(|r| r.metric == SeriesMetric::QueueDelay && r.t.as_secs_f64() > 5.0)
        .map(|r| r.value * 1e3)
        .collect();
    assert!(waits.len() > 1000, "{} waits recorded", waits.len());
    waits.sort_by(f64::total_cmp);
    waits[waits.len() / 2]
}

#[test]
fn codel_holds_the_standing_delay_near_target_where_drop_tail_fills() {
    let codel = run("{ kind = \"codel\" }", DELAY_SERIES);
    let tail = run("1000", DELAY_SERIES);
    let (codel_ms, tail_ms) = (median_wait_ms(&codel), median_wait_ms(&tail));
    // Target 5 ms: the median within a small factor of it.
    assert!(
        (0.5..=15.0).contains(&codel_ms),
        "CoDel's median queue delay {codel_ms} ms"
    );
    // 1,000 packets of 1.5 kB at 10 Mbps drain in 1.2 s; CUBIC keeps it mostly full.
    assert!(
        tail_ms > 300.0,
        "drop-tail's median queue delay {tail_ms} ms"
    );
    // CoDel still fills the link: at least 90 % of it as goodput.
    assert!(
        codel.metrics.goodput_bps > 9e6,
        "goodput {}",
        codel.metrics.goodput_bps
    );
    assert!(codel.metrics.queue_drops > 0);
    // The metric is the data direction's mean wait.
    let mean = |out: &RunOutput| {
        let waits: Vec<f64> = (out.series.iter())
            .filter(|r| r.metric == SeriesMetric::QueueDelay)
            .map(|r| r.value)
            .collect();
        waits.iter().sum::<f64>() / waits.len() as f64
    };
    assert!(codel.metrics.queue_delay_mean_s.unwrap() > 0.0);
    // Rows are written on change only, so the series' mean is not the packets' mean; they
    // are close when nearly every packet's wait differs from the last.
    let (metric, series) = (tail.metrics.queue_delay_mean_s.unwrap(), mean(&tail));
    assert!(
        (metric - series).abs() < 0.05 * metric,
        "{metric} vs {series}"
    );
    assert!(
        codel.metrics.queue_delay_mean_s.unwrap() < tail.metrics.queue_delay_mean_s.unwrap() / 10.0
    );
}

#[test]
fn red_holds_its_average_between_the_thresholds() {
    let red = run(
        "{ kind = \"red\", min = 20, max = 60, max_p = 0.1, limit = 1000 }",
        "[[series]]\nmetric = \"queue\"\nhost = \"client\"\nevery = \"10ms\"\n",
    );
    let mut lengths: Vec<f64> = red
        .series
        .iter()
        .filter(|r| r.metric == SeriesMetric::Queue && r.t.as_secs_f64() > 5.0)
        .map(|r| r.value)
        .collect();
    assert_eq!(lengths.len(), 1500);
    lengths.sort_by(f64::total_cmp);
    let median = lengths[lengths.len() / 2];
    assert!(
        (10.0..=70.0).contains(&median),
        "RED's median queue {median}"
    );
    assert!(lengths[lengths.len() - 1] < 200.0, "never near the limit");
    assert!(
        red.metrics.goodput_bps > 9e6,
        "goodput {}",
        red.metrics.goodput_bps
    );
}

#[test]
fn queue_rows_name_the_link_and_the_sending_host() {
    let out = run(
        "{ kind = \"drop-tail\", bytes = 30000 }",
        "[[series]]\nmetric = \"queue\"\nevery = \"1s\"\n",
    );
    let rows: Vec<_> = out
        .series
        .iter()
        .filter(|r| r.t.as_secs_f64() == 1.0)
        .collect();
    // One row per direction: the client's (data) and the server's (ACKs).
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.metric_name() == "queue:path"));
    assert_ne!(rows[0].host, rows[1].host);
    // 30,000 bytes hold at most 20 full-size packets.
    let most = out.series.iter().map(|r| r.value).fold(0.0, f64::max);
    assert!((1.0..=20.0).contains(&most), "{most}");
}
