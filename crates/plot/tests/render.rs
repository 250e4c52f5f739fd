//! Renders charts and checks the files a user would get. Writing them is synack-report's
//! (`synack_report::files`, tested there).

use synack_plot::{png_bytes, svg_string, Chart, Point, Reference, Series, SeriesStyle, PNG_SIZE};

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
/// The first series colour (Okabe–Ito blue).
const BLUE: [u8; 3] = [0x00, 0x72, 0xB2];

fn series(label: &str, points: &[(f64, f64, f64)]) -> Series {
    Series {
        label: label.into(),
        points: points
            .iter()
            .map(|&(x, y, ci)| Point::new(x, y, ci))
            .collect(),
        ..Series::default()
    }
}

fn linear_chart() -> Chart {
    Chart {
        title: "Handshake time against RTT".into(),
        x_label: "round-trip time (ms)".into(),
        y_label: "handshake time (ms)".into(),
        series: vec![
            series(
                "three-way",
                &[(10.0, 10.2, 0.3), (20.0, 20.1, 0.4), (40.0, 40.5, 0.9)],
            ),
            series(
                "two-way",
                &[(10.0, 5.1, 0.2), (20.0, 10.3, 0.2), (40.0, 20.2, 0.5)],
            ),
        ],
        ..Chart::default()
    }
}

fn log_log_chart() -> Chart {
    let mathis = |p: f64| 1460.0 * 8.0 / 0.02 * 1.5f64.sqrt() / p.sqrt();
    Chart {
        title: "Goodput against loss".into(),
        x_label: "configured loss (probability)".into(),
        y_label: "goodput (bit/s)".into(),
        log_x: true,
        log_y: true,
        series: vec![series(
            "NewReno",
            &[(1e-4, 6.5e7, 3e6), (1e-3, 2.0e7, 1e6), (1e-2, 6.4e6, 4e5)],
        )],
        references: vec![Reference {
            label: "Mathis et al.".into(),
            points: [1e-4, 1e-3, 1e-2].iter().map(|&p| (p, mathis(p))).collect(),
        }],
    }
}

/// Decodes a PNG and returns its size and RGB pixels.
fn decode(bytes: &[u8]) -> ((u32, u32), Vec<u8>) {
    assert!(bytes.starts_with(PNG_MAGIC), "not a PNG");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut pixels).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    ((info.width, info.height), pixels)
}

fn has_color(pixels: &[u8], color: [u8; 3]) -> bool {
    pixels.chunks_exact(3).any(|p| p == color)
}

/// Renders `chart` (called `name`) as both formats and checks both files.
fn render_and_check(chart: &Chart, name: &str) -> (Vec<u8>, String) {
    let png = png_bytes(chart).unwrap_or_else(|e| panic!("{name}: PNG: {e}"));
    let (size, _) = decode(&png);
    assert_eq!(size, PNG_SIZE);
    let svg = svg_string(chart).unwrap_or_else(|e| panic!("{name}: SVG: {e}"));
    assert!(svg.contains("<svg"), "no <svg> element");
    assert!(svg.trim_end().ends_with("</svg>"), "SVG not closed");
    // Titles too wide for the canvas are shortened behind an ellipsis.
    let title: String = chart.title.chars().take(40).collect();
    assert!(svg.contains(&title), "title missing from SVG");
    (png, svg)
}

#[test]
fn linear_chart_renders_both_formats() {
    let chart = linear_chart();
    let (png, svg) = render_and_check(&chart, "linear");
    for label in [
        "three-way",
        "two-way",
        "round-trip time (ms)",
        "handshake time (ms)",
    ] {
        assert!(svg.contains(label), "{label} missing from SVG");
    }
    assert!(has_color(&decode(&png).1, BLUE), "first series not drawn");
}

#[test]
fn log_log_chart_with_reference_renders() {
    let (png, svg) = render_and_check(&log_log_chart(), "loglog");
    assert!(svg.contains("NewReno") && svg.contains("Mathis et al."));
    // Powers of ten on the loss axis, with superscripts rather than float noise.
    assert!(
        svg.contains("10⁻⁴") && svg.contains("10⁻³"),
        "log tick labels missing"
    );
    assert!(has_color(&decode(&png).1, BLUE));
}

#[test]
fn tick_labels_have_no_float_noise() {
    let chart = Chart {
        series: vec![series("s", &[(0.1, 0.1, 0.0), (0.7, 0.1 + 0.2, 0.0)])],
        ..Chart::default()
    };
    let svg = svg_string(&chart).unwrap();
    assert!(!svg.contains("0000000"), "float noise in a label");
    assert!(
        svg.contains(">\n0.3\n</text>") || svg.contains(">0.3<"),
        "tick 0.3 missing"
    );
}

