//! Date/time pictures (XPath `format-dateTime`, F&O 3.1 §9.8) for `$fromMillis` and `$now`,
//! and the same pictures read backwards by `$toMillis(text, picture)`.
//!
//! A picture is literal text with variable markers such as `[Y0001]`, `[MNn,3-3]` or `[D1o]`:
//! a component letter, a presentation (an integer picture, `N`/`n`/`Nn` for names), an
//! optional second modifier (`o` ordinal, `t` for `Z` at offset zero) and an optional width
//! after the last comma. `[[` and `]]` are literal brackets; whitespace inside a marker is
//! ignored.

use chrono::{Datelike, NaiveDate, Timelike};

use super::super::error::{JsonataError, Result};
use super::integer::{self, Case, Decimal, Primary};

const COMPONENTS: &str = "YMDdFWwXxHhPmsfZzCE";

/// The picture `$fromMillis` uses when given only a timezone.
pub(crate) const ISO_PICTURE: &str = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

#[derive(Debug)]
enum Presentation {
    Name(Case),
    Int(Primary),
    /// A timezone offset written like the digits and separator of e.g. `01:01`.
    Zone(String),
    /// The calendar and era: always "ISO".
    Iso,
}

#[derive(Debug)]
struct Marker {
    component: char,
    presentation: Presentation,
    ordinal: bool,
    /// `t`: write a zero timezone offset as `Z`.
    zulu: bool,
    min_width: Option<usize>,
    max_width: Option<usize>,
}

#[derive(Debug)]
enum Part {
    Literal(String),
    Marker(Marker),
}

fn error(code: &str, message: String) -> JsonataError {
    JsonataError::new(code, message)
}

fn parse_picture(picture: &str) -> Result<Vec<Part>> {
    let chars: Vec<char> = picture.chars().collect();
    let mut raw: Vec<std::result::Result<String, String>> = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '[' {
            if chars.get(i + 1) == Some(&'[') {
                literal.push('[');
                i += 2;
                continue;
            }
            let Some(len) = chars[i + 1..].iter().position(|&c| c == ']') else {
                return Err(error(
                    "D3135",
                    "No matching closing bracket ']' in date/time picture string".into(),
                ));
            };
            if !literal.is_empty() {
                raw.push(Ok(std::mem::take(&mut literal)));
            }
            let content: String = chars[i + 1..i + 1 + len]
                .iter()
                .filter(|c| !c.is_whitespace())
                .collect();
            raw.push(Err(content));
            i += len + 2;
        } else {
            if c == ']' && chars.get(i + 1) == Some(&']') {
                i += 1;
            }
            literal.push(c);
            i += 1;
        }
    }
    if !literal.is_empty() {
        raw.push(Ok(literal));
    }
    raw.into_iter()
        .map(|r| match r {
            Ok(text) => Ok(Part::Literal(text)),
            Err(content) => Ok(Part::Marker(parse_marker(&content)?)),
        })
        .collect()
}

/// Widths above this are taken as this (a picture must not ask for a gigabyte of padding).
const MAX_WIDTH: usize = 64;

fn parse_width(width: &str) -> (Option<usize>, Option<usize>) {
    let bound = |s: &str| -> Option<usize> {
        if s == "*" {
            None
        } else {
            s.parse::<u64>()
                .ok()
                .map(|n| n.min(MAX_WIDTH as u64) as usize)
        }
    };
    match width.split_once('-') {
        Some((min, max)) => (bound(min), bound(max)),
        None => (bound(width), None),
    }
}

