//! Paper-ready line charts for synack results, as PNG and SVG.
//!
//! This crate knows nothing of experiments: the caller turns `summary.csv` into a
//! [`Chart`] — measured [`Series`] with 95 % confidence half-widths, and model
//! [`Reference`] curves — and asks for a file. Every chart has the same look: white
//! background, light grid, a full frame, outward ticks, a bold title, a ten-colour palette
//! (Okabe–Ito and three of Tol's) with one marker shape per series and dash patterns once
//! colours repeat, error bars with caps, lines joining the markers of a sweep (steps for a
//! [`SeriesStyle::Step`] series, nothing for a [`SeriesStyle::Points`] one; markers only on
//! sparse series), dashed references and a framed legend in an inner corner that covers no
//! data, or beside the plot when every corner would.
//!
//! # Choices
//!
//! - **plotters is used as a canvas only.** Ticks, labels, layout and legend are ours
//!   (see the `axis` and `draw` modules): plotters' defaults print float noise such as
//!   `0.30000000000000004`, place log ticks arbitrarily and cannot show dashed legend
//!   samples.
//! - **No system fonts.** Text is rasterised by plotters' `ab_glyph` backend from an
//!   embedded, subset DejaVu Sans (see the `font` module and `assets/`), so a machine with
//!   only the Rust toolchain builds and renders identically. SVG text names the family with
//!   CSS fallbacks and needs no font file.
//! - **PNG is supersampled.** plotters' bitmap backend draws lines and shapes without
//!   anti-aliasing, so the chart is drawn at twice the size and averaged down 2 × 2, then
//!   encoded with the `png` crate ([`PNG_SIZE`] pixels). SVG is drawn at the same design
//!   size, so both outputs look alike.
//! - **Bad data never panics.** NaN, infinite and (on log axes) non-positive values are
//!   skipped and break the line where they were; empty series, empty charts, single points
//!   and all-equal values all draw (see the `prepare` module for the exact rules).
//! - **No files.** A chart is rendered in memory and returned as bytes ([`png_bytes`],
//!   [`svg_string`]); the caller writes them. synack-report writes every file of synack with
//!   one atomic writer (`synack_report::files`), charts included.
//!
//! # Example
//!
//! ```
//! use synack_plot::{png_bytes, svg_string, Chart, Point, Reference, Series, SeriesStyle};
//!
//! let chart = Chart {
//!     title: "Goodput against loss".into(),
//!     x_label: "configured loss (probability)".into(),
//!     y_label: "goodput (bit/s)".into(),
//!     log_x: true,
//!     log_y: true,
//!     series: vec![
//!         Series {
//!             label: "newreno".into(),
//!             points: vec![Point::new(1e-4, 9.1e7, 2e6), Point::new(1e-2, 8.0e6, 5e5)],
//!             style: SeriesStyle::Line,
//!         },
//!         Series {
//!             label: "Linux, measured".into(),
//!             points: vec![Point::new(1e-3, 2.9e7, 3e6)],
//!             style: SeriesStyle::Points,
//!         },
//!     ],
//!     references: vec![Reference {
//!         label: "Mathis et al.".into(),
//!         points: vec![(1e-4, 1.4e8), (1e-2, 1.4e7)],
//!     }],
//! };
//! let png: Vec<u8> = png_bytes(&chart)?;
//! let svg: String = svg_string(&chart)?;
//! # Ok::<(), synack_plot::PlotError>(())
//! ```

use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};

mod axis;
mod draw;
mod font;
mod prepare;
mod style;

use draw::Surface;

/// A joined series with more points than this is drawn without markers.
pub const MARKERS_UP_TO: usize = 40;

/// Width and height of the PNG files, in pixels.
pub const PNG_SIZE: (u32, u32) = (style::size::WIDTH, style::size::HEIGHT);

/// One chart: axes, measured series and reference curves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chart {
    /// Drawn bold above the plot; empty for none.
    pub title: String,
    /// Axis title with its unit, e.g. "configured loss (probability)".
    pub x_label: String,
    /// Axis title with its unit, e.g. "goodput (bit/s)".
    pub y_label: String,
    /// Logarithmic x axis; points with x ≤ 0 are skipped.
    pub log_x: bool,
    /// Logarithmic y axis; points with y ≤ 0 are skipped.
    pub log_y: bool,
    /// Measured series: markers with 95 % confidence bars, joined by a line unless the
    /// series is [`SeriesStyle::Points`].
    pub series: Vec<Series>,
    /// Model or theory curves: dashed lines without markers, listed in the legend.
    pub references: Vec<Reference>,
}

