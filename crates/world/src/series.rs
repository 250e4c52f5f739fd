//! Recording `[[series]]`: connection quantities and per-host socket counts over time.
//!
//! Nothing here runs unless the experiment asks for a series. A series without `every`
//! records a row whenever its value changes (after each segment, timer or application call
//! that touched the connection); with `every` it samples every connection (or host) at that
//! period. The initial "infinite" ssthresh is not recorded (there is no number to draw).

use synack_sim::{Duration, Time};
use synack_tcp::{Connection, State};

use super::{Event, World};
use crate::tcp::NO_CONN;
use synack_experiment::spec::{SeriesMetric, SeriesSpec};

/// One row of `series.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesRow {
    pub t: Time,
    pub host: u32,
    /// The connection (flow) number, or none for per-host rows.
    pub conn: Option<u32>,
    pub metric: SeriesMetric,
    /// For `state` rows the state; for `sockets` rows the state counted.
    pub state: Option<State>,
    pub value: f64,
}

impl SeriesRow {
    /// The metric as `series.csv` names it (`sockets:TIME-WAIT` for socket counts).
    pub fn metric_name(&self) -> String {
        match (self.metric, self.state) {
            (SeriesMetric::Sockets, Some(s)) => format!("sockets:{s}"),
            (m, _) => m.name().to_string(),
        }
    }
}

/// The rows recorded so far and what change-driven series remember.
pub(super) struct Recorder {
    specs: Vec<SeriesSpec>,
    pub(super) rows: Vec<SeriesRow>,
    /// Sockets per (host, state index).
    sockets: Vec<[u64; STATES]>,
    /// Per connection id: the values change-driven series recorded last (NaN: none yet),
    /// and the flow they belong to (ids are reused by later connections).
    last: Vec<(u32, [f64; 5])>,
}

const STATES: usize = 11;

fn state_index(s: State) -> usize {
    s as usize
}

impl Recorder {
    pub(super) fn new(specs: &[SeriesSpec], hosts: usize) -> Option<Recorder> {
        (!specs.is_empty()).then(|| Recorder {
            specs: specs.to_vec(),
            rows: Vec::new(),
            sockets: vec![[0; STATES]; hosts],
            last: Vec::new(),
        })
    }

    fn wants(spec: &SeriesSpec, host: u32) -> bool {
        spec.host.is_none_or(|h| h == host as usize)
    }

    /// After anything touched connection `id` (of `flow`, on `host`): change-driven rows.
    pub(super) fn connection(&mut self, now: Time, id: u32, host: u32, flow: u32, c: &Connection) {
        let id = id as usize;
        if self.last.len() <= id {
            self.last.resize(id + 1, (NO_CONN, [f64::NAN; 5]));
        }
        let (owner, last) = &mut self.last[id];
        if *owner != flow {
            *owner = flow;
            *last = [f64::NAN; 5];
        }
        for spec in &self.specs {
            let (Some(slot), None) = (spec.metric.slot(), spec.every) else {
                continue;
            };
            if !Recorder::wants(spec, host) {
                continue;
            }
            if let Some(v) = spec.metric.of(c) {
                if v != last[slot] {
                    last[slot] = v;
                    self.rows.push(SeriesRow {
                        t: now,
                        host,
                        conn: Some(flow),
                        metric: spec.metric,
                        state: None,
                        value: v,
                    });
                }
            }
        }
    }

    /// A connection of `flow` on `host` moved from `from` to `to`.
    pub(super) fn state(&mut self, now: Time, host: u32, flow: u32, from: State, to: State) {
        let counts = &mut self.sockets[host as usize];
        counts[state_index(from)] = counts[state_index(from)].saturating_sub(1);
        counts[state_index(to)] += 1;
        for spec in &self.specs {
            if spec.every.is_some() || !Recorder::wants(spec, host) {
                continue;
            }
            match spec.metric {
                SeriesMetric::State if flow != NO_CONN => self.rows.push(SeriesRow {
                    t: now,
                    host,
                    conn: Some(flow),
                    metric: SeriesMetric::State,
                    state: Some(to),
                    value: state_index(to) as f64,
                }),
                SeriesMetric::Sockets => {
                    for s in [from, to] {
                        self.rows.push(SeriesRow {
                            t: now,
                            host,
                            conn: None,
                            metric: SeriesMetric::Sockets,
                            state: Some(s),
                            value: counts[state_index(s)] as f64,
                        });
                    }
                }
                _ => {}
            }
        }
    }

    /// Periodic series: when each first samples.
    pub(super) fn periodic(&self) -> impl Iterator<Item = (u32, Duration)> + '_ {
        self.specs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.every.map(|e| (i as u32, e)))
    }
}

impl World {
    /// Periodic series `i` samples now and plans its next sample.
    pub(super) fn sample(&mut self, now: Time, i: u32) {
        let Some(rec) = &mut self.recorder else {
            return;
        };
        let spec = rec.specs[i as usize].clone();
        match spec.metric {
            SeriesMetric::Sockets => {
                for (host, counts) in rec.sockets.iter().enumerate() {
                    if !Recorder::wants(&spec, host as u32) {
                        continue;
                    }
                    for (s, &n) in State::ALL.iter().zip(counts.iter()) {
                        rec.rows.push(SeriesRow {
                            t: now,
                            host: host as u32,
                            conn: None,
                            metric: SeriesMetric::Sockets,
                            state: Some(*s),
                            value: n as f64,
                        });
                    }
                }
            }
            metric => {
                for (host, flow, c) in self.tcp.live_connections() {
                    if !Recorder::wants(&spec, host) {
                        continue;
                    }
                    let (value, state) = match metric {
                        SeriesMetric::State => (state_index(c.state()) as f64, Some(c.state())),
                        m => match m.of(c) {
                            Some(v) => (v, None),
                            None => continue,
                        },
                    };
                    rec.rows.push(SeriesRow {
                        t: now,
                        host,
                        conn: Some(flow),
                        metric,
                        state,
                        value,
                    });
                }
            }
        }
        let every = spec.every.expect("periodic series have a period");
        if now + every <= self.end {
            self.sched.schedule_in(every, Event::Sample(i));
        }
    }
}
