//! Cleaning the caller's data into what can be drawn.
//!
//! Rules, in order:
//!
//! 1. A point whose x cannot be placed (NaN, ±∞, |x| > 10³⁰⁰, or, on a log axis, x < 10⁻³⁰⁰,
//!    zero and negatives included) is dropped: it has no position, so dropping it bridges
//!    nothing.
//! 2. The rest are sorted by x (stable), because a sweep is a function of its parameter and
//!    callers should not have to pre-sort rows read from a CSV.
//! 3. A point whose y cannot be placed (same tests) is a gap: the line stops before it and
//!    starts again after it, as matplotlib does with NaN and masked log values. A missing
//!    measurement is never interpolated across.
//! 4. A confidence half-width that is NaN, infinite or negative counts as 0 (no bar). On a
//!    log y axis a bar whose lower end is ≤ 0 runs down to the bottom of the axis and has no
//!    lower cap, and its lower end does not widen the axis.

use crate::axis::Axis;
use crate::{Chart, Point, Series, SeriesStyle};

/// Magnitudes beyond this are treated as unplottable (their spans would overflow).
const MAX_MAGNITUDE: f64 = 1e300;

/// A measured series ready to draw: its line pieces and its markers with their bars.
#[derive(Debug, Clone)]
pub(crate) struct CleanSeries {
    /// Runs of consecutive drawable points, in x order (with the corners of its steps for
    /// a step series); none for a series of points alone.
    pub segments: Vec<Vec<(f64, f64)>>,
    /// Every drawable point with its (clamped) bar.
    pub points: Vec<CleanPoint>,
    /// Whether the points get markers (a series of points alone, or a sparse one).
    pub markers: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct CleanPoint {
    pub x: f64,
    pub y: f64,
    /// The bar's ends, if the point has one. `low` is `None` when it falls off a log axis.
    pub bar: Option<(Option<f64>, f64)>,
}

/// A reference curve ready to draw.
#[derive(Debug, Clone)]
pub(crate) struct CleanReference {
    pub segments: Vec<Vec<(f64, f64)>>,
}

/// Everything the drawing code needs: clean data and the two axes.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub series: Vec<CleanSeries>,
    pub references: Vec<CleanReference>,
    pub x: Axis,
    pub y: Axis,
}

impl Prepared {
    pub fn new(chart: &Chart) -> Prepared {
        let (log_x, log_y) = (chart.log_x, chart.log_y);
        let series: Vec<CleanSeries> = chart
            .series
            .iter()
            .map(|s| clean_series(s, log_x, log_y))
            .collect();
        let references: Vec<CleanReference> = chart
            .references
            .iter()
            .map(|r| CleanReference {
                segments: segments(r.points.iter().copied(), log_x, log_y),
            })
            .collect();
        let reference_points = || references.iter().flat_map(|r| r.segments.iter().flatten());
        let x = Axis::fit(
            series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.x))
                .chain(reference_points().map(|p| p.0)),
            log_x,
        );
        let y = Axis::fit(
            series
                .iter()
                .flat_map(|s| s.points.iter())
                .flat_map(|p| {
                    let (low, high) = match p.bar {
                        Some((low, high)) => (low, Some(high)),
                        None => (None, None),
                    };
                    [Some(p.y), low, high].into_iter().flatten()
                })
                .chain(reference_points().map(|p| p.1)),
            log_y,
        );
        Prepared {
            series,
            references,
            x,
            y,
        }
    }

    /// True when nothing at all can be drawn.
    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.points.is_empty())
            && self.references.iter().all(|r| r.segments.is_empty())
    }
}

/// Can `v` sit on an axis of this kind?
pub(crate) fn placeable(v: f64, log: bool) -> bool {
    v.is_finite() && v.abs() <= MAX_MAGNITUDE && (!log || v >= 1.0 / MAX_MAGNITUDE)
}

fn clean_series(series: &Series, log_x: bool, log_y: bool) -> CleanSeries {
    let mut sorted: Vec<Point> = series
        .points
        .iter()
        .copied()
        .filter(|p| placeable(p.x, log_x))
        .collect();
    sorted.sort_by(|a, b| a.x.total_cmp(&b.x));
    let clean: Vec<CleanPoint> = sorted
        .iter()
        .filter(|p| placeable(p.y, log_y))
        .map(|p| CleanPoint {
            x: p.x,
            y: p.y,
            bar: bar(p.y, p.ci95, p.floor, log_y),
        })
        .collect();
    let joined = || segments(sorted.iter().map(|p| (p.x, p.y)), log_x, log_y);
    CleanSeries {
        segments: match series.style {
            SeriesStyle::Line => joined(),
            SeriesStyle::Step => joined().into_iter().map(steps).collect(),
            SeriesStyle::Points => Vec::new(),
        },
        markers: series.style == SeriesStyle::Points || clean.len() <= crate::MARKERS_UP_TO,
        points: clean,
    }
}

