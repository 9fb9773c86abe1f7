//! `$formatNumber`: XPath `format-number` pictures (F&O 3.1 §4.7) with JSONata's error codes
//! D3080..D3093 for malformed pictures.

use super::super::error::{JsonataError, Result};
use super::super::functions::round_half_even;
use super::super::value::Val;

/// The decimal format: the characters a picture is written with (the options object).
pub(crate) struct Symbols {
    decimal: char,
    grouping: char,
    exponent: char,
    minus: String,
    percent: String,
    per_mille: String,
    zero: u32,
    digit: char,
    separator: char,
    infinity: String,
    nan: String,
}

impl Default for Symbols {
    fn default() -> Self {
        Symbols {
            decimal: '.',
            grouping: ',',
            exponent: 'e',
            minus: "-".into(),
            percent: "%".into(),
            per_mille: "\u{2030}".into(),
            zero: '0' as u32,
            digit: '#',
            separator: ';',
            infinity: "Infinity".into(),
            nan: "NaN".into(),
        }
    }
}

impl Symbols {
    /// Applies the properties of a `$formatNumber` options object.
    pub(crate) fn with_options(mut self, options: &Val<'_>) -> Symbols {
        for (key, value) in options.entries() {
            let Some(s) = value.as_str() else { continue };
            let Some(first) = s.chars().next() else {
                continue;
            };
            match key.as_str() {
                "decimal-separator" => self.decimal = first,
                "grouping-separator" => self.grouping = first,
                "exponent-separator" => self.exponent = first,
                "minus-sign" => self.minus = s.to_string(),
                "percent" => self.percent = s.to_string(),
                "per-mille" => self.per_mille = s.to_string(),
                "zero-digit" => self.zero = first as u32,
                "digit" => self.digit = first,
                "pattern-separator" => self.separator = first,
                "infinity" => self.infinity = s.to_string(),
                "NaN" => self.nan = s.to_string(),
                _ => {}
            }
        }
        self
    }

    fn is_family(&self, c: char) -> bool {
        let cp = c as u32;
        cp >= self.zero && cp < self.zero + 10
    }

    fn render_digit(&self, d: u8) -> char {
        char::from_u32(self.zero + u32::from(d.wrapping_sub(b'0')).min(9)).unwrap_or('?')
    }
}

/// One analysed sub-picture.
struct SubPicture {
    prefix: String,
    suffix: String,
    int_groups: Vec<usize>,
    regular: Option<usize>,
    min_int: usize,
    scaling: usize,
    frac_groups: Vec<usize>,
    min_frac: usize,
    max_frac: usize,
    min_exp: usize,
    has_exponent: bool,
    percent: bool,
    per_mille: bool,
}

fn error(code: &str, message: &str) -> JsonataError {
    JsonataError::new(code, message.to_string())
}

fn count(haystack: &[char], needle: &str) -> usize {
    let needle: Vec<char> = needle.chars().collect();
    if needle.is_empty() || haystack.len() < needle.len() {
        return 0;
    }
    let mut n = 0;
    let mut i = 0;
    while i + needle.len() <= haystack.len() {
        if haystack[i..i + needle.len()] == needle[..] {
            n += 1;
            i += needle.len();
        } else {
            i += 1;
        }
    }
    n
}

