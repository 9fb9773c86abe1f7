//! Integer pictures (XPath `format-integer`): `$formatInteger`, `$parseInteger` and the
//! numeric components of date/time pictures.
//!
//! A picture is a primary token and an optional `;` modifier:
//!
//! - a decimal digit pattern: digits of one Unicode decimal family (mandatory), `#` (optional
//!   digits) and grouping separators (any other non-alphanumeric character), e.g. `#,##0`;
//! - `a`/`A` letters (`a`..`z`, `aa`..), `i`/`I` roman numerals, `w`/`W`/`Ww` English words;
//! - the modifier `o` asks for an ordinal (`1st`, `first`), `c` for a cardinal (the default).

use super::super::error::{JsonataError, Result};

/// How words are capitalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Case {
    Lower,
    Upper,
    Title,
}

impl Case {
    pub(crate) fn apply(self, s: &str) -> String {
        match self {
            Case::Lower => s.to_lowercase(),
            Case::Upper => s.to_uppercase(),
            Case::Title => {
                let mut out = String::with_capacity(s.len());
                let mut word = String::new();
                let flush = |word: &mut String, out: &mut String| {
                    if word == "and" {
                        out.push_str(word);
                    } else {
                        let mut cs = word.chars();
                        if let Some(first) = cs.next() {
                            out.extend(first.to_uppercase());
                            out.push_str(&cs.as_str().to_lowercase());
                        }
                    }
                    word.clear();
                };
                for c in s.chars() {
                    if c.is_alphabetic() {
                        word.push(c);
                    } else {
                        flush(&mut word, &mut out);
                        out.push(c);
                    }
                }
                flush(&mut word, &mut out);
                out
            }
        }
    }
}

/// A decimal digit pattern such as `#,##0` or `٠٠٠`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Decimal {
    /// The code point of the family's zero digit.
    pub zero: u32,
    /// How many digits are always written (zero-padded).
    pub mandatory: usize,
    /// Grouping separators: digits to their right, and the separator.
    pub groups: Vec<(usize, char)>,
    /// Every `n` digits the separator repeats, when the pattern's grouping is regular.
    pub regular: Option<(usize, char)>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Primary {
    Decimal(Decimal),
    Roman(Case),
    Alpha(Case),
    Words(Case),
}

/// A parsed `$formatInteger` picture.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Picture {
    pub primary: Primary,
    pub ordinal: bool,
}

impl Picture {
    pub(crate) fn parse(picture: &str) -> Result<Picture> {
        let (token, modifier) = match picture.rfind(';') {
            Some(i) => (&picture[..i], &picture[i + 1..]),
            None => (picture, ""),
        };
        Ok(Picture {
            primary: Primary::parse(token)?,
            ordinal: modifier.starts_with('o'),
        })
    }
}

/// The zero code points of the Unicode decimal digit families (category Nd); each family is
/// ten consecutive code points.
const DIGIT_ZEROS: &[u32] = &[
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0,
    0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E950,
    0x1FBF0,
];

/// The family zero and value of a Unicode decimal digit.
pub(crate) fn decimal_digit(c: char) -> Option<(u32, u32)> {
    let cp = c as u32;
    DIGIT_ZEROS
        .iter()
        .find(|&&z| cp >= z && cp < z + 10)
        .map(|&z| (z, cp - z))
}

fn unsupported(token: &str) -> JsonataError {
    let first = token.chars().next().map(String::from).unwrap_or_default();
    JsonataError::new(
        "D3130",
        format!(
            "Formatting or parsing an integer as a sequence starting with {first} is not supported by this implementation"
        ),
    )
}

impl Primary {
    pub(crate) fn parse(token: &str) -> Result<Primary> {
        Ok(match token {
            "A" => Primary::Alpha(Case::Upper),
            "a" => Primary::Alpha(Case::Lower),
            "I" => Primary::Roman(Case::Upper),
            "i" => Primary::Roman(Case::Lower),
            "W" => Primary::Words(Case::Upper),
            "w" => Primary::Words(Case::Lower),
            "Ww" => Primary::Words(Case::Title),
            _ => Primary::Decimal(Decimal::parse(token)?),
        })
    }
}

