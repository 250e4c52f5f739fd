//! Laying out and drawing one chart on any plotters backend.
//!
//! plotters' `ChartBuilder` sizes label areas by guesses, draws only the left and bottom
//! axis lines, formats ticks with `Debug` and offers a legend without dashed samples. This
//! module does the layout itself, with plotters only as a canvas: it measures the tick
//! labels with the embedded font, sizes the margins to fit them, and draws in this order:
//! grid, references, error bars, lines, markers, frame, ticks and labels, titles, legend.
//! Data is drawn on a sub-area the size of the plot box; the axes are fitted to the data,
//! so nothing lands outside it.
//!
//! The legend goes into an inner corner where it covers no data (preferring upper right,
//! upper left, lower right, lower left), or, when every corner would hide some, beside the
//! plot, which narrows to make room; it has a white fill and a thin frame, and lists series
//! (line and marker, the line alone for a series too dense for markers, or the marker alone
//! for a series of points) before references (dashed line). Entries with an empty label are left out; with no
//! labelled entry there is no legend. A series whose points were all unplottable keeps its
//! entry: the reader learns the data is missing instead of the series silently vanishing.

use plotters::coord::Shift;
use plotters::element::{Circle, DashedPathElement, PathElement, Polygon, Rectangle};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{
    Color, FontDesc, FontFamily, FontStyle, FontTransform, RGBAColor, RGBColor, ShapeStyle,
    TextStyle, WHITE,
};

use crate::axis::Axis;
use crate::font::FAMILY;
use crate::prepare::{CleanPoint, Prepared};
use crate::style::{reference_color, reference_dash, series_style, size, Marker};
use crate::{Chart, PlotError, SeriesStyle};

const INK: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
const FRAME: RGBColor = RGBColor(0x40, 0x40, 0x40);
const GRID_MAJOR: RGBColor = RGBColor(0xDC, 0xDC, 0xDC);
const GRID_MINOR: RGBColor = RGBColor(0xF0, 0xF0, 0xF0);
const LEGEND_FRAME: RGBColor = RGBColor(0xA0, 0xA0, 0xA0);
const LEGEND_FILL: RGBAColor = RGBAColor(255, 255, 255, 0.92);
const NO_DATA: RGBColor = RGBColor(0x90, 0x90, 0x90);

/// The PNG is drawn this many times larger in each direction, then averaged down.
pub(crate) const SUPERSAMPLE: u32 = 2;

/// How the backend at hand renders text and how big the canvas is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Surface {
    /// Multiplies every design-pixel size.
    pub scale: f64,
    /// Multiplies font sizes. The SVG backend writes `font-size = size / 1.24`, while
    /// ab_glyph rasterises `size` as ascent − descent (≈ 1.164 em for DejaVu); 1.24 / 1.164
    /// on SVG makes text the same size in both outputs.
    pub font_factor: f64,
    /// ab_glyph puts the baseline half a size below the anchor, so bitmap text sits higher
    /// than its box says; this shift (a fraction of the size, along the text's "down")
    /// puts it back. SVG needs none.
    pub text_nudge: f64,
}

impl Surface {
    pub const BITMAP: Surface = Surface {
        scale: SUPERSAMPLE as f64,
        font_factor: 1.0,
        text_nudge: 0.15,
    };
    pub const SVG: Surface = Surface {
        scale: 1.0,
        font_factor: 1.24 / 1.164,
        text_nudge: 0.0,
    };
}

type Result<T> = std::result::Result<T, PlotError>;
type Area<DB> = DrawingArea<DB, Shift>;

fn draw_err<E: std::error::Error + Send + Sync>(
    e: plotters::drawing::DrawingAreaErrorKind<E>,
) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// A rectangle in canvas pixels.
#[derive(Debug, Clone, Copy)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn width(&self) -> f64 {
        self.x1 - self.x0
    }
    fn height(&self) -> f64 {
        self.y1 - self.y0
    }
    fn contains(&self, (x, y): (f64, f64)) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }
    fn grown(&self, by: f64) -> Rect {
        Rect {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }
}