fn analyse(picture: &[char], sym: &Symbols) -> Result<SubPicture> {
    let basic_active =
        |c: char| c == sym.decimal || c == sym.grouping || c == sym.digit || sym.is_family(c);
    let first = picture.iter().position(|&c| basic_active(c));
    let last = picture.iter().rposition(|&c| basic_active(c));
    let (Some(first), Some(last)) = (first, last) else {
        return Err(error(
            "D3086",
            "The picture string must contain at least one active character",
        ));
    };
    // An exponent separator counts when active characters surround it.
    let exponent_at = (first + 1..last).find(|&i| picture[i] == sym.exponent);
    let prefix: String = picture[..first].iter().collect();
    let suffix: String = picture[last + 1..].iter().collect();
    let (mantissa, exponent) = match exponent_at {
        Some(i) => (&picture[first..i], Some(&picture[i + 1..=last])),
        None => (&picture[first..=last], None),
    };
    if mantissa.iter().filter(|&&c| c == sym.decimal).count() > 1 {
        return Err(error(
            "D3081",
            "A sub-picture must not contain more than one decimal separator",
        ));
    }
    let percents = count(picture, &sym.percent);
    let per_milles = count(picture, &sym.per_mille);
    if percents > 1 {
        return Err(error(
            "D3082",
            "A sub-picture must not contain more than one percent character",
        ));
    }
    if per_milles > 1 {
        return Err(error(
            "D3083",
            "A sub-picture must not contain more than one per-mille character",
        ));
    }
    if percents > 0 && per_milles > 0 {
        return Err(error(
            "D3084",
            "A sub-picture must not contain both a percent and a per-mille character",
        ));
    }
    if !mantissa.iter().any(|&c| c == sym.digit || sym.is_family(c)) {
        return Err(error(
            "D3085",
            "The mantissa part of a sub-picture must contain at least one character that is either an optional digit character or a member of the decimal digit family",
        ));
    }
    if mantissa.iter().any(|&c| !basic_active(c))
        || exponent.is_some_and(|e| e.iter().any(|&c| !basic_active(c)))
    {
        return Err(error(
            "D3086",
            "A sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character",
        ));
    }
    let dot = mantissa.iter().position(|&c| c == sym.decimal);
    let (int_part, frac_part) = match dot {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &mantissa[mantissa.len()..]),
    };
    if let Some(i) = dot
        && ((i > 0 && mantissa[i - 1] == sym.grouping)
            || mantissa.get(i + 1) == Some(&sym.grouping))
    {
        return Err(error(
            "D3087",
            "A sub-picture must not contain a grouping separator adjacent to a decimal separator",
        ));
    }
    if dot.is_none() && int_part.last() == Some(&sym.grouping) {
        return Err(error(
            "D3088",
            "The integer part of a sub-picture must not end with a grouping separator",
        ));
    }
    if mantissa
        .windows(2)
        .any(|w| w[0] == sym.grouping && w[1] == sym.grouping)
    {
        return Err(error(
            "D3089",
            "A sub-picture must not contain two adjacent grouping separators",
        ));
    }
    if let Some(i) = int_part.iter().position(|&c| sym.is_family(c))
        && int_part[i..].contains(&sym.digit)
    {
        return Err(error(
            "D3090",
            "The integer part of the sub-picture must not contain a member of the decimal digit family that is followed by an optional digit character",
        ));
    }
    if let Some(i) = frac_part.iter().position(|&c| c == sym.digit)
        && frac_part[i..].iter().any(|&c| sym.is_family(c))
    {
        return Err(error(
            "D3091",
            "The fractional part of the sub-picture must not contain an optional digit character that is followed by a member of the decimal digit family",
        ));
    }
    if exponent.is_some() && (percents > 0 || per_milles > 0) {
        return Err(error(
            "D3092",
            "A sub-picture that contains a percent or per-mille character must not contain a character treated as an exponent separator",
        ));
    }
    if let Some(e) = exponent
        && e.iter().any(|&c| !sym.is_family(c))
    {
        return Err(error(
            "D3093",
            "The exponent part of the sub-picture must contain only members of the decimal digit family",
        ));
    }

    // Grouping positions, counted in digits from the decimal point.
    let mut int_groups = Vec::new();
    let mut digits_right = 0;
    for &c in int_part.iter().rev() {
        if c == sym.grouping {
            int_groups.push(digits_right);
        } else {
            digits_right += 1;
        }
    }
    let regular = int_groups.first().copied().filter(|&n| {
        n > 0
            && int_groups
                .iter()
                .enumerate()
                .all(|(k, &p)| p == n * (k + 1))
    });
    let mut frac_groups = Vec::new();
    let mut digits_left = 0;
    for &c in frac_part {
        if c == sym.grouping {
            frac_groups.push(digits_left);
        } else {
            digits_left += 1;
        }
    }
    let int_mandatory = int_part.iter().filter(|&&c| sym.is_family(c)).count();
    let int_optional = int_part.iter().filter(|&&c| c == sym.digit).count();
    let frac_mandatory = frac_part.iter().filter(|&&c| sym.is_family(c)).count();
    let frac_optional = frac_part.iter().filter(|&&c| c == sym.digit).count();
    let mut min_int = int_mandatory;
    let mut min_frac = frac_mandatory;
    let mut max_frac = frac_mandatory + frac_optional;
    if min_int == 0 && max_frac == 0 {
        if exponent.is_some() {
            min_frac = 1;
            max_frac = 1;
        } else {
            min_int = 1;
        }
    }
    if exponent.is_some() && min_int == 0 && int_optional > 0 {
        min_int = 1;
    }
    Ok(SubPicture {
        prefix,
        suffix,
        int_groups,
        regular,
        min_int,
        scaling: int_mandatory,
        frac_groups,
        min_frac,
        max_frac,
        min_exp: exponent.map(|e| e.len()).unwrap_or(0),
        has_exponent: exponent.is_some(),
        percent: percents > 0,
        per_mille: per_milles > 0,
    })
}

/// Multiplies by a power of ten in decimal, avoiding binary rounding noise (0.14 × 100).
fn shift(value: f64, places: i32) -> f64 {
    if places == 0 {
        return value;
    }
    format!("{value}e{places}").parse().unwrap_or(value)
}

