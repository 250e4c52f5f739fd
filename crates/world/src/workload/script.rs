//! The `script` workload: raw segments at given times, outside any connection.

use synack_experiment::spec::{ScriptSpec, ScriptedSegment};
use synack_sim::Duration;

use super::Action;
use crate::ids::{Addr, HostId};

pub(crate) struct Script {
    segments: Vec<ScriptedSegment>,
}

impl Script {
    pub fn new(spec: &ScriptSpec) -> Script {
        Script {
            segments: spec.segments.clone(),
        }
    }

    /// Every segment due by the end of the run (`at` = the end included), each its own step.
    pub fn first(&self, duration: Duration) -> Vec<(Duration, u32)> {
        (self.segments.iter().enumerate())
            .filter(|(_, s)| s.at <= duration)
            .map(|(i, s)| (s.at, i as u32))
            .collect()
    }

    pub fn fire(&self, step: u32) -> Action {
        let s = &self.segments[step as usize];
        Action::Segment {
            from: Addr::Host(HostId(s.from as u32)),
            to: Addr::Host(HostId(s.to as u32)),
            seg: s.seg,
        }
    }
}