fn parse_marker(content: &str) -> Result<Marker> {
    let mut chars = content.chars();
    let Some(component) = chars.next().filter(|c| COMPONENTS.contains(*c)) else {
        return Err(error(
            "D3132",
            format!("Unknown component specifier {content} in date/time picture string"),
        ));
    };
    let rest = chars.as_str();
    let (presentation, width) = match rest.rfind(',') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (min_width, max_width) = width.map(parse_width).unwrap_or((None, None));
    // A trailing o/c/a/t after a longer presentation is the second modifier.
    let mut primary = presentation;
    let mut second = None;
    if presentation.chars().count() > 1
        && let Some(last) = presentation.chars().last()
        && matches!(last, 'o' | 'c' | 'a' | 't')
    {
        primary = &presentation[..presentation.len() - 1];
        second = Some(last);
    }
    let primary = if primary.is_empty() {
        match component {
            'F' | 'P' => "n",
            'C' | 'E' => "N",
            'm' | 's' => "01",
            'Z' | 'z' => "01:01",
            _ => "1",
        }
    } else {
        primary
    };
    let name = match primary {
        "N" => Some(Case::Upper),
        "n" => Some(Case::Lower),
        "Nn" => Some(Case::Title),
        _ => None,
    };
    let presentation = match (name, component) {
        (_, 'C' | 'E') => Presentation::Iso,
        (Some(case), 'M' | 'F' | 'P' | 'x' | 'Z' | 'z') => Presentation::Name(case),
        (Some(_), _) => {
            return Err(error(
                "D3133",
                format!(
                    "The 'name' modifier can only be applied to months and days in the date/time picture string, not {component}"
                ),
            ));
        }
        (None, 'Z' | 'z') => {
            if primary.chars().filter(char::is_ascii_digit).count() > 4 {
                return Err(error(
                    "D3134",
                    "The timezone integer format specifier cannot have more than four digits"
                        .into(),
                ));
            }
            Presentation::Zone(primary.to_string())
        }
        (None, 'P') => Presentation::Name(Case::Lower),
        (None, _) => Presentation::Int(Primary::parse(primary)?),
    };
    Ok(Marker {
        component,
        presentation,
        ordinal: second == Some('o'),
        zulu: second == Some('t'),
        min_width,
        max_width,
    })
}

/// The calendar fields of an instant in some timezone.
struct Fields {
    date: NaiveDate,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
    offset: i32,
}

fn fields(millis: f64, offset: i32) -> Option<Fields> {
    let shifted = (millis.floor() as i64).checked_add(i64::from(offset) * 60_000)?;
    let dt = chrono::DateTime::from_timestamp_millis(shifted)?.naive_utc();
    Some(Fields {
        date: dt.date(),
        hour: dt.hour(),
        minute: dt.minute(),
        second: dt.second(),
        millis: dt.nanosecond() / 1_000_000,
        offset,
    })
}

/// Parses a `$fromMillis` timezone such as `+0100`, `-0500` or `0000` into minutes: the
/// last two characters are the minutes, the rest the signed hours (so `+01:00` works too).
pub(crate) fn parse_timezone(tz: &str) -> Result<i32> {
    let invalid = || {
        error(
            "D3110",
            format!("The timezone {tz} is not in the form ±HHMM"),
        )
    };
    let split = tz
        .char_indices()
        .rev()
        .nth(1)
        .map(|(i, _)| i)
        .ok_or_else(invalid)?;
    let (hours, minutes) = tz.split_at(split);
    let (negative, hours) = match hours.strip_prefix('-') {
        Some(h) => (true, h),
        None => (false, hours.strip_prefix('+').unwrap_or(hours)),
    };
    let hours = hours.trim_end_matches(':');
    let valid = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !valid(hours) || !valid(minutes) {
        return Err(invalid());
    }
    let minutes = hours.parse::<i32>().unwrap_or(0) * 60 + minutes.parse::<i32>().unwrap_or(0);
    Ok(if negative { -minutes } else { minutes })
}

/// Formats `millis` with a date/time picture in the timezone `offset` (minutes east of UTC).
pub(crate) fn format(millis: f64, picture: &str, offset: i32) -> Result<String> {
    let parts = parse_picture(picture)?;
    let Some(f) = fields(millis, offset) else {
        return Err(error(
            "D3110",
            format!("The timestamp {millis} is out of range"),
        ));
    };
    let mut out = String::new();
    for part in &parts {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Marker(m) => out.push_str(&format_marker(m, &f)),
        }
    }
    Ok(out)
}

/// Week of the month (weeks start on Monday and belong to the month of their Thursday) and
/// that month.
fn week_of_month(date: NaiveDate) -> (u32, NaiveDate) {
    let monday = date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()));
    let thursday = monday + chrono::Days::new(3);
    let first = thursday.with_day(1).unwrap_or(thursday);
    let first_thursday = 1 + (3 + 7 - first.weekday().num_days_from_monday()) % 7;
    ((thursday.day() - first_thursday) / 7 + 1, thursday)
}

