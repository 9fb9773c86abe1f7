//! Timestamps as the `Timestamp*` and `IsTimestamp` operators read them.

use chrono::{Datelike, NaiveDate};

/// An instant, parsed from a string in the ISO-8601 extended offset date-time format.
///
/// AWS names this format in its errors for unparsable Wait timestamps ("does not reference a
/// valid ISO-8601 extended offset date-time format string"); it is the format of Java's
/// `DateTimeFormatter.ISO_OFFSET_DATE_TIME`, and the recorded cases agree with it:
///
/// - `YYYY-MM-DD`, `T`, `HH:MM`, optionally `:SS`, optionally a fraction of 1 to 9 digits,
///   then `Z` or an offset `+HH`, `+HHMM`, `+HH:MM`, `+HH:MM:SS` (or with `-`) of at most 18 h;
/// - `T` and `Z` may be lowercase (parsing is case-insensitive);
/// - a space instead of `T`, a missing offset, month 13, hour 24, second 60 or
///   February 30 are rejected.
///
/// This is more lenient than the RFC 3339 profile the ASL specification describes, which asks
/// for an uppercase `T` and `Z`, seconds, and `+HH:MM` offsets; everything that profile accepts
/// is accepted here too, except a leap second (`:60`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    seconds: i64,
    nanos: u32,
}

/// Days from 0001-01-01 (chrono's day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// The largest offset the format allows, in seconds.
const MAX_OFFSET_SECONDS: i64 = 18 * 3600;

impl Timestamp {
    /// Parses a timestamp; `None` if the text is not one.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let mut cursor = Cursor {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let year = cursor.number(4)?;
        cursor.eat(b'-')?;
        let month = cursor.number(2)?;
        cursor.eat(b'-')?;
        let day = cursor.number(2)?;
        cursor.eat_ignore_case(b'T')?;
        let hour = cursor.number(2)?;
        cursor.eat(b':')?;
        let minute = cursor.number(2)?;
        let mut second = 0;
        let mut nanos = 0;
        if cursor.try_eat(b':') {
            second = cursor.number(2)?;
            if cursor.try_eat(b'.') {
                nanos = cursor.fraction()?;
            }
        }
        let offset = cursor.offset()?;
        if cursor.pos != cursor.bytes.len() || hour > 23 || minute > 59 || second > 59 {
            return None;
        }

        let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
        let days = i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE;
        let seconds =
            days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
                - offset;
        Some(Timestamp { seconds, nanos })
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(self) -> i64 {
        self.seconds
    }

    /// The fraction of the second, in nanoseconds.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn try_eat(&mut self, expected: u8) -> bool {
        let found = self.peek() == Some(expected);
        if found {
            self.pos += 1;
        }
        found
    }

    fn eat(&mut self, expected: u8) -> Option<()> {
        self.try_eat(expected).then_some(())
    }

    fn eat_ignore_case(&mut self, expected: u8) -> Option<()> {
        let found = self.peek()?.eq_ignore_ascii_case(&expected);
        found.then(|| self.pos += 1)
    }

    /// Exactly `width` ASCII digits.
    fn number(&mut self, width: usize) -> Option<u32> {
        let digits = self.bytes.get(self.pos..self.pos + width)?;
        let mut value = 0u32;
        for &digit in digits {
            if !digit.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(digit - b'0');
        }
        self.pos += width;
        Some(value)
    }

    /// 1 to 9 digits after the decimal point, as nanoseconds.
    fn fraction(&mut self) -> Option<u32> {
        let mut nanos = 0u32;
        let mut width = 0u32;
        while let Some(digit) = self.peek().filter(u8::is_ascii_digit) {
            if width == 9 {
                return None;
            }
            nanos = nanos * 10 + u32::from(digit - b'0');
            width += 1;
            self.pos += 1;
        }
        if width == 0 {
            return None;
        }
        Some(nanos * 10u32.pow(9 - width))
    }

    /// `Z`, or a signed offset; in seconds east of UTC.
    fn offset(&mut self) -> Option<i64> {
        let sign = match self.peek()? {
            b'Z' | b'z' => {
                self.pos += 1;
                return Some(0);
            }
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        self.pos += 1;
        let hours = self.number(2)?;
        let mut minutes = 0;
        let mut seconds = 0;
        let colons = self.peek() == Some(b':');
        let next_field = |cursor: &mut Self| {
            if colons {
                cursor.try_eat(b':')
            } else {
                cursor.peek().is_some_and(|b| b.is_ascii_digit())
            }
        };
        if next_field(self) {
            minutes = self.number(2)?;
            if next_field(self) {
                seconds = self.number(2)?;
            }
        }
        let total = i64::from(hours) * 3600 + i64::from(minutes) * 60 + i64::from(seconds);
        if minutes > 59 || seconds > 59 || total > MAX_OFFSET_SECONDS {
            return None;
        }
        Some(sign * total)
    }
}