/// Formats `value` with an XPath decimal-format picture.
pub(crate) fn format_number(value: f64, picture: &str, sym: &Symbols) -> Result<String> {
    let chars: Vec<char> = picture.chars().collect();
    let parts: Vec<&[char]> = chars.split(|&c| c == sym.separator).collect();
    if parts.len() > 2 {
        return Err(error(
            "D3080",
            "The picture string must only contain a maximum of two sub-pictures",
        ));
    }
    let positive = analyse(parts[0], sym)?;
    let negative = match parts.get(1) {
        Some(p) => Some(analyse(p, sym)?),
        None => None,
    };
    if value.is_nan() {
        return Ok(sym.nan.clone());
    }
    let (pic, prefix) = if value < 0.0 {
        match &negative {
            Some(n) => (n, n.prefix.clone()),
            None => (&positive, format!("{}{}", sym.minus, positive.prefix)),
        }
    } else {
        (&positive, positive.prefix.clone())
    };
    let mut magnitude = value.abs();
    // Scaled in binary, as jsonata does: the rounding below sees the same doubles.
    if pic.percent {
        magnitude *= 100.0;
    } else if pic.per_mille {
        magnitude *= 1000.0;
    }
    if magnitude.is_infinite() {
        return Ok(format!("{prefix}{}{}", sym.infinity, pic.suffix));
    }
    let mut exponent = 0i32;
    if pic.has_exponent && magnitude != 0.0 {
        let scaling = pic.scaling as i32;
        exponent = magnitude.log10().floor() as i32 + 1 - scaling;
        // log10 can be one off near powers of ten; settle it on the decimal value.
        for _ in 0..4 {
            let m = shift(magnitude, -exponent);
            if m >= 10f64.powi(scaling) {
                exponent += 1;
            } else if m < 10f64.powi(scaling - 1) {
                exponent -= 1;
            } else {
                break;
            }
        }
        let mantissa = shift(magnitude, -exponent);
        // jsonata scales a power of ten down only to the top of the range: 100 with `0e0`
        // is "10e1", not "1e2".
        if mantissa == 10f64.powi(scaling - 1) && magnitude >= 10f64.powi(scaling) {
            exponent -= 1;
        }
        magnitude = if exponent >= 0 {
            magnitude / 10f64.powi(exponent)
        } else {
            magnitude * 10f64.powi(-exponent)
        };
    }
    // Doubles from 2^53 up are integers already (and scaling them could overflow).
    let rounded = if magnitude >= 9_007_199_254_740_992.0 {
        magnitude
    } else {
        round_half_even(magnitude, pic.max_frac as i32)
    };
    let text = format!("{}", rounded.abs());
    let (int_digits, frac_digits) = match text.find('.') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text.as_str(), ""),
    };
    let int_digits = int_digits.trim_start_matches('0');
    let mut frac: Vec<u8> = frac_digits.bytes().take(pic.max_frac).collect();
    while frac.len() < pic.min_frac {
        frac.push(b'0');
    }
    while frac.len() > pic.min_frac && frac.last() == Some(&b'0') {
        frac.pop();
    }
    let mut int: Vec<u8> = Vec::new();
    int.extend(std::iter::repeat_n(
        b'0',
        pic.min_int.saturating_sub(int_digits.len()),
    ));
    int.extend(int_digits.bytes());
    if pic.min_int == 0 && frac.is_empty() && pic.max_frac > 0 {
        // Without mandatory integer digits, jsonata always writes a fraction (`#.#` gives
        // "100.0" and ".0").
        frac.push(b'0');
    }

    let mut out = String::with_capacity(prefix.len() + int.len() * 2 + frac.len() * 2 + 8);
    out.push_str(&prefix);
    let mut int_chars: Vec<char> = Vec::with_capacity(int.len() * 2);
    for (i, &d) in int.iter().rev().enumerate() {
        if i > 0 {
            let grouped = match pic.regular {
                Some(n) => i % n == 0,
                None => pic.int_groups.contains(&i),
            };
            if grouped {
                int_chars.push(sym.grouping);
            }
        }
        int_chars.push(sym.render_digit(d));
    }
    out.extend(int_chars.iter().rev());
    if !frac.is_empty() {
        out.push(sym.decimal);
        for (i, &d) in frac.iter().enumerate() {
            if i > 0 && pic.frac_groups.contains(&i) {
                out.push(sym.grouping);
            }
            out.push(sym.render_digit(d));
        }
    }
    if pic.has_exponent {
        out.push(sym.exponent);
        if exponent < 0 {
            out.push_str(&sym.minus);
        }
        let digits = exponent.unsigned_abs().to_string();
        for _ in digits.len()..pic.min_exp {
            out.push(sym.render_digit(b'0'));
        }
        for d in digits.bytes() {
            out.push(sym.render_digit(d));
        }
    }
    out.push_str(&pic.suffix);
    Ok(out)
}