fn component_value(component: char, f: &Fields) -> f64 {
    let d = f.date;
    f64::from(match component {
        'Y' => return f64::from(d.year()),
        'M' => d.month(),
        'D' => d.day(),
        'd' => d.ordinal(),
        'F' => d.weekday().number_from_monday(),
        'W' => d.iso_week().week(),
        'X' => return f64::from(d.iso_week().year()),
        'w' => week_of_month(d).0,
        'x' => week_of_month(d).1.month(),
        'H' => f.hour,
        'h' => match f.hour % 12 {
            0 => 12,
            h => h,
        },
        'm' => f.minute,
        's' => f.second,
        'f' => f.millis,
        _ => 0,
    })
}

fn truncate(s: &str, max: Option<usize>) -> String {
    match max {
        Some(n) => s.chars().take(n).collect(),
        None => s.to_string(),
    }
}

fn format_marker(m: &Marker, f: &Fields) -> String {
    let value = component_value(m.component, f);
    match &m.presentation {
        Presentation::Iso => "ISO".into(),
        Presentation::Name(case) => {
            let name = match m.component {
                'M' | 'x' => MONTHS[(value as usize).clamp(1, 12) - 1],
                'F' => DAYS[(value as usize).clamp(1, 7) - 1],
                'P' => {
                    if f.hour < 12 {
                        "am"
                    } else {
                        "pm"
                    }
                }
                _ => return format_zone(f.offset, "01:01", m.zulu, m.component == 'z'),
            };
            truncate(&case.apply(name), m.max_width)
        }
        Presentation::Zone(pattern) => format_zone(f.offset, pattern, m.zulu, m.component == 'z'),
        Presentation::Int(primary) => {
            let Primary::Decimal(d) = primary else {
                return integer::format(value, primary, m.ordinal, None);
            };
            let min_width = m.min_width.unwrap_or(0);
            let width = d
                .mandatory
                .max(min_width)
                .min(m.max_width.unwrap_or(usize::MAX));
            // Fractional seconds are written as milliseconds, as jsonata does (`[f01]` is
            // "123" at .123, `[f0001]` "0123").
            match m.component {
                'Y' => {
                    // A maximum width, or a two-digit pattern, drops the century.
                    let year = match m.max_width {
                        Some(max) if max > 0 && max < 10 => value % 10f64.powi(max as i32),
                        None if width == 2 => value % 100.0,
                        _ => value,
                    };
                    integer::format(year, primary, m.ordinal, Some(width))
                }
                _ => integer::format(value, primary, m.ordinal, Some(width)),
            }
        }
    }
}

fn format_zone(offset: i32, pattern: &str, zulu: bool, gmt: bool) -> String {
    if zulu && offset == 0 {
        return "Z".into();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let hours = offset.unsigned_abs() / 60;
    let minutes = offset.unsigned_abs() % 60;
    let digits = pattern.chars().filter(char::is_ascii_digit).count();
    let separator = pattern.chars().find(|c| !c.is_ascii_digit());
    let mut out = String::new();
    if gmt {
        out.push_str("GMT");
    }
    out.push(sign);
    match separator {
        Some(sep) if digits >= 3 => {
            let width = pattern.chars().take_while(char::is_ascii_digit).count();
            out.push_str(&format!("{hours:0width$}{sep}{minutes:02}"));
        }
        _ if digits <= 2 => {
            out.push_str(&format!("{hours:0digits$}"));
            if minutes != 0 {
                out.push(separator.unwrap_or(':'));
                out.push_str(&format!("{minutes:02}"));
            }
        }
        _ => {
            let width = digits - 2;
            out.push_str(&format!("{hours:0width$}{minutes:02}"));
        }
    }
    out
}

// ----- parsing -----

/// Candidate ends of a marker's text and the value read; tried longest first.
type Candidates = Vec<(usize, f64)>;

/// Attempts a parse may make before giving up (the pictures are user input).
const MATCH_BUDGET: usize = 10_000;

/// Longest run of characters one numeric marker may read (words: [`MAX_WORDS_RUN`]).
const MAX_RUN: usize = 64;
const MAX_WORDS_RUN: usize = 512;

/// Days from 1970-01-01 to a proleptic Gregorian date; months and days outside their range
/// carry over, as JavaScript's `Date.UTC` does.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = year + (month - 1).div_euclid(12);
    let month = (month - 1).rem_euclid(12) + 1;
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 + (day - 1)
}

