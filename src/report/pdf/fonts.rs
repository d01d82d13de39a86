//! The embedded font: DejaVu Sans and DejaVu Sans Bold, with glyph-width measurement.
//!
//! Both faces are compiled in (`report-templates/fonts/`, licence beside them) so the output does
//! not depend on the machine's fonts. printpdf subsets them on save (`text_layout` feature), so a
//! report carries only the glyphs it uses. Resource names are fixed (`DJVSNR`, `DJVSNB`) rather
//! than printpdf's process-wide counter, which keeps the bytes identical between renders.

use printpdf::{FontId, ParsedFont, PdfFont, PdfFontHandle};

use super::pdf_error;
use crate::report::RenderError;

/// DejaVu Sans, regular.
const REGULAR_TTF: &[u8] = include_bytes!("../../../report-templates/fonts/DejaVuSans.ttf");
/// DejaVu Sans, bold.
const BOLD_TTF: &[u8] = include_bytes!("../../../report-templates/fonts/DejaVuSans-Bold.ttf");

/// Shown instead of a character the font has no glyph for (so a reader sees that something is
/// there, and text extraction yields U+FFFD instead of dropping it).
const REPLACEMENT: char = '\u{FFFD}';

/// Which face.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Weight {
    /// DejaVu Sans.
    Regular,
    /// DejaVu Sans Bold.
    Bold,
}

/// One parsed face with a width cache for ASCII.
struct Face {
    parsed: ParsedFont,
    id: FontId,
    units_per_em: f32,
    ascii: [f32; 128],
    fallback: f32,
}

impl Face {
    fn load(bytes: &[u8], name: &str) -> Result<Face, RenderError> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| pdf_error(format!("cannot parse the embedded font {name}")))?;
        let units_per_em = f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
        let fallback = parsed
            .lookup_glyph_index(u32::from(REPLACEMENT))
            .map(|g| f32::from(parsed.get_horizontal_advance(g)))
            .unwrap_or(units_per_em * 0.6);
        let mut ascii = [fallback; 128];
        for (code, slot) in (0u32..).zip(ascii.iter_mut()) {
            if let Some(g) = parsed.lookup_glyph_index(code) {
                *slot = f32::from(parsed.get_horizontal_advance(g));
            }
        }
        Ok(Face {
            parsed,
            id: FontId(name.to_string()),
            units_per_em,
            ascii,
            fallback,
        })
    }

    /// Advance of `c` in font units.
    fn advance(&self, c: char) -> f32 {
        let code = u32::from(c);
        if let Some(w) = usize::try_from(code).ok().and_then(|i| self.ascii.get(i)) {
            return *w;
        }
        self.parsed
            .lookup_glyph_index(code)
            .map(|g| f32::from(self.parsed.get_horizontal_advance(g)))
            .unwrap_or(self.fallback)
    }

    fn has_glyph(&self, c: char) -> bool {
        self.parsed.lookup_glyph_index(u32::from(c)).is_some()
    }
}

/// Both faces of the report.
pub(super) struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    /// Parses the compiled-in faces.
    pub fn load() -> Result<Fonts, RenderError> {
        Ok(Fonts {
            regular: Face::load(REGULAR_TTF, "DJVSNR")?,
            bold: Face::load(BOLD_TTF, "DJVSNB")?,
        })
    }

    fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// Width of `text` in points at `size`.
    pub fn width(&self, weight: Weight, text: &str, size: f32) -> f32 {
        let face = self.face(weight);
        text.chars().map(|c| face.advance(c)).sum::<f32>() * size / face.units_per_em
    }

    /// Width of one character in points at `size`.
    pub fn char_width(&self, weight: Weight, c: char, size: f32) -> f32 {
        let face = self.face(weight);
        face.advance(c) * size / face.units_per_em
    }

    /// `text` with control characters other than `\n` turned into spaces and characters the
    /// faces cannot draw replaced by U+FFFD, so what is measured is what is shown.
    pub fn printable(&self, text: &str) -> String {
        text.chars()
            .map(|c| {
                if c == '\n' {
                    c
                } else if c.is_control() {
                    ' '
                } else if c.is_ascii() || (self.regular.has_glyph(c) && self.bold.has_glyph(c)) {
                    c
                } else {
                    REPLACEMENT
                }
            })
            .collect()
    }

    /// The handle text operations use.
    pub fn handle(&self, weight: Weight) -> PdfFontHandle {
        PdfFontHandle::External(self.face(weight).id.clone())
    }

    /// The faces to register in the document, under their fixed ids.
    pub fn resources(&self) -> [(FontId, PdfFont); 2] {
        [
            (self.regular.id.clone(), PdfFont::new(self.regular.parsed.clone())),
            (self.bold.id.clone(), PdfFont::new(self.bold.parsed.clone())),
        ]
    }
}