/// A font size (design pixels) and weight.
#[derive(Clone, Copy)]
struct Font {
    size: f64,
    weight: FontStyle,
}

const TICK_FONT: Font = Font {
    size: size::TICK_FONT,
    weight: FontStyle::Normal,
};
const AXIS_FONT: Font = Font {
    size: size::AXIS_TITLE_FONT,
    weight: FontStyle::Normal,
};
const TITLE_FONT: Font = Font {
    size: size::TITLE_FONT,
    weight: FontStyle::Bold,
};
const LEGEND_FONT: Font = Font {
    size: size::LEGEND_FONT,
    weight: FontStyle::Normal,
};

/// Text placement: anchor and rotation.
#[derive(Clone, Copy)]
struct Anchor {
    h: HPos,
    v: VPos,
    vertical: bool,
}

const fn anchor(h: HPos, v: VPos) -> Anchor {
    Anchor {
        h,
        v,
        vertical: false,
    }
}

/// Draws `chart` onto `root`, which must be `size::WIDTH × size::HEIGHT` times the scale.
pub(crate) fn draw<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &Chart,
    surface: Surface,
) -> Result<()> {
    let data = Prepared::new(chart);
    let painter = Painter { root, surface };
    root.fill(&WHITE).map_err(draw_err)?;
    let mut plot = painter.layout(chart, &data)?;
    let view_of = |plot: Rect| View {
        x: &data.x,
        y: &data.y,
        w: plot.width(),
        h: plot.height(),
    };
    // The legend goes into an inner corner where it covers no data, or else beside the
    // plot, which narrows to make room.
    let legend = painter.legend_box(chart, plot, &data)?;
    let legend_at = match &legend {
        None => None,
        Some(b) => {
            let (inset, gap) = (painter.s(size::LEGEND_INSET), painter.s(size::GAP));
            let ink = ink_points(&view_of(plot), &data, plot);
            match legend_corner(plot, (b.w, b.h), inset, &ink, gap) {
                (corner, 0) => Some(corner),
                _ => {
                    let canvas = painter.s(f64::from(size::WIDTH));
                    let x0 = canvas - painter.s(size::MARGIN) - b.w;
                    let last_x_label = painter.max_width(
                        data.x.ticks.last().map(|t| t.label.as_str()).into_iter(),
                        TICK_FONT,
                    )?;
                    let x1 = (x0 - gap - (last_x_label / 2.0 + gap)).round();
                    plot.x1 = x1.max(plot.x0 + 1.0);
                    Some((x0, plot.y0))
                }
            }
        }
    };
    let area = root.clone().shrink(
        (plot.x0 as i32, plot.y0 as i32),
        (plot.width() as i32 + 1, plot.height() as i32 + 1),
    );
    let view = view_of(plot);
    painter.grid(&area, &view)?;
    painter.references(&area, &view, &data)?;
    painter.series(&area, &view, &data)?;
    if data.is_empty() {
        let centre = ((plot.x0 + plot.x1) / 2.0, (plot.y0 + plot.y1) / 2.0);
        let at = anchor(HPos::Center, VPos::Center);
        painter.text("no data", centre, AXIS_FONT, NO_DATA, at)?;
    }
    painter.frame_and_ticks(plot, &view)?;
    painter.titles(chart, plot)?;
    if let (Some(b), Some(at)) = (&legend, legend_at) {
        painter.legend(b, at)?;
    }
    root.present().map_err(draw_err)
}

/// Maps data values into the plot sub-area's pixels.
struct View<'a> {
    x: &'a Axis,
    y: &'a Axis,
    w: f64,
    h: f64,
}

