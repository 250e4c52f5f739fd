//! Recording `[[series]]`: connection quantities and per-host socket counts over time.
//!
//! Nothing here runs unless the experiment asks for a series. A series without `every`
//! records a row whenever its value changes (after each segment, timer or application call
//! that touched the connection); with `every` it samples every connection (or host) at that
//! period. The initial "infinite" ssthresh is not recorded (there is no number to draw).

use std::sync::Arc;

use synack_link::Channel;
use synack_sim::{Duration, Time};
use synack_tcp::{Connection, State};

use synack_experiment::spec::{SeriesMetric, SeriesSpec};

use crate::host::ConnRef;
use crate::ids::{FlowId, HostId};
use crate::{Event, World};

/// One row of `series.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesRow {
    pub t: Time,
    pub host: HostId,
    /// The connection (flow) number, or none for per-host rows.
    pub conn: Option<FlowId>,
    pub metric: SeriesMetric,
    /// For `state` rows the state; for `sockets` rows the state counted.
    pub state: Option<State>,
    /// For `queue` and `queue_delay` rows, the link (whose direction `host` sends on).
    pub link: Option<Arc<str>>,
    pub value: f64,
}

impl SeriesRow {
    /// The metric as `series.csv` names it (`sockets:TIME-WAIT` for socket counts).
    pub fn metric_name(&self) -> String {
        match (self.metric, self.state) {
            (SeriesMetric::Sockets, Some(s)) => format!("sockets:{s}"),
            (m, _) => match &self.link {
                Some(link) => format!("{}:{link}", m.name()),
                None => m.name().to_string(),
            },
        }
    }
}

/// The rows recorded so far and what change-driven series remember.
pub(super) struct Recorder {
    specs: Vec<SeriesSpec>,
    pub(super) rows: Vec<SeriesRow>,
    /// Sockets per (host, state index).
    sockets: Vec<[u64; STATES]>,
    /// Per host and connection slot: the values change-driven series recorded last (NaN:
    /// none yet), and the flow they belong to (slots are reused by later connections).
    last: Vec<Vec<(Option<FlowId>, [f64; 5])>>,
    /// Per channel: its link's name and sending host, and the `queue` and `queue_delay`
    /// values change-driven series recorded last (NaN: none yet).
    channels: Vec<(Arc<str>, HostId, [f64; 2])>,
    /// A change-driven `queue` or `queue_delay` series is recorded.
    per_packet: bool,
}

const STATES: usize = 11;

fn state_index(s: State) -> usize {
    s as usize
}

impl Recorder {
    /// `channels`: each channel's link name and sending host, by channel index.
    pub(super) fn new(
        specs: &[SeriesSpec],
        hosts: usize,
        channels: Vec<(Arc<str>, HostId)>,
    ) -> Option<Recorder> {
        (!specs.is_empty()).then(|| Recorder {
            specs: specs.to_vec(),
            rows: Vec::new(),
            sockets: vec![[0; STATES]; hosts],
            last: vec![Vec::new(); hosts],
            channels: channels
                .into_iter()
                .map(|(link, host)| (link, host, [f64::NAN; 2]))
                .collect(),
            per_packet: specs
                .iter()
                .any(|s| s.metric.per_link() && s.every.is_none()),
        })
    }

    /// After a packet was handed to channel `index`: change-driven queue rows.
    pub(super) fn packet(&mut self, now: Time, index: u32, channel: &Channel) {
        if !self.per_packet || channel.params().bandwidth_bps.is_none() {
            return;
        }
        let (link, host, last) = &mut self.channels[index as usize];
        for spec in &self.specs {
            if spec.every.is_some() || !Recorder::wants(spec, *host) {
                continue;
            }
            let (slot, value) = match spec.metric {
                SeriesMetric::Queue => (0, channel.queue_len(now) as f64),
                SeriesMetric::QueueDelay => match channel.last_wait() {
                    Some(wait) => (1, wait.as_secs_f64()),
                    None => continue,
                },
                _ => continue,
            };
            if value != last[slot] {
                last[slot] = value;
                self.rows.push(SeriesRow {
                    t: now,
                    host: *host,
                    conn: None,
                    metric: spec.metric,
                    state: None,
                    link: Some(link.clone()),
                    value,
                });
            }
        }
    }

    fn wants(spec: &SeriesSpec, host: HostId) -> bool {
        spec.host.is_none_or(|h| h == host.0 as usize)
    }

    /// After anything touched connection `at` (of `flow`): change-driven rows.
    pub(super) fn connection(&mut self, now: Time, at: ConnRef, flow: FlowId, c: &Connection) {
        let (host, id) = (at.host, at.id.index());
        let slots = &mut self.last[host.0 as usize];
        if slots.len() <= id {
            slots.resize(id + 1, (None, [f64::NAN; 5]));
        }
        let (owner, last) = &mut slots[id];
        if *owner != Some(flow) {
            *owner = Some(flow);
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
                        link: None,
                        value: v,
                    });
                }
            }
        }
    }

    /// A connection of `flow` on `host` moved from `from` to `to`.
    pub(super) fn state(&mut self, now: Time, host: HostId, flow: FlowId, from: State, to: State) {
        let counts = &mut self.sockets[host.0 as usize];
        counts[state_index(from)] = counts[state_index(from)].saturating_sub(1);
        counts[state_index(to)] += 1;
        for spec in &self.specs {
            if spec.every.is_some() || !Recorder::wants(spec, host) {
                continue;
            }
            match spec.metric {
                SeriesMetric::State => self.rows.push(SeriesRow {
                    t: now,
                    host,
                    conn: Some(flow),
                    metric: SeriesMetric::State,
                    state: Some(to),
                    link: None,
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
                            link: None,
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

impl World<'_> {
    /// Periodic series `i` samples now and plans its next sample.
    pub(super) fn sample(&mut self, now: Time, i: u32) {
        let Some(rec) = &mut self.recorder else {
            return;
        };
        let spec = rec.specs[i as usize].clone();
        match spec.metric {
            SeriesMetric::Sockets => {
                for (host, counts) in rec.sockets.iter().enumerate() {
                    let host = HostId(host as u32);
                    if !Recorder::wants(&spec, host) {
                        continue;
                    }
                    for (s, &n) in State::ALL.iter().zip(counts.iter()) {
                        rec.rows.push(SeriesRow {
                            t: now,
                            host,
                            conn: None,
                            metric: SeriesMetric::Sockets,
                            state: Some(*s),
                            link: None,
                            value: n as f64,
                        });
                    }
                }
            }
            metric if metric.per_link() => {
                for (i, channel) in self.channels.iter().enumerate() {
                    let (link, host, _) = &rec.channels[i];
                    if channel.params().bandwidth_bps.is_none() || !Recorder::wants(&spec, *host) {
                        continue;
                    }
                    let value = match metric {
                        SeriesMetric::Queue => channel.queue_len(now) as f64,
                        _ => channel.queue_wait(now).as_secs_f64(),
                    };
                    rec.rows.push(SeriesRow {
                        t: now,
                        host: *host,
                        conn: None,
                        metric,
                        state: None,
                        link: Some(link.clone()),
                        value,
                    });
                }
            }
            metric => {
                let live = self.hosts.iter().enumerate().flat_map(|(h, host)| {
                    host.stack.connections().map(move |(_, c, tag)| (h, c, tag))
                });
                for (host, c, tag) in live {
                    let host = HostId(host as u32);
                    let Some(owner) = tag else { continue };
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
                        conn: Some(owner.flow),
                        metric,
                        state,
                        link: None,
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