/// A run of points as a step function: each value holds until the next point's x.
fn steps(run: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(run.len() * 2);
    for (i, &(x, y)) in run.iter().enumerate() {
        if i > 0 {
            out.push((x, run[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

/// The ends of a confidence bar around `y`, not below `floor`, or `None` for no bar.
fn bar(y: f64, ci95: f64, floor: Option<f64>, log_y: bool) -> Option<(Option<f64>, f64)> {
    if !(ci95.is_finite() && ci95 > 0.0) {
        return None;
    }
    let (low, high) = (y - ci95, y + ci95);
    let low = floor.map_or(low, |f| low.max(f));
    if !placeable(high, log_y) {
        return None;
    }
    Some((placeable(low, log_y).then_some(low), high))
}

/// Splits a curve into runs of drawable points, sorted by x, breaking at unplaceable y.
fn segments(
    points: impl Iterator<Item = (f64, f64)>,
    log_x: bool,
    log_y: bool,
) -> Vec<Vec<(f64, f64)>> {
    let mut sorted: Vec<(f64, f64)> = points.filter(|p| placeable(p.0, log_x)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut runs = Vec::new();
    let mut run = Vec::new();
    for (x, y) in sorted {
        if placeable(y, log_y) {
            run.push((x, y));
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reference;

    fn chart(points: Vec<Point>, log_y: bool) -> Chart {
        Chart {
            log_y,
            series: vec![Series {
                label: "s".into(),
                points,
                style: SeriesStyle::Line,
            }],
            ..Chart::default()
        }
    }

    #[test]
    fn gaps_break_lines_and_points_are_sorted() {
        let c = chart(
            vec![
                Point::new(3.0, 3.0, 0.0),
                Point::new(1.0, 1.0, 0.0),
                Point::new(2.0, f64::NAN, 0.0),
                Point::new(f64::INFINITY, 1.0, 0.0),
                Point::new(4.0, 4.0, 0.0),
            ],
            false,
        );
        let p = Prepared::new(&c);
        assert_eq!(
            p.series[0].segments,
            vec![vec![(1.0, 1.0)], vec![(3.0, 3.0), (4.0, 4.0)]]
        );
        assert_eq!(p.series[0].points.len(), 3);
    }

    #[test]
    fn log_axes_drop_non_positive_values_and_clamp_bars() {
        let c = chart(
            vec![
                Point::new(1.0, 0.0, 0.0),
                Point::new(2.0, 10.0, 20.0),
                Point::new(3.0, 100.0, f64::NAN),
            ],
            true,
        );
        let p = Prepared::new(&c);
        let s = &p.series[0];
        assert_eq!(s.points.len(), 2);
        assert_eq!(s.points[0].bar, Some((None, 30.0)));
        assert!(s.points[1].bar.is_none());
        assert!(p.y.ticks.iter().all(|t| t.value > 0.0));
    }

    #[test]
    fn bars_of_non_negative_quantities_stop_at_zero() {
        let c = chart(
            vec![
                Point::new(1.0, 0.5, 2.0).non_negative(),
                Point::new(2.0, 3.0, 1.0).non_negative(),
                Point::new(3.0, 0.5, 2.0),
            ],
            false,
        );
        let p = Prepared::new(&c);
        let bars: Vec<_> = p.series[0].points.iter().map(|p| p.bar).collect();
        assert_eq!(
            bars,
            [
                Some((Some(0.0), 2.5)),
                Some((Some(2.0), 4.0)),
                Some((Some(-1.5), 2.5))
            ]
        );
        assert!(p.y.ticks.iter().all(|t| t.value >= -1.5));
    }

    #[test]
    fn points_alone_have_markers_and_no_line() {
        let mut c = chart(
            vec![
                Point::new(2.0, 4.0, 1.0),
                Point::new(1.0, 1.0, 0.0),
                Point::new(3.0, 9.0, 0.0),
            ],
            false,
        );
        c.series[0].style = SeriesStyle::Points;
        let p = Prepared::new(&c);
        assert!(p.series[0].segments.is_empty());
        let xs: Vec<f64> = p.series[0].points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [1.0, 2.0, 3.0]);
        assert_eq!(p.series[0].points[1].bar, Some((Some(3.0), 5.0)));
    }

    #[test]
    fn empty_input_is_empty() {
        let mut c = chart(vec![Point::new(f64::NAN, 1.0, 0.0)], false);
        c.references.push(Reference {
            label: "r".into(),
            points: vec![(1.0, f64::NAN)],
        });
        assert!(Prepared::new(&c).is_empty());
        assert!(Prepared::new(&Chart::default()).is_empty());
    }

    #[test]
    fn a_step_series_holds_each_value_until_the_next_point() {
        let mut c = chart(
            vec![
                Point::new(2.0, 5.0, 0.0),
                Point::new(0.0, 1.0, 0.0),
                Point::new(1.0, 3.0, 0.0),
            ],
            false,
        );
        c.series[0].style = SeriesStyle::Step;
        let p = Prepared::new(&c);
        assert_eq!(
            p.series[0].segments,
            [vec![
                (0.0, 1.0),
                (1.0, 1.0),
                (1.0, 3.0),
                (2.0, 3.0),
                (2.0, 5.0)
            ]]
        );
    }

    #[test]
    fn dense_series_have_no_markers() {
        let points = |n: usize| (0..n).map(|i| Point::new(i as f64, 1.0, 0.0)).collect();
        let sparse = Prepared::new(&chart(points(crate::MARKERS_UP_TO), false));
        assert!(sparse.series[0].markers);
        let dense = Prepared::new(&chart(points(crate::MARKERS_UP_TO + 1), false));
        assert!(!dense.series[0].markers);
        let mut c = chart(points(crate::MARKERS_UP_TO + 1), false);
        c.series[0].style = SeriesStyle::Points;
        assert!(
            Prepared::new(&c).series[0].markers,
            "points alone keep theirs"
        );
    }
}