impl View<'_> {
    fn px(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (self.x.frac(x) * self.w, (1.0 - self.y.frac(y)) * self.h)
    }
    fn px_x(&self, x: f64) -> f64 {
        self.x.frac(x) * self.w
    }
    fn px_y(&self, y: f64) -> f64 {
        (1.0 - self.y.frac(y)) * self.h
    }
}

fn pt((x, y): (f64, f64)) -> (i32, i32) {
    // Clamp far-off values so the i32 conversion stays meaningful.
    let clamp = |v: f64| v.clamp(-1e6, 1e6).round() as i32;
    (clamp(x), clamp(y))
}

struct Painter<'a, DB: DrawingBackend> {
    root: &'a Area<DB>,
    surface: Surface,
}

impl<DB: DrawingBackend> Painter<'_, DB> {
    /// A design size in canvas pixels.
    fn s(&self, v: f64) -> f64 {
        v * self.surface.scale
    }

    fn stroke(&self, color: RGBColor, width: f64) -> ShapeStyle {
        ShapeStyle {
            color: color.to_rgba(),
            filled: false,
            stroke_width: self.s(width).round().max(1.0) as u32,
        }
    }

    fn font(&self, font: Font) -> FontDesc<'static> {
        let size = self.s(font.size) * self.surface.font_factor;
        FontDesc::new(FontFamily::Name(FAMILY), size, font.weight)
    }

    /// Width of `text` in canvas pixels.
    fn text_width(&self, text: &str, font: Font) -> Result<f64> {
        if text.is_empty() {
            return Ok(0.0);
        }
        let style = TextStyle::from(self.font(font));
        let (w, _) = self
            .root
            .estimate_text_size(text, &style)
            .map_err(draw_err)?;
        Ok(f64::from(w))
    }

    /// The widest of `texts`, in canvas pixels.
    fn max_width<'t>(&self, texts: impl Iterator<Item = &'t str>, font: Font) -> Result<f64> {
        texts
            .map(|t| self.text_width(t, font))
            .try_fold(0.0, |acc: f64, w| Ok(acc.max(w?)))
    }

    fn text(
        &self,
        text: &str,
        (x, y): (f64, f64),
        font: Font,
        color: RGBColor,
        at: Anchor,
    ) -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let nudge = self.s(font.size) * self.surface.text_nudge;
        let mut style = TextStyle::from(self.font(font))
            .color(&color)
            .pos(Pos::new(at.h, at.v));
        let (x, y) = if at.vertical {
            style = style.transform(FontTransform::Rotate270);
            (x + nudge, y)
        } else {
            (x, y + nudge)
        };
        self.root
            .draw_text(text, &style, pt((x, y)))
            .map_err(draw_err)
    }

    fn line(&self, area: &Area<DB>, points: &[(f64, f64)], style: ShapeStyle) -> Result<()> {
        let points: Vec<(i32, i32)> = points.iter().map(|&p| pt(p)).collect();
        area.draw(&PathElement::new(points, style))
            .map_err(draw_err)
    }

    /// A dashed line in the style of the i-th reference.
    fn dashed(&self, area: &Area<DB>, points: &[(f64, f64)], i: usize) -> Result<()> {
        let style = self.stroke(reference_color(i), size::REFERENCE_WIDTH);
        self.dashed_with(area, points, style, reference_dash(i))
    }

    /// A dashed line: `(dash, gap)` in design pixels.
    fn dashed_with(
        &self,
        area: &Area<DB>,
        points: &[(f64, f64)],
        style: ShapeStyle,
        (dash, space): (f64, f64),
    ) -> Result<()> {
        let points: Vec<(i32, i32)> = points.iter().map(|&p| pt(p)).collect();
        let (dash, space) = (self.s(dash).round() as i32, self.s(space).round() as i32);
        area.draw(&DashedPathElement::new(points, dash, space, style))
            .map_err(draw_err)
    }

    /// The i-th series' line through `points`: solid, or dashed once colours repeat.
    fn series_line(&self, area: &Area<DB>, points: &[(f64, f64)], i: usize) -> Result<()> {
        let (color, _, dash) = series_style(i);
        let style = self.stroke(color, size::LINE_WIDTH);
        match dash {
            Some(dash) => self.dashed_with(area, points, style, dash),
            None => self.line(area, points, style),
        }
    }

    /// Sizes the margins around the plot box from the labels they must hold. The box has
    /// whole-pixel corners, so the data sub-area and the frame line up exactly.
    fn layout(&self, chart: &Chart, data: &Prepared) -> Result<Rect> {
        let width = self.s(f64::from(size::WIDTH));
        let height = self.s(f64::from(size::HEIGHT));
        let (margin, gap, tick) = (
            self.s(size::MARGIN),
            self.s(size::GAP),
            self.s(size::TICK_LENGTH),
        );
        let tick_font = self.s(size::TICK_FONT);
        let y_labels = self.max_width(data.y.ticks.iter().map(|t| t.label.as_str()), TICK_FONT)?;
        let last_x_label = self.max_width(
            data.x.ticks.last().map(|t| t.label.as_str()).into_iter(),
            TICK_FONT,
        )?;
        let space = |text: &str, font: f64| {
            if text.is_empty() {
                0.0
            } else {
                self.s(font) + gap
            }
        };
        let title = space(&chart.title, size::TITLE_FONT) + gap * 0.5;
        let left =
            margin + space(&chart.y_label, size::AXIS_TITLE_FONT) + y_labels + gap * 0.8 + tick;
        let bottom =
            margin + space(&chart.x_label, size::AXIS_TITLE_FONT) + tick_font + gap * 0.8 + tick;
        let right = margin.max(last_x_label / 2.0 + gap);
        let top = margin + title.max(tick_font / 2.0);
        let (x0, y0) = (left.round(), top.round());
        Ok(Rect {
            x0,
            y0,
            x1: (width - right).round().max(x0 + 1.0),
            y1: (height - bottom).round().max(y0 + 1.0),
        })
    }

    fn grid(&self, area: &Area<DB>, view: &View) -> Result<()> {
        let vertical = |v: f64| [(view.px_x(v), 0.0), (view.px_x(v), view.h)];
        let horizontal = |v: f64| [(0.0, view.px_y(v)), (view.w, view.px_y(v))];
        let minor = self.stroke(GRID_MINOR, size::GRID_WIDTH);
        for line in (view.x.minor.iter().map(|&v| vertical(v)))
            .chain(view.y.minor.iter().map(|&v| horizontal(v)))
        {
            self.line(area, &line, minor)?;
        }
        let major = self.stroke(GRID_MAJOR, size::GRID_WIDTH);
        let x_ticks = view.x.ticks.iter().map(|t| vertical(t.value));
        for line in x_ticks.chain(view.y.ticks.iter().map(|t| horizontal(t.value))) {
            self.line(area, &line, major)?;
        }
        Ok(())
    }

    fn references(&self, area: &Area<DB>, view: &View, data: &Prepared) -> Result<()> {
        for (i, reference) in data.references.iter().enumerate() {
            for segment in &reference.segments {
                let points: Vec<(f64, f64)> = segment.iter().map(|&p| view.px(p)).collect();
                if let [(x, y)] = points[..] {
                    // A one-point curve has no length to dash; show it as a short dash.
                    let half = self.s(reference_dash(i).0) / 2.0;
                    self.dashed(area, &[(x - half, y), (x + half, y)], i)?;
                } else {
                    self.dashed(area, &points, i)?;
                }
            }
        }
        Ok(())
    }

    fn series(&self, area: &Area<DB>, view: &View, data: &Prepared) -> Result<()> {
        for (i, series) in data.series.iter().enumerate() {
            for p in &series.points {
                self.error_bar(area, view, p, series_style(i).0)?;
            }
        }
        for (i, series) in data.series.iter().enumerate() {
            let (color, marker, _) = series_style(i);
            for segment in series.segments.iter().filter(|s| s.len() > 1) {
                let points: Vec<(f64, f64)> = segment.iter().map(|&p| view.px(p)).collect();
                self.series_line(area, &points, i)?;
            }
            if series.markers {
                for p in &series.points {
                    self.marker(area, marker, view.px((p.x, p.y)), color)?;
                }
            }
        }
        Ok(())
    }

    /// A vertical bar with caps; a lower end that fell off a log axis runs to the bottom
    /// edge and has no cap.
    fn error_bar(
        &self,
        area: &Area<DB>,
        view: &View,
        p: &CleanPoint,
        color: RGBColor,
    ) -> Result<()> {
        let Some((low, high)) = p.bar else {
            return Ok(());
        };
        let style = self.stroke(color, size::BAR_WIDTH);
        let cap = self.s(size::CAP_HALF_WIDTH);
        let x = view.px_x(p.x);
        let top = view.px_y(high);
        let bottom = low.map_or(view.h, |low| view.px_y(low));
        self.line(area, &[(x, top), (x, bottom)], style)?;
        self.line(area, &[(x - cap, top), (x + cap, top)], style)?;
        if low.is_some() {
            self.line(area, &[(x - cap, bottom), (x + cap, bottom)], style)?;
        }
        Ok(())
    }

    fn marker(
        &self,
        area: &Area<DB>,
        marker: Marker,
        (cx, cy): (f64, f64),
        color: RGBColor,
    ) -> Result<()> {
        use std::f64::consts::PI;
        let r = self.s(size::MARKER_RADIUS);
        let fill = color.filled();
        // Corners and arms are in units of r around the centre.
        let at = |(dx, dy): (f64, f64)| pt((cx + dx * r, cy + dy * r));
        let polygon = |corners: Vec<(f64, f64)>| {
            let corners: Vec<(i32, i32)> = corners.into_iter().map(at).collect();
            area.draw(&Polygon::new(corners, fill)).map_err(draw_err)
        };
        let arms = |ends: [(f64, f64); 4]| -> Result<()> {
            let style = self.stroke(color, size::LINE_WIDTH * 0.9);
            for pair in ends.chunks_exact(2) {
                let line = vec![at(pair[0]), at(pair[1])];
                area.draw(&PathElement::new(line, style))
                    .map_err(draw_err)?;
            }
            Ok(())
        };
        match marker {
            Marker::Circle => area
                .draw(&Circle::new(pt((cx, cy)), r.round() as u32, fill))
                .map_err(draw_err),
            Marker::Square => {
                let corner = 0.88;
                let rect = [at((-corner, -corner)), at((corner, corner))];
                area.draw(&Rectangle::new(rect, fill)).map_err(draw_err)
            }
            Marker::TriangleUp => polygon(regular(3, 1.3, 0.0)),
            Marker::TriangleDown => polygon(regular(3, 1.3, PI)),
            Marker::Diamond => polygon(vec![(0.0, -1.3), (1.0, 0.0), (0.0, 1.3), (-1.0, 0.0)]),
            Marker::Pentagon => polygon(regular(5, 1.15, 0.0)),
            Marker::Cross => arms([(-1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (1.0, -1.0)]),
            Marker::Plus => arms([(-1.25, 0.0), (1.25, 0.0), (0.0, -1.25), (0.0, 1.25)]),
        }
    }

    fn frame_and_ticks(&self, plot: Rect, view: &View) -> Result<()> {
        let frame = self.stroke(FRAME, size::FRAME_WIDTH);
        let corners = [pt((plot.x0, plot.y0)), pt((plot.x1, plot.y1))];
        self.root
            .draw(&Rectangle::new(corners, frame))
            .map_err(draw_err)?;
        let tick = self.s(size::TICK_LENGTH);
        let label_at = tick + self.s(size::GAP) * 0.8;
        for t in &view.x.ticks {
            let x = plot.x0 + view.px_x(t.value);
            self.line(self.root, &[(x, plot.y1), (x, plot.y1 + tick)], frame)?;
            let at = anchor(HPos::Center, VPos::Top);
            self.text(&t.label, (x, plot.y1 + label_at), TICK_FONT, INK, at)?;
        }
        for t in &view.y.ticks {
            let y = plot.y0 + view.px_y(t.value);
            self.line(self.root, &[(plot.x0 - tick, y), (plot.x0, y)], frame)?;
            let at = anchor(HPos::Right, VPos::Center);
            self.text(&t.label, (plot.x0 - label_at, y), TICK_FONT, INK, at)?;
        }
        Ok(())
    }

    fn titles(&self, chart: &Chart, plot: Rect) -> Result<()> {
        let margin = self.s(size::MARGIN);
        let gap = self.s(size::GAP);
        let cx = (plot.x0 + plot.x1) / 2.0;
        let below_ticks = plot.y1 + self.s(size::TICK_LENGTH) + gap * 1.8 + self.s(size::TICK_FONT);
        let top = anchor(HPos::Center, VPos::Top);
        let (text, font) = self.fit(&chart.x_label, AXIS_FONT, plot.width())?;
        self.text(&text, (cx, below_ticks), font, INK, top)?;
        let rotated = Anchor {
            vertical: true,
            ..top
        };
        let cy = (plot.y0 + plot.y1) / 2.0;
        let (text, font) = self.fit(&chart.y_label, AXIS_FONT, plot.height())?;
        self.text(&text, (margin, cy), font, INK, rotated)?;
        let canvas = self.s(f64::from(size::WIDTH)) - 2.0 * margin;
        let (text, font) = self.fit(&chart.title, TITLE_FONT, canvas)?;
        // Centred over the plot box, unless that would push a wide title off the canvas.
        let half = self.text_width(&text, font)? / 2.0;
        let cx = cx.clamp(margin + half, (margin + canvas - half).max(margin + half));
        self.text(&text, (cx, margin), font, INK, top)
    }

    /// Makes `text` fit in `room` canvas pixels: first by shrinking the font down to
    /// 70 % of its size, then by cutting the end off behind an ellipsis.
    fn fit(&self, text: &str, font: Font, room: f64) -> Result<(String, Font)> {
        const MIN_SHRINK: f64 = 0.7;
        let width = self.text_width(text, font)?;
        if width <= room {
            return Ok((text.to_string(), font));
        }
        let shrink = (room / width).max(MIN_SHRINK);
        let font = Font {
            size: font.size * shrink,
            ..font
        };
        let mut chars: Vec<char> = text.chars().collect();
        let mut fitted = text.to_string();
        while !chars.is_empty() && self.text_width(&fitted, font)? > room {
            // Cut about as much as overflows, at least one character per round.
            let over = self.text_width(&fitted, font)? / room;
            let keep = ((chars.len() as f64 / over).floor() as usize).min(chars.len() - 1);
            chars.truncate(keep);
            fitted = chars.iter().collect::<String>().trim_end().to_string() + "…";
        }
        Ok((fitted, font))
    }

    /// The legend's entries and measurements, or `None` when no entry has a label. Rows are
    /// fitted to the plot's height: too many entries for one column fill columns top to
    /// bottom, left to right.
    fn legend_box<'c>(
        &self,
        chart: &'c Chart,
        plot: Rect,
        data: &Prepared,
    ) -> Result<Option<LegendBox<'c>>> {
        let entries = legend_entries(chart, data);
        if entries.is_empty() {
            return Ok(None);
        }
        let (pad, gap) = (self.s(size::LEGEND_PAD), self.s(size::GAP));
        let (sample, row) = (
            self.s(size::LEGEND_SAMPLE),
            self.s(size::LEGEND_FONT) * 1.45,
        );
        let inset = self.s(size::LEGEND_INSET);
        let fits = ((plot.height() - 2.0 * (inset + pad)) / row)
            .floor()
            .max(1.0) as usize;
        let columns = entries.len().div_ceil(fits);
        let rows = entries.len().div_ceil(columns);
        let text_width = self.max_width(entries.iter().map(|e| e.label), LEGEND_FONT)?;
        let column = sample + gap + text_width + pad * 1.5;
        Ok(Some(LegendBox {
            w: pad * 0.5 + column * columns as f64,
            h: pad * 2.0 + row * rows as f64,
            entries,
            rows,
            column,
            row,
        }))
    }

    /// Draws the legend with its top-left corner at `(x0, y0)`.
    fn legend(&self, legend: &LegendBox, (x0, y0): (f64, f64)) -> Result<()> {
        let pad = self.s(size::LEGEND_PAD);
        let corners = [pt((x0, y0)), pt((x0 + legend.w, y0 + legend.h))];
        self.root
            .draw(&Rectangle::new(corners, LEGEND_FILL.filled()))
            .map_err(draw_err)?;
        self.root
            .draw(&Rectangle::new(corners, self.stroke(LEGEND_FRAME, 1.0)))
            .map_err(draw_err)?;
        for (k, entry) in legend.entries.iter().enumerate() {
            let x = x0 + pad + legend.column * (k / legend.rows) as f64;
            let y = y0 + pad + legend.row * ((k % legend.rows) as f64 + 0.5);
            self.legend_entry(entry, (x, y))?;
        }
        Ok(())
    }

    /// One legend row: its sample starts at `x`, centred on `y`, and its label follows.
    fn legend_entry(&self, entry: &Entry, (x, y): (f64, f64)) -> Result<()> {
        let (x1, gap) = (x + self.s(size::LEGEND_SAMPLE), self.s(size::GAP));
        match entry.kind {
            EntryKind::Series(i, joined, markers) => {
                let (color, marker, _) = series_style(i);
                if joined {
                    self.series_line(self.root, &[(x, y), (x1, y)], i)?;
                }
                if markers {
                    self.marker(self.root, marker, ((x + x1) / 2.0, y), color)?;
                }
            }
            EntryKind::Reference(i) => self.dashed(self.root, &[(x, y), (x1, y)], i)?,
        }
        let at = anchor(HPos::Left, VPos::Center);
        self.text(entry.label, (x1 + gap, y), LEGEND_FONT, INK, at)
    }
}