/// Reads `text` with a date/time picture; `Ok(None)` when the text does not match.
pub(crate) fn parse(text: &str, picture: &str, now: i64) -> Result<Option<f64>> {
    let parts = parse_picture(picture)?;
    let present = |c: char| {
        parts
            .iter()
            .any(|p| matches!(p, Part::Marker(m) if m.component == c))
    };
    if ['W', 'w', 'X', 'x'].iter().any(|&c| present(c)) {
        return Err(missing_components());
    }
    let by_day_of_year = present('d');
    let order: &[&[char]] = if by_day_of_year {
        &[&['Y'], &['d'], &['H', 'h'], &['m'], &['s'], &['f']]
    } else {
        &[&['Y'], &['M'], &['D'], &['H', 'h'], &['m'], &['s'], &['f']]
    };
    let given: Vec<bool> = order
        .iter()
        .map(|cs| cs.iter().any(|&c| present(c)))
        .collect();
    let first = given.iter().position(|&g| g);
    let last = given.iter().rposition(|&g| g);
    if let (Some(first), Some(last)) = (first, last)
        && given[first..=last].iter().any(|&g| !g)
    {
        return Err(missing_components());
    }
    if !parts.iter().any(|p| matches!(p, Part::Marker(_))) {
        return Ok(None);
    }
    let chars: Vec<char> = text.chars().collect();
    let Some(values) = match_parts(&parts, &chars) else {
        return Ok(None);
    };
    if values.iter().any(|v| v.is_nan()) {
        return Err(missing_components());
    }
    let value_of = |c: char| -> Option<f64> {
        parts.iter().zip(&values).find_map(|(p, v)| match p {
            Part::Marker(m) if m.component == c => Some(*v),
            _ => None,
        })
    };
    let Some(today) = fields(now as f64, 0) else {
        return Ok(None);
    };
    let first = first.unwrap_or(given.len());
    // Fields above the first given one come from today; those below take their minimum.
    let pick = |index: usize, c: char, current: f64, minimum: f64| -> f64 {
        match value_of(c) {
            Some(v) => v,
            None if index < first => current,
            None => minimum,
        }
    };
    let mut year = pick(0, 'Y', f64::from(today.date.year()), 1970.0);
    if (0.0..100.0).contains(&year) {
        // JavaScript's `Date.UTC` reads years 0 to 99 as 1900 to 1999.
        year += 1900.0;
    }
    let sane = |v: f64| v.abs() < 1e7;
    let days = if by_day_of_year {
        let day = pick(1, 'd', f64::from(today.date.ordinal()), 1.0);
        if !sane(year) || !sane(day) {
            return Ok(None);
        }
        days_from_civil(year as i64, 1, 1) + day as i64 - 1
    } else {
        // A month of 0 counts as missing (January), as in jsonata.
        let month = match pick(1, 'M', f64::from(today.date.month()), 1.0) {
            0.0 => 1.0,
            m => m,
        };
        let day = pick(2, 'D', f64::from(today.date.day()), 1.0);
        if !sane(year) || !sane(month) || !sane(day) {
            return Ok(None);
        }
        days_from_civil(year as i64, month as i64, day as i64)
    };
    let base = if by_day_of_year { 2 } else { 3 };
    let hour = match value_of('h') {
        Some(h) => {
            let pm = value_of('P').is_some_and(|p| p == 1.0);
            h % 12.0 + if pm { 12.0 } else { 0.0 }
        }
        None => pick(base, 'H', f64::from(today.hour), 0.0),
    };
    let minute = pick(base + 1, 'm', f64::from(today.minute), 0.0);
    let second = pick(base + 2, 's', f64::from(today.second), 0.0);
    let millis = pick(base + 3, 'f', f64::from(today.millis), 0.0);
    let offset = value_of('Z').or_else(|| value_of('z')).unwrap_or(0.0);
    let total = days as f64 * 86_400_000.0
        + hour * 3_600_000.0
        + minute * 60_000.0
        + second * 1000.0
        + millis
        - offset * 60_000.0;
    Ok(Some(total))
}

fn missing_components() -> JsonataError {
    error(
        "D3136",
        "The date/time picture string is missing specified components".into(),
    )
}

