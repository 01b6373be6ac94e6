//! The tenant's colours as the page uses them, checked for WCAG AA contrast (4.5:1 for
//! normal text); a pair that fails is replaced by a readable one.

/// The colours the page's CSS variables take.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Theme {
    /// Page background.
    pub background: String,
    /// Body text on the background.
    pub text: String,
    /// Buttons, links and focus rings, on the background.
    pub primary: String,
    /// Text on a primary-coloured button.
    pub on_primary: String,
    /// True when the tenant's colours failed and the readable pair is used instead.
    pub fallback: bool,
}

/// WCAG AA for normal-size text.
pub const AA: f64 = 4.5;
const FALLBACK_PRIMARY: &str = "#1d4ed8";
const FALLBACK_BACKGROUND: &str = "#ffffff";
const DARK: &str = "#111827";
const LIGHT: &str = "#ffffff";

impl Theme {
    /// From the tenant's `primary_color` (accent) and `secondary_color` (background),
    /// either absent.
    pub fn new(primary: Option<&str>, secondary: Option<&str>) -> Self {
        let background = secondary.and_then(parse).map_or_else(|| FALLBACK_BACKGROUND.to_owned(), |_| norm(secondary));
        let primary_c = primary.and_then(parse);
        let (primary, background, fallback) = match (primary_c, parse(&background)) {
            (Some(p), Some(bg)) if contrast(p, bg) >= AA => (norm(primary), background, false),
            (None, Some(bg)) if contrast(rgb(FALLBACK_PRIMARY), bg) >= AA => {
                (FALLBACK_PRIMARY.to_owned(), background, false)
            }
            _ => (FALLBACK_PRIMARY.to_owned(), FALLBACK_BACKGROUND.to_owned(), true),
        };
        let text = best_on(&background);
        let on_primary = best_on(&primary);
        Self { background, text, primary, on_primary, fallback }
    }
}

/// `#rrggbb` lower-cased (the caller checked it parses).
fn norm(c: Option<&str>) -> String {
    c.unwrap_or_default().to_ascii_lowercase()
}

/// Dark or light text, whichever contrasts more with `background`.
fn best_on(background: &str) -> String {
    let bg = rgb(background);
    if contrast(rgb(DARK), bg) >= contrast(rgb(LIGHT), bg) { DARK.to_owned() } else { LIGHT.to_owned() }
}

fn rgb(c: &str) -> (u8, u8, u8) {
    parse(c).unwrap_or((0, 0, 0))
}

/// `#rrggbb` → its channels.
pub fn parse(c: &str) -> Option<(u8, u8, u8)> {
    let hex = c.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let ch = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some((ch(0)?, ch(2)?, ch(4)?))
}

/// WCAG 2 relative luminance.
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.03928 { s / 12.92 } else { ((s + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG 2 contrast ratio, 1 to 21.
pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_on_white_is_21() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
    }

    #[test]
    fn readable_colours_are_kept() {
        let t = Theme::new(Some("#1A73E8"), Some("#ffffff"));
        assert_eq!((t.primary.as_str(), t.background.as_str(), t.fallback), ("#1a73e8", "#ffffff", false));
        assert_eq!(t.on_primary, LIGHT);
        assert_eq!(t.text, DARK);
    }

    #[test]
    fn unreadable_colours_fall_back() {
        let t = Theme::new(Some("#ffff00"), Some("#ffffff"));
        assert!(t.fallback);
        assert_eq!((t.primary.as_str(), t.background.as_str()), (FALLBACK_PRIMARY, FALLBACK_BACKGROUND));
    }

    #[test]
    fn a_dark_background_gets_light_text() {
        let t = Theme::new(Some("#facc15"), Some("#111111"));
        assert!(!t.fallback);
        assert_eq!(t.text, LIGHT);
        assert_eq!(t.on_primary, DARK);
    }

    #[test]
    fn no_colours_give_the_default_pair() {
        let t = Theme::new(None, None);
        assert_eq!((t.primary.as_str(), t.background.as_str(), t.fallback), (FALLBACK_PRIMARY, "#ffffff", false));
    }
}