/// The vertices of a regular n-gon of the given radius, the first at `turn` radians
/// clockwise from straight up.
fn regular(n: usize, radius: f64, turn: f64) -> Vec<(f64, f64)> {
    (0..n)
        .map(|k| {
            let a = turn + std::f64::consts::TAU * k as f64 / n as f64;
            (radius * a.sin(), -radius * a.cos())
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum EntryKind {
    /// The i-th series, whether its points are joined by a line, and whether they have
    /// markers.
    Series(usize, bool, bool),
    Reference(usize),
}

struct Entry<'a> {
    label: &'a str,
    kind: EntryKind,
}

/// A legend's entries and measurements, in canvas pixels.
struct LegendBox<'a> {
    entries: Vec<Entry<'a>>,
    w: f64,
    h: f64,
    rows: usize,
    column: f64,
    row: f64,
}

fn legend_entries<'c>(chart: &'c Chart, data: &Prepared) -> Vec<Entry<'c>> {
    let series = chart.series.iter().enumerate().map(|(i, s)| Entry {
        label: &s.label,
        kind: EntryKind::Series(
            i,
            s.style != SeriesStyle::Points,
            data.series.get(i).is_none_or(|c| c.markers),
        ),
    });
    let references = chart.references.iter().enumerate().map(|(i, r)| Entry {
        label: &r.label,
        kind: EntryKind::Reference(i),
    });
    series
        .chain(references)
        .filter(|e| !e.label.trim().is_empty())
        .collect()
}