/// Matches the whole text against the picture's parts, backtracking over the candidate
/// lengths of each marker; returns the value read for each part (0 for literals).
fn match_parts(parts: &[Part], chars: &[char]) -> Option<Vec<f64>> {
    // One frame per part: its candidates and the next candidate to try.
    let mut frames: Vec<(Candidates, usize)> = Vec::with_capacity(parts.len());
    let mut budget = MATCH_BUDGET;
    let mut pos = 0;
    loop {
        budget = budget.checked_sub(1)?;
        if frames.len() == parts.len() {
            if pos == chars.len() {
                return Some(frames.iter().map(|(c, next)| c[next - 1].1).collect());
            }
        } else {
            let index = frames.len();
            let candidates = candidates(parts, index, chars, pos);
            frames.push((candidates, 0));
        }
        // Advance the top frame to its next candidate, popping exhausted frames.
        loop {
            let (candidates, next) = frames.last_mut()?;
            if *next < candidates.len() {
                pos = candidates[*next].0;
                *next += 1;
                break;
            }
            frames.pop();
        }
    }
}

fn candidates(parts: &[Part], index: usize, chars: &[char], pos: usize) -> Candidates {
    let rest = &chars[pos..];
    match &parts[index] {
        Part::Literal(text) => {
            let lit: Vec<char> = text.chars().collect();
            if rest.starts_with(&lit) {
                vec![(pos + lit.len(), 0.0)]
            } else {
                Vec::new()
            }
        }
        Part::Marker(m) => {
            let adjacent = matches!(parts.get(index + 1), Some(Part::Marker(_)));
            marker_candidates(m, rest, adjacent)
                .into_iter()
                .map(|(len, v)| (pos + len, v))
                .collect()
        }
    }
}

fn starts_with_ignore_case(rest: &[char], word: &str) -> bool {
    let mut i = 0;
    for w in word.chars() {
        match rest.get(i) {
            Some(c) if c.to_lowercase().eq(w.to_lowercase()) => i += 1,
            _ => return false,
        }
    }
    true
}

/// Candidate (length, value) pairs for one marker at the start of `rest`.
fn marker_candidates(m: &Marker, rest: &[char], adjacent: bool) -> Candidates {
    let mut out: Candidates = Vec::new();
    match &m.presentation {
        Presentation::Iso => {
            if starts_with_ignore_case(rest, "ISO") {
                out.push((3, 0.0));
            }
        }
        Presentation::Name(_) if matches!(m.component, 'Z' | 'z') => {
            out.extend(zone_candidate(rest, m.component == 'z', "01:01"));
        }
        Presentation::Name(_) => {
            // Like jsonata, a name is a run of letters, matched against the title-case names
            // (cut to the maximum width, if any) whatever the presentation; one that names
            // nothing is NaN, which `parse` reports as D3136. `am`/`pm` never fail: anything
            // but "pm" or "PM" is am.
            let run = rest
                .iter()
                .take(MAX_RUN)
                .take_while(|c| c.is_alphabetic())
                .count();
            if run > 0 {
                let word: String = rest[..run].iter().collect();
                let value = match m.component {
                    'P' => f64::from(u8::from(word == "pm" || word == "PM")),
                    component => {
                        let names: &[&str] = if component == 'F' { &DAYS } else { &MONTHS };
                        names
                            .iter()
                            .position(|name| word == truncate(name, m.max_width))
                            .map(|i| i as f64 + 1.0)
                            .unwrap_or(f64::NAN)
                    }
                };
                out.push((run, value));
            }
        }
        Presentation::Zone(pattern) => {
            out.extend(zone_candidate(rest, m.component == 'z', pattern))
        }
        Presentation::Int(Primary::Decimal(d)) => {
            decimal_candidates(m, d, rest, adjacent, &mut out)
        }
        Presentation::Int(Primary::Roman(_)) => {
            let run = rest
                .iter()
                .take(MAX_RUN)
                .take_while(|c| "ivxlcdmIVXLCDM".contains(**c))
                .count();
            for len in (1..=run).rev() {
                let s: String = rest[..len].iter().collect();
                if let Some(v) = integer::read_roman(&s) {
                    out.push((len, v));
                }
            }
        }
        Presentation::Int(Primary::Alpha(case)) => {
            let run = rest
                .iter()
                .take(MAX_RUN)
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            for len in (1..=run).rev() {
                let s: String = rest[..len].iter().collect();
                if let Some(v) = integer::read_alpha(&s, *case) {
                    out.push((len, v));
                }
            }
        }
        Presentation::Int(Primary::Words(_)) => {
            let run = rest
                .iter()
                .take(MAX_WORDS_RUN)
                .take_while(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | ','))
                .count();
            for len in (1..=run).rev() {
                let ends_word = rest[len - 1].is_alphabetic()
                    && !rest.get(len).is_some_and(|c| c.is_alphabetic());
                if !ends_word {
                    continue;
                }
                let s: String = rest[..len].iter().collect();
                if let Some(v) = integer::read_words(&s) {
                    out.push((len, v));
                }
            }
        }
    }
    out
}

