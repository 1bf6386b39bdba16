//! GTIN (UPC-A, EAN-8, EAN-13, GTIN-14) validation and normalisation.
//!
//! A UPC-A code is an EAN-13 with a leading zero and a GTIN-14 with two, so every code is
//! compared in its 14-digit form. UPC-E (zero-suppressed 8-digit UPC) is not expanded: an
//! 8-digit code is read as EAN-8.

/// True when `code` (digits, optionally with spaces or hyphens) is a GTIN of 8, 12, 13 or 14
/// digits with a correct check digit and not all zeros.
pub fn valid_gtin(code: &str) -> bool {
    normalize_gtin(code).is_some()
}

/// The 14-digit canonical form of a valid GTIN (`"194253397540"` →
/// `"00194253397540"`); `None` when the code is malformed or its check digit is wrong.
pub fn normalize_gtin(code: &str) -> Option<String> {
    let mut digits = Vec::with_capacity(14);
    for c in code.trim().chars() {
        match c {
            '0'..='9' => digits.push(c as u8 - b'0'),
            ' ' | '-' => {}
            _ => return None,
        }
    }
    if !matches!(digits.len(), 8 | 12 | 13 | 14) || digits.iter().all(|&d| d == 0) {
        return None;
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    // Weights 3, 1, 3, … from the digit next to the check digit leftwards.
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| u32::from(d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    if (10 - sum % 10) % 10 != u32::from(check[0]) {
        return None;
    }
    let mut out = "0".repeat(14 - digits.len());
    out.extend(digits.iter().map(|d| char::from(b'0' + d)));
    Some(out)
}