#[test]
fn degenerate_inputs_render_without_panicking() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let cases: Vec<(&str, Chart)> = vec![
        ("zero-series", Chart::default()),
        (
            "one-point",
            Chart {
                series: vec![series("one", &[(1.0, 2.0, 0.5)])],
                ..Chart::default()
            },
        ),
        (
            "all-equal",
            Chart {
                series: vec![series(
                    "flat",
                    &[(1.0, 3.0, 0.0), (2.0, 3.0, 0.0), (3.0, 3.0, 0.0)],
                )],
                ..Chart::default()
            },
        ),
        (
            "all-zero",
            Chart {
                series: vec![series("zero", &[(0.0, 0.0, 0.0), (0.0, 0.0, 0.0)])],
                ..Chart::default()
            },
        ),
        (
            "empty-series",
            Chart {
                series: vec![series("empty", &[]), series("", &[])],
                references: vec![Reference {
                    label: "empty".into(),
                    points: vec![],
                }],
                ..Chart::default()
            },
        ),
        (
            "non-finite",
            Chart {
                title: "NaN and infinity".into(),
                series: vec![series(
                    "bad",
                    &[
                        (nan, 1.0, 0.0),
                        (1.0, nan, 0.0),
                        (2.0, inf, 0.0),
                        (-inf, 1.0, nan),
                        (3.0, 1.0, inf),
                    ],
                )],
                references: vec![Reference {
                    label: "bad".into(),
                    points: vec![(nan, nan), (1.0, -inf), (2.0, 2.0)],
                }],
                ..Chart::default()
            },
        ),
        (
            "log-non-positive",
            Chart {
                log_x: true,
                log_y: true,
                series: vec![series(
                    "neg",
                    &[
                        (-1.0, 1.0, 0.0),
                        (0.0, 5.0, 0.0),
                        (1.0, 0.0, 0.0),
                        (2.0, -3.0, 1.0),
                    ],
                )],
                ..Chart::default()
            },
        ),
        (
            "log-bar-below-zero",
            Chart {
                log_y: true,
                series: vec![series("wide", &[(1.0, 1.0, 5.0), (2.0, 10.0, 20.0)])],
                ..Chart::default()
            },
        ),
        (
            "extreme",
            Chart {
                series: vec![series(
                    "huge",
                    &[(1.0, 1e300, 0.0), (2.0, -1e300, 0.0), (3.0, f64::MAX, 0.0)],
                )],
                references: vec![Reference {
                    label: "tiny".into(),
                    points: vec![(1.0, 5e-324), (2.0, f64::MIN_POSITIVE)],
                }],
                ..Chart::default()
            },
        ),
        (
            "many-series",
            Chart {
                title: "x".repeat(300),
                series: (0..60)
                    .map(|i| {
                        series(
                            &format!("series {i} — σ ≤ 10µs, ✓ 漢字"),
                            &[(i as f64, i as f64, 1.0)],
                        )
                    })
                    .collect(),
                ..Chart::default()
            },
        ),
    ];
    for (name, chart) in &cases {
        render_and_check(chart, name);
    }
    let long = svg_string(&cases.last().unwrap().1).unwrap();
    assert!(long.contains("xxx…"), "a too-wide title is not shortened");
}

#[test]
fn text_is_escaped_in_svg() {
    let chart = Chart {
        title: "a <b> & \"c\"".into(),
        series: vec![series("x < y & z", &[(1.0, 1.0, 0.0)])],
        ..Chart::default()
    };
    let svg = svg_string(&chart).unwrap();
    assert!(svg.contains("a &lt;b&gt; &amp;"));
    assert!(svg.contains("x &lt; y &amp; z"));
}

#[test]
fn output_is_deterministic() {
    let chart = log_log_chart();
    assert_eq!(png_bytes(&chart).unwrap(), png_bytes(&chart).unwrap());
    assert_eq!(svg_string(&chart).unwrap(), svg_string(&chart).unwrap());
}

/// The blue polylines of an SVG: lines, bars and caps of the first series.
fn blue_polylines(svg: &str) -> Vec<&str> {
    svg.match_indices("<polyline")
        .map(|(i, _)| &svg[i..i + svg[i..].find("/>").unwrap()])
        .filter(|p| p.contains("stroke=\"#0072B2\""))
        .collect()
}

#[test]
fn points_alone_draw_their_markers_and_bars_without_a_line() {
    let measured = |style| Chart {
        title: "Linux beside synack".into(),
        series: vec![Series {
            label: "Linux, measured".into(),
            points: vec![
                Point::new(1.0, 3.0, 0.0),
                Point::new(2.0, 2.0, 0.0),
                Point::new(4.0, 1.0, 0.5),
            ],
            style,
        }],
        ..Chart::default()
    };
    let (png, svg) = render_and_check(&measured(SeriesStyle::Points), "points");
    // Three circles in the plot and one in the legend, all blue.
    let circles = svg.matches("<circle").count();
    assert_eq!(circles, 4, "{svg}");
    assert_eq!(svg.matches("fill=\"#0072B2\"").count(), 4);
    // Only the third point's bar and its two caps; no line through the points, not even
    // in the legend.
    let lines = blue_polylines(&svg);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines.iter().all(|l| l.matches(',').count() == 2),
        "{lines:?}"
    );
    assert!(svg.contains("Linux, measured"));
    assert!(has_color(&decode(&png).1, BLUE));

    // Joined, the same points add the line through them and the legend's sample.
    let joined = svg_string(&measured(SeriesStyle::Line)).unwrap();
    let lines = blue_polylines(&joined);
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines.iter().any(|l| l.matches(',').count() == 3));
}