/// The top-left corner of the legend box: the inner corner of `plot` whose box (grown by
/// `clearance`) covers the fewest `ink` points, and how many it covers; ties go to the
/// earlier corner in upper right, upper left, lower right, lower left order.
fn legend_corner(
    plot: Rect,
    (w, h): (f64, f64),
    inset: f64,
    ink: &[(f64, f64)],
    clearance: f64,
) -> ((f64, f64), usize) {
    let corners = [
        (plot.x1 - inset - w, plot.y0 + inset),
        (plot.x0 + inset, plot.y0 + inset),
        (plot.x1 - inset - w, plot.y1 - inset - h),
        (plot.x0 + inset, plot.y1 - inset - h),
    ];
    let covered = |&(x, y): &(f64, f64)| {
        let rect = Rect {
            x0: x,
            y0: y,
            x1: x + w,
            y1: y + h,
        }
        .grown(clearance);
        ink.iter().filter(|&&p| rect.contains(p)).count()
    };
    corners
        .into_iter()
        .map(|c| (c, covered(&c)))
        .min_by_key(|&(_, n)| n)
        .unwrap_or((corners[0], 0))
}

/// Canvas pixels the data covers: markers, bar ends and points along every line, sampled
/// every few pixels so that a legend box cannot hide a line between two samples.
fn ink_points(view: &View, data: &Prepared, plot: Rect) -> Vec<(f64, f64)> {
    /// Canvas pixels between samples along a line.
    const SPACING: f64 = 6.0;
    let to_canvas = |p: (f64, f64)| {
        let (x, y) = view.px(p);
        (plot.x0 + x, plot.y0 + y)
    };
    let mut ink = Vec::new();
    let lines = data
        .series
        .iter()
        .flat_map(|s| s.segments.iter())
        .chain(data.references.iter().flat_map(|r| r.segments.iter()));
    for segment in lines {
        if let [only] = segment.as_slice() {
            ink.push(to_canvas(*only));
        }
        for pair in segment.windows(2) {
            let (a, b) = (to_canvas(pair[0]), to_canvas(pair[1]));
            // The axes are fitted to the data, so a segment is at most the canvas diagonal.
            let length = (b.0 - a.0).hypot(b.1 - a.1).min(1e5);
            let steps = (length / SPACING).ceil().max(1.0) as usize;
            ink.extend((0..=steps).map(|k| {
                let t = k as f64 / steps as f64;
                (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
            }));
        }
    }
    for p in data.series.iter().flat_map(|s| s.points.iter()) {
        ink.push(to_canvas((p.x, p.y)));
        if let Some((low, high)) = p.bar {
            ink.push(to_canvas((p.x, high)));
            ink.extend(low.map(|low| to_canvas((p.x, low))));
        }
    }
    ink
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLOT: Rect = Rect {
        x0: 0.0,
        y0: 0.0,
        x1: 100.0,
        y1: 100.0,
    };

    #[test]
    fn legend_prefers_upper_right_when_free() {
        assert_eq!(
            legend_corner(PLOT, (20.0, 10.0), 5.0, &[], 0.0).0,
            (75.0, 5.0)
        );
    }

    #[test]
    fn legend_avoids_ink() {
        // Data in the upper right and upper left: the legend goes to the lower right.
        let ink = [(90.0, 10.0), (10.0, 10.0)];
        assert_eq!(
            legend_corner(PLOT, (20.0, 10.0), 5.0, &ink, 0.0),
            ((75.0, 85.0), 0)
        );
    }

    #[test]
    fn legend_reports_ink_it_cannot_avoid() {
        // Data in every corner: the least covered one is still covered, so `draw` puts the
        // legend beside the plot.
        let ink = [
            (90.0, 10.0),
            (10.0, 10.0),
            (90.0, 90.0),
            (10.0, 90.0),
            (12.0, 88.0),
        ];
        let (_, covered) = legend_corner(PLOT, (20.0, 10.0), 5.0, &ink, 0.0);
        assert_eq!(covered, 1);
    }
}
