//! The look: colours, marker shapes, line patterns and sizes.
//!
//! Colours are the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008), which
//! stays distinguishable under the common colour-vision deficiencies and in greyscale
//! print better than most defaults, followed by three dark colours of Paul Tol's muted
//! scheme (wine, indigo, olive) for ten. Yellow is left out: it vanishes on white. Each
//! series also gets its own marker shape, so the chart survives black-and-white printing.
//! Past ten series the colours repeat with a dash pattern, so the first 40 series all
//! differ in colour or line. References (model curves) are dashed, start in black and use
//! their own dash patterns.
//!
//! Sizes are in "design pixels" of a 1200 × 800 canvas and multiplied by the render
//! scale (2 for the supersampled PNG, 1 for SVG).

use plotters::style::RGBColor;

/// Okabe–Ito without yellow, in an order that keeps neighbours far apart, then Tol's wine,
/// indigo and olive.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0x88, 0x22, 0x55), // wine
    RGBColor(0x33, 0x22, 0x88), // indigo
    RGBColor(0x99, 0x99, 0x33), // olive
];

/// Colours of reference curves: black, dark grey, then the palette from its end.
pub(crate) fn reference_color(i: usize) -> RGBColor {
    const FIRST: [RGBColor; 2] = [RGBColor(0x22, 0x22, 0x22), RGBColor(0x80, 0x80, 0x80)];
    match FIRST.get(i) {
        Some(&c) => c,
        None => PALETTE[PALETTE.len() - 1 - (i - FIRST.len()) % PALETTE.len()],
    }
}

/// (dash, gap) lengths in design pixels for the i-th reference.
pub(crate) fn reference_dash(i: usize) -> (f64, f64) {
    const DASHES: [(f64, f64); 3] = [(12.0, 7.0), (5.0, 5.0), (20.0, 6.0)];
    DASHES[i % DASHES.len()]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Cross,
    Plus,
    Pentagon,
}

const MARKERS: [Marker; 8] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Cross,
    Marker::Plus,
    Marker::Pentagon,
];

/// Colour and marker of the i-th series, and its (dash, gap) pattern in design pixels once
/// the palette has gone round (solid before).
pub(crate) fn series_style(i: usize) -> (RGBColor, Marker, Option<(f64, f64)>) {
    const DASHES: [(f64, f64); 3] = [(14.0, 6.0), (4.0, 4.0), (20.0, 5.0)];
    let color = PALETTE[i % PALETTE.len()];
    let marker = MARKERS[i % MARKERS.len()];
    let round = i / PALETTE.len();
    let dash = round.checked_sub(1).map(|r| DASHES[r % DASHES.len()]);
    (color, marker, dash)
}

/// Sizes in design pixels.
pub(crate) mod size {
    pub const WIDTH: u32 = 1200;
    pub const HEIGHT: u32 = 800;
    pub const MARGIN: f64 = 22.0;
    pub const TITLE_FONT: f64 = 30.0;
    pub const AXIS_TITLE_FONT: f64 = 23.0;
    pub const TICK_FONT: f64 = 20.0;
    pub const LEGEND_FONT: f64 = 20.0;
    pub const TICK_LENGTH: f64 = 7.0;
    pub const GAP: f64 = 10.0;
    pub const LINE_WIDTH: f64 = 2.5;
    pub const REFERENCE_WIDTH: f64 = 2.2;
    pub const MARKER_RADIUS: f64 = 6.0;
    pub const BAR_WIDTH: f64 = 1.6;
    pub const CAP_HALF_WIDTH: f64 = 5.0;
    pub const GRID_WIDTH: f64 = 1.0;
    pub const FRAME_WIDTH: f64 = 1.4;
    pub const LEGEND_SAMPLE: f64 = 44.0;
    pub const LEGEND_PAD: f64 = 12.0;
    pub const LEGEND_INSET: f64 = 12.0;
}
