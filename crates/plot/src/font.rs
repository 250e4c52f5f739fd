//! The embedded font.
//!
//! plotters' `ttf` feature finds fonts through font-kit, which links fontconfig and
//! FreeType; a machine with only the Rust toolchain could not build it. The `ab_glyph`
//! feature instead rasterises a font we hand it as bytes, so the crate embeds its own:
//! DejaVu Sans (regular and bold), subset to Latin, Greek, punctuation, super- and
//! subscripts, arrows and mathematical operators (about 70 KB a face). Characters outside
//! the subset draw as empty boxes in PNGs. `assets/README.md` says where the files come
//! from and how to rebuild them; `assets/LICENSE-DejaVu.txt` is their licence.
//!
//! The SVG backend only writes the family name into `font-family`, so the family is
//! registered under a CSS fallback list: viewers use DejaVu Sans when they have it and
//! another sans-serif face otherwise. Layout (legend widths, label areas) is measured
//! with DejaVu's metrics, which Helvetica and Arial match closely.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle};

use crate::PlotError;

/// The family name every text element uses; also the SVG `font-family` value.
pub(crate) const FAMILY: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

static REGULAR: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../assets/DejaVuSans-Bold.ttf");

/// Registers the embedded faces with plotters, once per process.
pub(crate) fn ensure_registered() -> Result<(), PlotError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        // plotters' own defaults (mesh labels, captions) ask for "sans-serif"; register
        // the face under that name too so nothing can fail for want of a font.
        [FAMILY, "sans-serif"].iter().all(|name| {
            register_font(name, FontStyle::Normal, REGULAR).is_ok()
                && register_font(name, FontStyle::Bold, BOLD).is_ok()
        })
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}