impl Decimal {
    pub(crate) fn parse(token: &str) -> Result<Decimal> {
        let mut zero = None;
        let mut mandatory = 0;
        let mut positions = 0usize;
        let mut separators: Vec<(usize, char)> = Vec::new();
        for c in token.chars() {
            if let Some((z, _)) = decimal_digit(c) {
                if zero.is_some_and(|zz| zz != z) {
                    return Err(JsonataError::new(
                        "D3131",
                        "In a decimal digit pattern, all digits must be from the same decimal group"
                            .into(),
                    ));
                }
                zero = Some(z);
                mandatory += 1;
                positions += 1;
            } else if c == '#' {
                positions += 1;
            } else if c.is_alphanumeric() {
                return Err(unsupported(token));
            } else {
                // Position counted from the left for now.
                separators.push((positions, c));
            }
        }
        let Some(zero) = zero else {
            return Err(unsupported(token));
        };
        let groups: Vec<(usize, char)> = separators
            .iter()
            .rev()
            .map(|&(p, c)| (positions - p, c))
            .filter(|&(p, _)| p > 0)
            .collect();
        Ok(Decimal {
            zero,
            mandatory,
            regular: regular_grouping(&groups),
            groups,
        })
    }

    /// Writes `digits` (ASCII, most significant first) in this pattern's family, zero-padded
    /// to `width` digits and grouped.
    pub(crate) fn render(&self, digits: &str, width: usize) -> String {
        let mut ascii: Vec<u8> = Vec::with_capacity(width.max(digits.len()));
        ascii.extend(std::iter::repeat_n(
            b'0',
            width.saturating_sub(digits.len()),
        ));
        ascii.extend(digits.bytes());
        let mut out: Vec<char> = Vec::with_capacity(ascii.len() * 2);
        for (i, d) in ascii.iter().rev().enumerate() {
            if i > 0 {
                if let Some((n, sep)) = self.regular {
                    if i % n == 0 {
                        out.push(sep);
                    }
                } else if let Some(&(_, sep)) = self.groups.iter().find(|(p, _)| *p == i) {
                    out.push(sep);
                }
            }
            let value = u32::from(d.wrapping_sub(b'0')).min(9);
            out.push(char::from_u32(self.zero + value).unwrap_or('?'));
        }
        out.iter().rev().collect()
    }

    /// Whether `c` may appear in a number written with this pattern.
    pub(crate) fn accepts(&self, c: char) -> bool {
        self.digit(c).is_some() || self.groups.iter().any(|&(_, s)| s == c)
    }

    pub(crate) fn digit(&self, c: char) -> Option<u32> {
        let cp = c as u32;
        if cp >= self.zero && cp < self.zero + 10 {
            Some(cp - self.zero)
        } else if c.is_ascii_digit() {
            Some(cp - 0x30)
        } else {
            None
        }
    }

    /// Reads a number written with this pattern: separators are dropped, then the leading
    /// digits count (JavaScript's `parseInt`: `12th` is 12, `a12` is nothing).
    pub(crate) fn read(&self, text: &str) -> Option<f64> {
        let mut ascii = String::with_capacity(text.len());
        for c in text.chars() {
            match self.digit(c) {
                Some(d) => ascii.push(char::from_digit(d, 10)?),
                None if self.groups.iter().any(|&(_, s)| s == c) => {}
                None => ascii.push(c),
            }
        }
        let trimmed = ascii.trim_start();
        let (negative, rest) = match trimmed.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let value: f64 = rest[..end].parse().ok()?;
        Some(if negative { -value } else { value })
    }
}

/// Separators at N, 2N, 3N.. digits from the right, all the same character, repeat every N.
fn regular_grouping(groups: &[(usize, char)]) -> Option<(usize, char)> {
    let &(first, sep) = groups.first()?;
    let regular = groups
        .iter()
        .enumerate()
        .all(|(k, &(p, c))| c == sep && p == first * (k + 1));
    regular.then_some((first, sep))
}

