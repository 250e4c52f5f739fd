//! A traced run is never held whole (issue 14): every view of a long run — JSON lines, the
//! capture, the states, one connection's ladder — is made in a small fraction of the memory
//! its records would take. Heap use is measured by this test binary's allocator, so this file
//! holds one test: nothing else allocates while it measures.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use synack_report::ladder::LadderOptions;
use synack_report::run::trace_point;
use synack_report::view::{self, View};
use synack_world::trace::{Names, Seen, Sink};

/// The system allocator, keeping the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most heap in use at once while `f` runs, above what was in use before it.
fn peak_while(f: impl FnOnce()) -> usize {
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - before
}

/// Counts the bytes written to it, and drops them.
struct Bytes(u64);

impl Write for Bytes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Counts a run's records.
struct Records(u64);

impl Sink for Records {
    fn see(&mut self, _: Seen<'_>) -> std::ops::ControlFlow<()> {
        self.0 += 1;
        std::ops::ControlFlow::Continue(())
    }
}

#[test]
fn every_view_of_a_long_run_takes_a_fraction_of_its_records_memory() {
    // Churn: 10,000 short connections a second for 1 s, each a handful of segments.
    let plan = common::plan(
        &common::experiment_text("churn.toml").replace("duration = \"10s\"", "duration = \"1s\""),
    );
    let point = &plan.points[0];
    let names = Names::of(&point.world);
    let mut records = Records(0);
    trace_point(point, plan.seed, 0, &mut records);
    let records = records.0;
    // What holding them would take: a trace keeps 64 bytes a record, at the least.
    let held = records as usize * 64;
    assert!(records > 100_000, "{records} records");
    // What the run takes untraced: its hosts, sockets, events, flows.
    let alone = peak_while(|| {
        synack_world::World::new(&point.world, synack_world::seeds::run_seed(plan.seed, 0, 0))
            .run();
    });
    let options = LadderOptions::default();
    for v in [View::Jsonl, View::Pcap, View::States, View::Ladder] {
        let mut out = Bytes(0);
        let peak = peak_while(|| {
            let play = |sink: &mut dyn Sink| {
                trace_point(point, plan.seed, 0, sink);
            };
            view::write(v, &names, play, None, &options, &mut out).unwrap();
        });
        assert!(out.0 > 0, "{v:?} wrote nothing");
        eprintln!(
            "{v:?}: {peak} bytes at most ({alone} untraced), {} bytes written, {records} records",
            out.0
        );
        assert!(
            peak.saturating_sub(alone) * 8 < held,
            "{v:?}: {peak} bytes at most in use ({alone} untraced), for {records} records \
             ({held} bytes held)"
        );
    }
}