/// A measured series. Points may come in any order; they are drawn sorted by x.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Legend text; an empty label keeps the series out of the legend.
    pub label: String,
    pub points: Vec<Point>,
    /// Joined by a line, or markers alone.
    pub style: SeriesStyle,
}

/// How a series is drawn. Each point has its confidence bar, and its marker while the
/// series is sparse (at most [`MARKERS_UP_TO`] points; beyond that markers would merge into
/// a blob and only the line is drawn).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SeriesStyle {
    /// Markers joined by a line: a sweep, where the points are samples of one function.
    #[default]
    Line,
    /// Markers alone: points measured elsewhere (say, on a real system) set beside the
    /// lines, which a line through them would make look like one more sweep.
    Points,
    /// Markers joined by steps: each value holds until the next point (a count of sockets,
    /// ssthresh, a state: quantities that change at instants, not gradually).
    Step,
}

/// A measured value with the half-width of its 95 % confidence interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    /// Half-width of the 95 % confidence interval; 0 (or NaN) draws no bar.
    pub ci95: f64,
    /// The least value the quantity can take, if it has one (0 for a count, a time, a
    /// rate): the bar is not drawn below it, though the interval's half-width says so.
    pub floor: Option<f64>,
}

impl Point {
    pub fn new(x: f64, y: f64, ci95: f64) -> Point {
        Point {
            x,
            y,
            ci95,
            floor: None,
        }
    }

    /// The point of a quantity that cannot be negative: its bar stops at 0.
    pub fn non_negative(self) -> Point {
        Point {
            floor: Some(0.0),
            ..self
        }
    }
}

/// A model curve, e.g. the Mathis et al. throughput bound. Drawn sorted by x.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reference {
    /// Legend text; an empty label keeps the curve out of the legend.
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// plotters reported a drawing failure.
    #[error("cannot draw chart: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("cannot encode PNG: {0}")]
    Encode(String),
    /// The embedded font did not parse (a broken build, not bad input).
    #[error("the embedded font could not be loaded")]
    Font,
}

/// `chart` as a PNG file of [`PNG_SIZE`] pixels.
pub fn png_bytes(chart: &Chart) -> Result<Vec<u8>, PlotError> {
    font::ensure_registered()?;
    let (width, height) = PNG_SIZE;
    let (big_w, big_h) = (width * draw::SUPERSAMPLE, height * draw::SUPERSAMPLE);
    let mut big = vec![0u8; (big_w * big_h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut big, (big_w, big_h)).into_drawing_area();
        draw::draw(&root, chart, Surface::BITMAP)?;
    }
    let small = downsample(&big, big_w as usize);
    encode_png(&small, width, height)
}

/// The SVG document for `chart`.
pub fn svg_string(chart: &Chart) -> Result<String, PlotError> {
    font::ensure_registered()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, PNG_SIZE).into_drawing_area();
        draw::draw(&root, chart, Surface::SVG)?;
    }
    Ok(svg)
}

// `downsample` is written for 2 × 2 blocks.
const _: () = assert!(draw::SUPERSAMPLE == 2);

/// Averages each 2 × 2 block of an RGB image `width` pixels wide.
fn downsample(rgb: &[u8], width: usize) -> Vec<u8> {
    let row = width * 3;
    let mut out = Vec::with_capacity(rgb.len() / 4);
    for rows in rgb.chunks_exact(row * 2) {
        let (upper, lower) = rows.split_at(row);
        for (a, b) in upper.chunks_exact(6).zip(lower.chunks_exact(6)) {
            for c in 0..3 {
                let sum =
                    u16::from(a[c]) + u16::from(a[c + 3]) + u16::from(b[c]) + u16::from(b[c + 3]);
                out.push(((sum + 2) / 4) as u8);
            }
        }
    }
    out
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let encode_err = |e: png::EncodingError| PlotError::Encode(e.to_string());
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(encode_err)?;
    writer.write_image_data(rgb).map_err(encode_err)?;
    writer.finish().map_err(encode_err)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_averages_blocks() {
        // 4 × 2 pixels: a black and a white 2 × 2 block side by side.
        let mut rgb = Vec::new();
        for _ in 0..2 {
            rgb.extend([0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
        }
        assert_eq!(downsample(&rgb, 4), [0, 0, 0, 255, 255, 255]);
        let gray = [10, 20, 30, 30, 40, 50, 50, 60, 70, 70, 80, 90];
        assert_eq!(downsample(&gray, 2), [40, 50, 60]);
    }
}
