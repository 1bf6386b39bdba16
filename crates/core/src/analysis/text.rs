//! Number formatting shared by the one-line explanations of the analysis modules.

use crate::money::format_minor;

/// An amount as dollars with two places: `39999` → `"$399.99"`.
pub(crate) fn dollars(minor: i64) -> String {
    format!("${}", format_minor(minor))
}

/// A number with at most two decimal places and no trailing zeros: `7.0` → `"7"`, `1.5` → `"1.5"`.
pub(crate) fn number(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    // Avoids "-0" for tiny negative values.
    if rounded == 0.0 {
        "0".to_owned()
    } else {
        format!("{rounded}")
    }
}

/// A modifier value with its sign: `"+7"`, `"−5"` (U+2212), `"+0"`, `"+1.5"`.
pub(crate) fn signed(value: f64) -> String {
    if value < 0.0 && number(-value) != "0" {
        format!("\u{2212}{}", number(-value))
    } else {
        format!("+{}", number(value))
    }
}

/// `part / whole` as a percentage rounded half up to two places, without trailing zeros
/// (`1/3` → `"33.33"`, `1/2` → `"50"`). `whole` must be positive and `part` non-negative.
pub(crate) fn percent(part: i128, whole: i128) -> String {
    let hundredths = (part * 20_000 + whole) / (2 * whole);
    let (int, frac) = (hundredths / 100, hundredths % 100);
    match frac {
        0 => format!("{int}"),
        f if f % 10 == 0 => format!("{int}.{}", f / 10),
        f => format!("{int}.{f:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_signs_and_percentages() {
        assert_eq!(dollars(39_999), "$399.99");
        assert_eq!(number(7.0), "7");
        assert_eq!(number((0.95 - 0.8) * 10.0), "1.5");
        assert_eq!(number(-0.001), "0");
        assert_eq!(signed(7.0), "+7");
        assert_eq!(signed(-5.0), "\u{2212}5");
        assert_eq!(signed(0.0), "+0");
        assert_eq!(signed(-0.0), "+0");
        assert_eq!(signed(-0.5), "\u{2212}0.5");
        assert_eq!(percent(1, 3), "33.33");
        assert_eq!(percent(1, 2), "50");
        assert_eq!(percent(1, 8), "12.5");
        assert_eq!(percent(5_001, 10_000), "50.01");
        assert_eq!(percent(2, 3), "66.67");
    }
}
