//! Formatting and parsing with picture strings: numbers, integers, bases and date/times.

use super::error::{JsonataError, Result};
use super::eval::Ev;
use super::value::{Val, string};

mod datetime;
mod integer;
mod number;

pub(crate) fn format_number<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(value) = args.first().and_then(|v| v.as_num()) else {
        return Ok(Val::Undef);
    };
    let picture = args.get(1).and_then(|v| v.as_str()).unwrap_or("");
    let symbols = match args.get(2) {
        Some(options) => number::Symbols::default().with_options(options),
        None => number::Symbols::default(),
    };
    Ok(string(&number::format_number(value, picture, &symbols)?))
}

pub(crate) fn format_integer<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(value) = args.first().and_then(|v| v.as_num()) else {
        return Ok(Val::Undef);
    };
    let picture = integer::Picture::parse(args.get(1).and_then(|v| v.as_str()).unwrap_or(""))?;
    Ok(string(&integer::format(
        value.floor(),
        &picture.primary,
        picture.ordinal,
        None,
    )))
}

pub(crate) fn parse_integer<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(text) = args.first().and_then(|v| v.as_str()) else {
        return Ok(Val::Undef);
    };
    let picture = integer::Picture::parse(args.get(1).and_then(|v| v.as_str()).unwrap_or(""))?;
    // Text that does not fit the picture is NaN in jsonata, so `null` in JSON.
    Ok(Val::Num(integer::read(text, &picture).unwrap_or(f64::NAN)))
}

pub(crate) fn format_base<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(n) = args.first().and_then(|v| v.as_num()) else {
        return Ok(Val::Undef);
    };
    let radix = args.get(1).and_then(|v| v.as_num()).unwrap_or(10.0);
    if !(2.0..=36.0).contains(&radix) {
        return Err(JsonataError::new(
            "D3100",
            format!(
                "The radix of the formatBase function must be between 2 and 36.  It was given {radix}"
            ),
        ));
    }
    let radix = radix as u32;
    let v = super::functions::round_half_even(n, 0);
    let neg = v < 0.0;
    let mut x = v.abs() as u128;
    let mut digits = Vec::new();
    loop {
        let d = (x % radix as u128) as u32;
        digits.push(std::char::from_digit(d, radix).unwrap_or('0'));
        x /= radix as u128;
        if x == 0 {
            break;
        }
    }
    if neg {
        digits.push('-');
    }
    digits.reverse();
    Ok(string(&digits.into_iter().collect::<String>()))
}

fn now_millis(ev: &Ev<'_>) -> i64 {
    match ev.now.get() {
        Some(t) => t,
        None => {
            let t = chrono::Utc::now().timestamp_millis();
            ev.now.set(Some(t));
            t
        }
    }
}

pub(crate) fn iso(ms: i64) -> Option<String> {
    let dt = chrono::DateTime::from_timestamp_millis(ms)?;
    Some(dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

pub(crate) fn millis<'a>(ev: &Ev<'a>, _: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    Ok(Val::Num(now_millis(ev) as f64))
}

pub(crate) fn now<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let ms = now_millis(ev);
    let mut call = vec![Val::Num(ms as f64)];
    call.extend(args);
    from_millis(ev, call, input)
}

pub(crate) fn from_millis<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(ms) = args.first().and_then(|v| v.as_num()) else {
        return Ok(Val::Undef);
    };
    let picture = args.get(1).and_then(|v| v.as_str());
    let timezone = args.get(2).and_then(|v| v.as_str());
    if picture.is_some() || timezone.is_some() {
        let offset = match timezone {
            Some(tz) => datetime::parse_timezone(tz)?,
            None => 0,
        };
        let picture = picture.unwrap_or(datetime::ISO_PICTURE);
        return Ok(string(&datetime::format(ms, picture, offset)?));
    }
    iso(ms.floor() as i64)
        .map(|s| string(&s))
        .ok_or_else(|| JsonataError::new("D3110", "The timestamp is out of range".into()))
}

/// Parses an ISO 8601 timestamp to milliseconds since the epoch (UTC when no offset is given).
pub(crate) fn parse_iso(s: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, f) {
            return Some(dt.timestamp_millis());
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    if s.len() == 4
        && let Ok(d) = NaiveDate::parse_from_str(&format!("{s}-01-01"), "%Y-%m-%d")
    {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    None
}

pub(crate) fn to_millis<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = args.first().and_then(|v| v.as_str()) else {
        return Ok(Val::Undef);
    };
    if let Some(picture) = args.get(1).and_then(|v| v.as_str()) {
        return Ok(datetime::parse(s, picture, now_millis(ev))?
            .map(Val::Num)
            .unwrap_or(Val::Undef));
    }
    match parse_iso(s) {
        Some(ms) => Ok(Val::Num(ms as f64)),
        None => Err(JsonataError::new(
            "D3110",
            format!("The timestamp {s} is not in ISO 8601 format and cannot be converted"),
        )),
    }
}
