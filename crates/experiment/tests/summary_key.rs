//! The top-level `summary = [...]` key: the metrics of the console summary, checked.

use synack_experiment::config::Experiment;

const BASE: &str = r#"name = "s"
duration = "1s"
[[host]]
name = "a"
[[host]]
name = "b"
[[link]]
name = "ab"
between = ["a", "b"]
delay = "1ms"
"#;

fn with_summary(list: &str) -> Result<Experiment, String> {
    Experiment::parse(&format!("summary = {list}\n{BASE}"), "s.toml").map_err(|e| e.to_string())
}

#[test]
fn summary_names_metrics_in_order() {
    let e = with_summary(r#"["time_wait_peak", "conn_attempted"]"#).unwrap();
    assert_eq!(e.summary, ["time_wait_peak", "conn_attempted"]);
    assert!(Experiment::parse(BASE, "s.toml")
        .unwrap()
        .summary
        .is_empty());
}

#[test]
fn summary_errors_name_the_file_line_and_column() {
    let unknown = with_summary(r#"["time_wait_peak", "time_wait_peek"]"#).unwrap_err();
    assert!(
        unknown.starts_with("s.toml:1:30: `summary[1]`: unknown metric \"time_wait_peek\""),
        "{unknown}"
    );
    assert!(
        unknown.contains("did you mean `time_wait_peak`?"),
        "{unknown}"
    );
    let twice = with_summary(r#"["events", "events"]"#).unwrap_err();
    assert_eq!(
        twice,
        "s.toml:1:22: `summary[1]`: \"events\" is listed twice"
    );
    let not_a_list = with_summary("\"events\"").unwrap_err();
    assert!(
        not_a_list.starts_with("s.toml:1:11: `summary`:"),
        "{not_a_list}"
    );
    let series_metric = with_summary(r#"["cwnd"]"#).unwrap_err();
    assert!(
        series_metric.contains("unknown metric \"cwnd\""),
        "{series_metric}"
    );
}
