//! Writes a gallery of sample charts (PNG and SVG) into a directory:
//! `cargo run -p synack-plot --example samples -- /tmp/plot-samples`.

use std::path::PathBuf;

use synack_plot::{png_bytes, svg_string, Chart, Point, Reference, Series, SeriesStyle};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "plot-samples".into()),
    );
    std::fs::create_dir_all(&dir)?;
    for (name, chart) in gallery() {
        let started = std::time::Instant::now();
        // A gallery to look at, not results: plain writes do.
        std::fs::write(dir.join(format!("{name}.png")), png_bytes(&chart)?)?;
        std::fs::write(dir.join(format!("{name}.svg")), svg_string(&chart)?)?;
        println!("{name}: {:?}", started.elapsed());
    }
    Ok(())
}

fn gallery() -> Vec<(&'static str, Chart)> {
    vec![
        ("loss-sweep", loss_sweep()),
        ("syn-flood", syn_flood()),
        ("eight-series", eight_series()),
        ("degenerate", degenerate()),
        ("gaps", gaps()),
        ("empty", empty()),
    ]
}

/// Log–log: two measured lines under the Mathis model and the link capacity.
fn loss_sweep() -> Chart {
    let losses = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 5e-2];
    // Mathis et al.: rate = (MSS / RTT) · C / √p, C = √(3/2); MSS 1460 B, RTT 20 ms.
    let mathis = |p: f64| 1460.0 * 8.0 / 0.020 * (1.5f64).sqrt() / p.sqrt();
    let measured = |scale: f64, jitter: f64| {
        losses
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let y = (mathis(p) * scale).min(1e8 * 0.95);
                let wobble = 1.0 + jitter * ((i as f64 * 1.7).sin());
                Point::new(p, y * wobble, y * 0.08)
            })
            .collect::<Vec<_>>()
    };
    Chart {
        title: "Bulk goodput against random loss".into(),
        x_label: "configured loss (probability)".into(),
        y_label: "goodput (bit/s)".into(),
        log_x: true,
        log_y: true,
        series: vec![
            Series {
                label: "NewReno".into(),
                points: measured(0.9, 0.05),
                ..Series::default()
            },
            Series {
                label: "Reno".into(),
                points: measured(0.7, 0.08),
                ..Series::default()
            },
            Series {
                label: "Linux, measured".into(),
                points: measured(0.85, 0.1),
                style: SeriesStyle::Points,
            },
        ],
        references: vec![
            Reference {
                label: "Mathis et al. (1997)".into(),
                points: (0..=40)
                    .map(|k| 1e-4 * 10f64.powf(k as f64 * 2.7 / 40.0))
                    .map(|p| (p, mathis(p)))
                    .collect(),
            },
            Reference {
                label: "link capacity".into(),
                points: vec![(1e-4, 1e8), (0.05, 1e8)],
            },
        ],
    }
}

/// Linear axes: three lines that leave a floor at different knees.
fn syn_flood() -> Chart {
    Chart {
        title: "Handshake time under a SYN flood".into(),
        x_label: "attack rate (SYN/s)".into(),
        y_label: "mean handshake time (s)".into(),
        log_x: false,
        log_y: false,
        series: [
            "no cookies, backlog 128",
            "no cookies, backlog 1024",
            "SYN cookies",
        ]
        .iter()
        .enumerate()
        .map(|(s, label)| Series {
            label: (*label).into(),
            points: (0..=10)
                .map(|i| {
                    let rate = i as f64 * 1000.0;
                    let knee = [2000.0, 6000.0, 1e9][s];
                    let y = 0.02
                        + if rate > knee {
                            (rate - knee) / 4000.0
                        } else {
                            0.0
                        };
                    Point::new(rate, y, 0.004 + y * 0.1)
                })
                .collect(),
            ..Series::default()
        })
        .collect(),
        references: vec![Reference {
            label: "one round trip".into(),
            points: vec![(0.0, 0.02), (10000.0, 0.02)],
        }],
    }
}

/// Eight series: every colour and marker of the palette.
fn eight_series() -> Chart {
    Chart {
        title: "TIME-WAIT sockets against MSL, eight profiles".into(),
        x_label: "MSL (s)".into(),
        y_label: "peak TIME-WAIT sockets".into(),
        series: (0..8)
            .map(|s| Series {
                label: format!("profile {s}"),
                points: (1..=6)
                    .map(|i| Point::new(i as f64 * 10.0, (i * (s + 2) * 100) as f64, 30.0))
                    .collect(),
                ..Series::default()
            })
            .collect(),
        ..Chart::default()
    }
}

/// A single point, an empty series, NaN and infinite values on a log axis.
fn degenerate() -> Chart {
    Chart {
        title: "One point, NaNs and an empty series".into(),
        x_label: "x (unit)".into(),
        y_label: "y (unit)".into(),
        log_y: true,
        series: vec![
            Series {
                label: "single".into(),
                points: vec![Point::new(0.3, 0.1 + 0.2, 0.05)],
                ..Series::default()
            },
            Series {
                label: "empty".into(),
                points: vec![],
                ..Series::default()
            },
            Series {
                label: "nan".into(),
                points: vec![
                    Point::new(f64::NAN, 1.0, 0.0),
                    Point::new(0.2, f64::INFINITY, 0.0),
                ],
                ..Series::default()
            },
        ],
        ..Chart::default()
    }
}

/// A log axis with zeros (skipped) and confidence bars wider than the values.
fn gaps() -> Chart {
    Chart {
        title: "Retransmissions (log scale, zeros and wide intervals)".into(),
        x_label: "MSL (s)".into(),
        y_label: "retransmits per connection".into(),
        log_y: true,
        series: vec![
            Series {
                label: "linux".into(),
                points: [
                    (1.0, 0.5, 0.9),
                    (2.0, 2.0, 1.0),
                    (4.0, 0.0, 0.0),
                    (8.0, 8.0, 2.0),
                    (16.0, 30.0, 5.0),
                ]
                .iter()
                .map(|&(x, y, ci)| Point::new(x, y, ci))
                .collect(),
                ..Series::default()
            },
            Series {
                label: "rfc".into(),
                points: [
                    (1.0, 0.2, 0.1),
                    (2.0, f64::NAN, 0.0),
                    (4.0, 3.0, 4.0),
                    (8.0, 12.0, 3.0),
                    (16.0, 60.0, 9.0),
                ]
                .iter()
                .map(|&(x, y, ci)| Point::new(x, y, ci))
                .collect(),
                ..Series::default()
            },
        ],
        ..Chart::default()
    }
}

/// No series at all: the axes and the title only.
fn empty() -> Chart {
    Chart {
        title: "Nothing to show".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        ..Chart::default()
    }
}
