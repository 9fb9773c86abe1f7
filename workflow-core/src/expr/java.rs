//! How AWS's Java runtime shows values: Jackson's compact JSON, `Double.toString`,
//! `String.valueOf`, `Math.round`, `java.util.Random`, the class names Jayway puts in its
//! messages, and the iteration order of a `java.util.HashMap`.
//!
//! Step Functions runs on the JVM, and its results and error causes show it: numbers print as
//! `Double.toString` prints them, `States.Format` prints objects as `Map.toString` does,
//! `States.JsonMerge` and payload templates return keys in `HashMap` order. Matching AWS byte
//! for byte means doing what the JVM does; this module reproduces those behaviours from their
//! documented definitions.

use std::fmt::Write;

use serde_json::{Map, Number, Value};

/// Renders `value` as Jackson writes it: compact, `\uXXXX` escapes with upper-case hex for
/// control characters, doubles as `Double.toString` shows them (`1.0E20`, `100.0`).
pub fn to_json_string(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_to_string(n)),
        Value::String(s) => write_json_string(out, s),
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
                write_json_string(out, key);
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0C}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON number as Java prints it: integers as digits, floating point as `Double.toString`.
pub fn number_to_string(n: &Number) -> String {
    if n.is_f64() {
        n.as_f64()
            .map(double_to_string)
            .unwrap_or_else(|| n.to_string())
    } else {
        n.to_string()
    }
}

/// `java.lang.Double.toString`: plain notation with at least one fractional digit for
/// magnitudes in [10^-3, 10^7), otherwise `d.dddE±n`; always the shortest digits that read
/// back to the same double.
pub fn double_to_string(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "1.2345e-5" or "-1e20".
    let sci = format!("{:e}", d);
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    let magnitude = d.abs();
    if (1e-3..1e7).contains(&magnitude) {
        if exponent >= 0 {
            let int_len = exponent as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(&digits);
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

/// What Java's `toString()` gives for a value as Jayway holds it: strings without quotes,
/// containers as compact JSON.
pub fn to_java_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_to_string(n),
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => to_json_string(value),
    }
}

/// The Java class of a value as Jayway's Jackson-node provider hands it over: scalars unwrapped
/// to `java.lang` types, containers left as Jackson nodes.
pub fn java_class_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::String(_) => "java.lang.String",
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if i32::try_from(i).is_ok() {
                    "java.lang.Integer"
                } else {
                    "java.lang.Long"
                }
            } else if n.is_u64() {
                "java.math.BigInteger"
            } else {
                "java.lang.Double"
            }
        }
        Value::Array(_) => "com.fasterxml.jackson.databind.node.ArrayNode",
        Value::Object(_) => "com.fasterxml.jackson.databind.node.ObjectNode",
    }
}

/// The JSON provider class Jayway names in its "not a json object" message.
pub const JSON_PROVIDER: &str = "com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider";

/// `java.lang.String.hashCode`: 31-based over UTF-16 code units, wrapping.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The order in which a `java.util.HashMap` filled with `keys` (in this order, default capacity
/// and load factor) iterates them, as indexes into `keys`. A repeated key keeps its first
/// position.
pub fn hash_map_order<S: AsRef<str>>(keys: &[S]) -> Vec<usize> {
    let mut capacity = 16usize;
    while keys.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mut order: Vec<(usize, usize)> = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let key = key.as_ref();
        if keys[..i].iter().any(|k| k.as_ref() == key) {
            continue;
        }
        let h = string_hash(key) as u32;
        let spread = h ^ (h >> 16);
        order.push((spread as usize & (capacity - 1), i));
    }
    // Within a bucket Java keeps insertion order, and resizing preserves it; a stable sort on
    // the bucket index gives the same sequence.
    order.sort_by_key(|&(bucket, _)| bucket);
    order.into_iter().map(|(_, i)| i).collect()
}

/// A value as `String.valueOf` prints the Java object it maps to: strings without quotes,
/// arrays as `[a, b]` and objects as `{k=v, k2=v2}`.
pub fn to_display_string(value: &Value) -> String {
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
pub fn math_round(value: f64) -> f64 {
    let floor = value.floor();
    if value - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

/// The entries of `map` in the order a `java.util.HashMap` filled with them, in `map`'s order,
/// iterates them (see [`hash_map_order`]).
pub fn hash_map_ordered(map: Map<String, Value>) -> Map<String, Value> {
    let keys: Vec<&String> = map.keys().collect();
    let order = hash_map_order(&keys);
    let mut entries: Vec<Option<(String, Value)>> = map.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| entries[i].take())
        .collect()
}

/// `java.util.Random`'s generator, as its documentation specifies it: a 48-bit linear
/// congruential generator. `States.MathRandom` with a seed must return the same number for the
/// same seed; this gives it a well-known deterministic sequence.
pub struct JavaRandom {
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
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("hello"), 99162322);
        assert_eq!(string_hash("constant_input_field"), -1296316374);
    }
}
