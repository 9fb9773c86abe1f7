//! Step Functions runs on the JVM, and some intrinsic results show it: numbers print as Java's
//! `Double.toString` prints them, `States.Format` prints objects as `java.util.Map.toString`
//! does, `States.JsonMerge` returns its keys in `java.util.HashMap` order, and arguments that
//! must be integers are rounded with `Math.round`. This module reproduces those behaviours from
//! their documented definitions.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// A number as Java prints it: integers plainly, doubles with `Double.toString` (`1.0`,
/// `0.001`, `1.0E7`, `1.0E-4`).
pub(super) fn number_to_string(number: &Number) -> String {
    if number.is_f64() {
        number
            .as_f64()
            .map_or_else(|| number.to_string(), double_to_string)
    } else {
        number.to_string()
    }
}

/// `Double.toString`: the shortest digits that round-trip, written plainly when
/// `1e-3 <= |d| < 1e7` and in computerized scientific notation otherwise, always with at
/// least one digit after the point.
pub(super) fn double_to_string(value: f64) -> String {
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .to_string();
    }
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN"
        } else if value > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits as `d.ddde<exp>`.
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` always writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes a decimal exponent");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if value.is_sign_negative() {
        out.push('-');
    }
    if (-3..7).contains(&exponent) {
        if exponent < 0 {
            out.push_str("0.");
            for _ in 0..(-exponent - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let int_len = exponent as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        let _ = write!(out, "E{exponent}");
    }
    out
}

/// Compact JSON as Jackson writes it: like `serde_json`'s compact form, except that doubles
/// use [`double_to_string`] (`1.0E20` rather than `1e20`).
pub(super) fn to_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Number(number) => out.push_str(&number_to_string(number)),
        Value::String(_) | Value::Null | Value::Bool(_) => out.push_str(&value.to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
    }
}

/// A value as `String.valueOf` prints the Java object it maps to: strings without quotes,
/// arrays as `[a, b]` and objects as `{k=v, k2=v2}`.
pub(super) fn to_display_string(value: &Value) -> String {
    let mut out = String::new();
    write_display(&mut out, value);
    out
}

fn write_display(out: &mut String, value: &Value) {
    match value {
        Value::String(text) => out.push_str(text),
        Value::Number(number) => out.push_str(&number_to_string(number)),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_display(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                write_display(out, item);
            }
            out.push('}');
        }
    }
}

/// `Math.round` on a double: the closest integer, ties toward positive infinity
/// (`-1.5` gives `-1`, `2.5` gives `3`).
pub(super) fn math_round(value: f64) -> f64 {
    let floor = value.floor();
    if value - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

/// The entries of `map` in the order a `java.util.HashMap` filled with `map`'s entries one by
/// one, in `map`'s order, iterates them: by bucket, then by insertion.
///
/// AWS returns `States.JsonMerge` results in this order. It shows in the recorded corpus,
/// where merging `{"constant_in_literal": ..}` with `{"constant_input_field": ..}` puts
/// `constant_input_field` first. Buckets that Java would turn into trees (8 or more colliding
/// keys) are not modelled.
pub(super) fn hash_map_order(map: Map<String, Value>) -> Map<String, Value> {
    // A HashMap starts with 16 buckets and doubles whenever it is more than 3/4 full.
    let mut capacity: usize = 16;
    while map.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let mut entries: Vec<(usize, (String, Value))> = map
        .into_iter()
        .map(|(key, value)| (bucket(&key, capacity), (key, value)))
        .collect();
    // Stable, so that keys in one bucket keep their insertion order.
    entries.sort_by_key(|(bucket, _)| *bucket);
    entries.into_iter().map(|(_, entry)| entry).collect()
}

fn bucket(key: &str, capacity: usize) -> usize {
    let hash = string_hash_code(key) as u32;
    let spread = hash ^ (hash >> 16);
    spread as usize & (capacity - 1)
}

/// `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping.
fn string_hash_code(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |hash, unit| {
        hash.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// `java.util.Random`'s generator, as its documentation specifies it: a 48-bit linear
/// congruential generator. `States.MathRandom` with a seed must return the same number for the
/// same seed; this gives it a well-known deterministic sequence.
pub(super) struct JavaRandom {
    seed: u64,
}

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const MASK: u64 = (1 << 48) - 1;

impl JavaRandom {
    pub fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            seed: (seed as u64 ^ MULTIPLIER) & MASK,
        }
    }

    fn next(&mut self, bits: u32) -> u32 {
        self.seed = (self.seed.wrapping_mul(MULTIPLIER).wrapping_add(0xB)) & MASK;
        (self.seed >> (48 - bits)) as u32
    }

    /// A uniform value in `0..bound`, `bound` positive, as `Random.nextInt(int)` draws it.
    pub fn next_int(&mut self, bound: u32) -> u32 {
        debug_assert!(bound > 0 && bound <= i32::MAX as u32);
        if bound.is_power_of_two() {
            return ((u64::from(bound) * u64::from(self.next(31))) >> 31) as u32;
        }
        loop {
            let bits = self.next(31);
            let value = bits % bound;
            // Reject the last incomplete run of `bound` values, so every value is equally likely.
            if u64::from(bits) - u64::from(value) + u64::from(bound - 1) <= i32::MAX as u64 {
                return value;
            }
        }
    }

    /// 64 random bits, as `Random.nextLong` draws them.
    pub fn next_u64(&mut self) -> u64 {
        (u64::from(self.next(32)) << 32).wrapping_add(i64::from(self.next(32) as i32) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_to_string_matches_java() {
        for (value, java) in [
            (1.0, "1.0"),
            (1.1, "1.1"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.0e20, "1.0E20"),
            (-1.5e-10, "-1.5E-10"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-0.0, "-0.0"),
            (0.002, "0.002"),
            (1.0e22, "1.0E22"),
            (123456.789e3, "1.23456789E8"),
        ] {
            assert_eq!(double_to_string(value), java, "{value}");
        }
    }

    #[test]
    fn math_round_ties_go_up() {
        for (value, rounded) in [
            (1.49, 1.0),
            (1.5, 2.0),
            (-1.5, -1.0),
            (-1.51, -2.0),
            (-0.5, 0.0),
            (0.49999999999999994, 0.0),
        ] {
            assert_eq!(math_round(value), rounded, "{value}");
        }
    }

    #[test]
    fn java_random_matches_the_jvm() {
        // Values printed by a JVM for `new Random(seed)`.
        let mut random = JavaRandom::new(42);
        assert_eq!([random.next_int(100), random.next_int(100)], [30, 63]);
        let mut random = JavaRandom::new(0);
        assert_eq!(
            [
                random.next_int(10),
                random.next_int(10),
                random.next_int(10)
            ],
            [0, 8, 9]
        );
        let mut random = JavaRandom::new(-5);
        assert_eq!(
            [random.next_int(64), random.next_int(1_000_000)],
            [17, 466721]
        );
        let mut random = JavaRandom::new(7);
        assert_eq!(random.next_u64() as i64, -4967725919621401576);
    }

    #[test]
    fn string_hash_code_matches_java() {
        assert_eq!(string_hash_code(""), 0);
        assert_eq!(string_hash_code("a"), 97);
        assert_eq!(string_hash_code("hello"), 99162322);
        assert_eq!(string_hash_code("constant_input_field"), -1296316374);
    }
}