/// The decimal digits of a non-negative integral double, as JavaScript prints it.
pub(crate) fn integer_digits(n: f64) -> String {
    let s = format!("{}", n.abs().trunc());
    match s.find('.') {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The English ordinal suffix of the number whose decimal digits are `digits`.
pub(crate) fn ordinal_suffix(digits: &str) -> &'static str {
    let b = digits.as_bytes();
    let last = b.last().copied().unwrap_or(b'0');
    let tens = if b.len() >= 2 { b[b.len() - 2] } else { b'0' };
    if tens == b'1' {
        return "th";
    }
    match last {
        b'1' => "st",
        b'2' => "nd",
        b'3' => "rd",
        _ => "th",
    }
}

/// Numbers from here on are written in decimal digits instead of roman numerals (a roman
/// numeral has a letter per thousand) or letters.
const MAX_ROMAN: f64 = 1e7;
const MAX_ALPHA: f64 = 9_007_199_254_740_992.0;

/// Formats `value` (already an integer); a decimal pattern pads to `width` digits, or to its
/// mandatory digits when `None`.
pub(crate) fn format(value: f64, primary: &Primary, ordinal: bool, width: Option<usize>) -> String {
    let negative = value < 0.0;
    let magnitude = value.abs();
    let digits = integer_digits(magnitude);
    let body = match primary {
        Primary::Decimal(d) => {
            let mut s = d.render(&digits, width.unwrap_or(d.mandatory));
            if ordinal {
                s.push_str(ordinal_suffix(&digits));
            }
            s
        }
        Primary::Roman(case) if magnitude < MAX_ROMAN => case.apply(&roman(magnitude as u32)),
        Primary::Alpha(case) if magnitude < MAX_ALPHA => case.apply(&alpha(magnitude as u64)),
        Primary::Words(case) => {
            let mut w = words(&digits);
            if ordinal {
                w = ordinal_words(&w);
            }
            case.apply(&w)
        }
        Primary::Roman(_) | Primary::Alpha(_) => digits,
    };
    if negative { format!("-{body}") } else { body }
}

const ROMAN: &[(u32, &str)] = &[
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
];

fn roman(mut n: u32) -> String {
    let mut out = String::new();
    for &(value, symbol) in ROMAN {
        while n >= value {
            out.push_str(symbol);
            n -= value;
        }
    }
    out
}

pub(crate) fn read_roman(text: &str) -> Option<f64> {
    let values: Vec<u32> = text
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            'i' => Some(1),
            'v' => Some(5),
            'x' => Some(10),
            'l' => Some(50),
            'c' => Some(100),
            'd' => Some(500),
            'm' => Some(1000),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let mut total: i64 = 0;
    for (i, &v) in values.iter().enumerate() {
        if values.get(i + 1).is_some_and(|&next| next > v) {
            total -= i64::from(v);
        } else {
            total += i64::from(v);
        }
    }
    Some(total as f64)
}

fn alpha(mut n: u64) -> String {
    let mut out = Vec::new();
    while n > 0 {
        n -= 1;
        out.push(b'a' + (n % 26) as u8);
        n /= 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Reads letters as a bijective base-26 number (`a` is 1, `aa` 27), counting from `a` or
/// `A` as the picture's case says; like jsonata, other characters count from there too.
pub(crate) fn read_alpha(text: &str, case: Case) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let base = if case == Case::Upper { 'A' } else { 'a' };
    let mut n = 0f64;
    for c in text.chars() {
        n = n * 26.0 + (f64::from(c as u32) - f64::from(base as u32) + 1.0);
    }
    Some(n)
}

const SMALL: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];

const TENS: [&str; 10] = [
    "", "ten", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

const SCALES: [&str; 5] = ["", "thousand", "million", "billion", "trillion"];

/// English words for the integer whose decimal digits are `digits`; above the trillions the
/// scales compound ("one thousand trillion").
pub(crate) fn words(digits: &str) -> String {
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return SMALL[0].to_string();
    }
    let mut out = String::new();
    write_words(digits, &mut out);
    out
}

fn write_words(digits: &str, out: &mut String) {
    let len = digits.len();
    if len <= 3 {
        let n: usize = digits.parse().unwrap_or(0);
        write_below_thousand(n, out);
        return;
    }
    let scale = ((len - 1) / 3).min(4);
    let (high, low) = digits.split_at(len - 3 * scale);
    write_words(high, out);
    out.push(' ');
    out.push_str(SCALES[scale]);
    let low = low.trim_start_matches('0');
    if low.is_empty() {
        return;
    }
    if low.len() <= 2 {
        out.push_str(" and ");
    } else {
        out.push_str(", ");
    }
    write_words(low, out);
}

fn write_below_thousand(n: usize, out: &mut String) {
    if n >= 100 {
        out.push_str(SMALL[n / 100]);
        out.push_str(" hundred");
        if !n.is_multiple_of(100) {
            out.push_str(" and ");
            write_below_thousand(n % 100, out);
        }
    } else if n >= 20 {
        out.push_str(TENS[n / 10]);
        if !n.is_multiple_of(10) {
            out.push('-');
            out.push_str(SMALL[n % 10]);
        }
    } else {
        out.push_str(SMALL[n]);
    }
}

fn ordinal_word(word: &str) -> String {
    match word {
        "one" => "first".into(),
        "two" => "second".into(),
        "three" => "third".into(),
        "five" => "fifth".into(),
        "eight" => "eighth".into(),
        "nine" => "ninth".into(),
        "twelve" => "twelfth".into(),
        w => match w.strip_suffix('y') {
            Some(stem) => format!("{stem}ieth"),
            None => format!("{w}th"),
        },
    }
}

/// Turns cardinal words into ordinal words by changing the last word.
pub(crate) fn ordinal_words(cardinal: &str) -> String {
    let split = cardinal.rfind([' ', '-']).map(|i| i + 1).unwrap_or(0);
    format!("{}{}", &cardinal[..split], ordinal_word(&cardinal[split..]))
}

/// The value of one number word (cardinal or ordinal), lower case.
fn word_value(word: &str) -> Option<f64> {
    for (i, w) in SMALL.iter().enumerate() {
        if word == *w || word == ordinal_word(w) {
            return Some(i as f64);
        }
    }
    for (i, w) in TENS.iter().enumerate().skip(2) {
        if word == *w || word == ordinal_word(w) {
            return Some(10.0 * i as f64);
        }
    }
    if word == "hundred" || word == "hundredth" {
        return Some(100.0);
    }
    for (i, w) in SCALES.iter().enumerate().skip(1) {
        if word == *w || word == ordinal_word(w) {
            return Some(1000f64.powi(i as i32));
        }
    }
    None
}

/// Reads English number words ("three thousand, seven hundred and thirty-first").
pub(crate) fn read_words(text: &str) -> Option<f64> {
    let lower = text.to_lowercase();
    let mut total = 0f64;
    let mut current = 0f64;
    let mut largest = 0f64;
    let mut any = false;
    for word in lower.split([' ', '-', ',']).filter(|w| !w.is_empty()) {
        if word == "and" {
            continue;
        }
        let value = word_value(word)?;
        any = true;
        if value < 100.0 {
            current += value;
        } else if value == 100.0 {
            current = if current == 0.0 {
                100.0
            } else {
                current * 100.0
            };
        } else if current == 0.0 {
            total = if total == 0.0 { value } else { total * value };
            largest = largest.max(value);
        } else if value > largest {
            total = (total + current) * value;
            largest = value;
            current = 0.0;
        } else {
            total += current * value;
            current = 0.0;
        }
    }
    any.then_some(total + current)
}

/// Reads `text` as a whole number written with `picture`; `None` when it is not one (which
/// jsonata reports as NaN).
pub(crate) fn read(text: &str, picture: &Picture) -> Option<f64> {
    match &picture.primary {
        Primary::Decimal(d) => d.read(text),
        Primary::Roman(_) => read_roman(text),
        Primary::Alpha(case) => read_alpha(text, *case),
        Primary::Words(_) => read_words(text),
    }
}