fn decimal_candidates(
    m: &Marker,
    d: &Decimal,
    rest: &[char],
    adjacent: bool,
    out: &mut Candidates,
) {
    let (min, max) = match (m.min_width, m.max_width) {
        (None, None) if adjacent && d.mandatory > 0 => (d.mandatory, Some(d.mandatory)),
        (min, max) if m.min_width.is_some() || m.max_width.is_some() => (min.unwrap_or(1), max),
        _ => (1, None),
    };
    let run = rest
        .iter()
        .take(MAX_RUN)
        .take_while(|&&c| d.accepts(c))
        .count();
    for len in (1..=run).rev() {
        let body = &rest[..len];
        if d.digit(body[len - 1]).is_none() {
            continue;
        }
        let digits = body.iter().filter(|&&c| d.digit(c).is_some()).count();
        if digits < min || max.is_some_and(|x| digits > x) {
            continue;
        }
        let text: String = body.iter().collect();
        let Some(value) = d.read(&text) else { continue };
        let value = if m.component == 'f' {
            // Fractional seconds: the digits are a fraction; keep milliseconds.
            let ascii: String = body
                .iter()
                .filter_map(|&c| d.digit(c))
                .filter_map(|v| char::from_digit(v, 10))
                .chain(std::iter::repeat('0'))
                .take(3)
                .collect();
            ascii.parse().unwrap_or(0.0)
        } else {
            value
        };
        if m.ordinal {
            let suffix: String = rest[len..].iter().take(2).collect();
            if ["st", "nd", "rd", "th"].contains(&suffix.to_lowercase().as_str()) {
                out.push((len + 2, value));
            }
        } else {
            out.push((len, value));
        }
    }
}

/// `+hh:mm`, `+hhmm` or `+h` (after `GMT` for `[z]`), as minutes east of UTC. Like jsonata,
/// a `Z` is not read as an offset.
fn zone_candidate(rest: &[char], gmt: bool, pattern: &str) -> Option<(usize, f64)> {
    let mut i = 0;
    if gmt && (starts_with_ignore_case(rest, "GMT") || starts_with_ignore_case(rest, "UTC")) {
        i = 3;
    }
    let sign = match rest.get(i) {
        Some('+') => 1.0,
        Some('-') => -1.0,
        _ => return None,
    };
    i += 1;
    let digits = |from: usize| {
        rest[from.min(rest.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let number = |from: usize, len: usize| -> f64 {
        rest[from..from + len]
            .iter()
            .collect::<String>()
            .parse()
            .unwrap_or(0.0)
    };
    // The text has the picture's shape: `01:01` wants `+hh:mm`, `0101` `+hhmm`, `01` `+h`.
    let pattern_digits = pattern.chars().filter(char::is_ascii_digit).count();
    let separator = pattern.chars().find(|c| !c.is_ascii_digit());
    let n = digits(i);
    let (hours, minutes, end) = match (separator, n) {
        (Some(sep), 1 | 2) if pattern_digits >= 3 => {
            let after = i + n;
            if rest.get(after) != Some(&sep) || digits(after + 1) != 2 {
                return None;
            }
            (number(i, n), number(after + 1, 2), after + 3)
        }
        (None, 3 | 4) if pattern_digits >= 3 => (number(i, n - 2), number(i + n - 2, 2), i + n),
        (_, 1 | 2) if pattern_digits <= 2 => {
            let hours = number(i, n);
            let after = i + n;
            if rest.get(after) == Some(&':') && digits(after + 1) == 2 {
                (hours, number(after + 1, 2), after + 3)
            } else {
                (hours, 0.0, after)
            }
        }
        _ => return None,
    };
    Some((end, sign * (hours * 60.0 + minutes)))
}
