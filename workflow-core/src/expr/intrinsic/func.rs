//! The 18 functions: their names, how many arguments they take, and what they compute from
//! argument values, with the argument checks and limits AWS documents.

use std::borrow::Cow;
use std::collections::HashSet;

use md5::Md5;
use serde_json::{Map, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::base64;
use super::parse::{Arg, Node, Template};
use crate::expr::EvalError;
use crate::expr::java;

/// `States.ArrayRange` creates at most this many elements.
const ARRAY_RANGE_MAX: i64 = 1000;
/// The longest string, in UTF-16 code units as Java counts them, that `States.Base64Encode`,
/// `States.Base64Decode` and `States.Hash` accept.
const TEXT_INPUT_MAX: usize = 10_000;
/// The largest array, as compact JSON, that `States.ArrayPartition` and
/// `States.ArrayContains` accept: the payload limit of 256 KiB.
const ARRAY_INPUT_MAX_BYTES: usize = 256 * 1024;
/// The algorithms `States.Hash` offers, by the names it takes.
const HASH_ALGORITHMS: [&str; 5] = ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Func {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

const ALL: [Func; 18] = [
    Func::Format,
    Func::StringToJson,
    Func::JsonToString,
    Func::Array,
    Func::ArrayPartition,
    Func::ArrayContains,
    Func::ArrayRange,
    Func::ArrayGetItem,
    Func::ArrayLength,
    Func::ArrayUnique,
    Func::Base64Encode,
    Func::Base64Decode,
    Func::Hash,
    Func::JsonMerge,
    Func::MathRandom,
    Func::MathAdd,
    Func::StringSplit,
    Func::Uuid,
];

impl Func {
    pub fn name(self) -> &'static str {
        match self {
            Func::Format => "States.Format",
            Func::StringToJson => "States.StringToJson",
            Func::JsonToString => "States.JsonToString",
            Func::Array => "States.Array",
            Func::ArrayPartition => "States.ArrayPartition",
            Func::ArrayContains => "States.ArrayContains",
            Func::ArrayRange => "States.ArrayRange",
            Func::ArrayGetItem => "States.ArrayGetItem",
            Func::ArrayLength => "States.ArrayLength",
            Func::ArrayUnique => "States.ArrayUnique",
            Func::Base64Encode => "States.Base64Encode",
            Func::Base64Decode => "States.Base64Decode",
            Func::Hash => "States.Hash",
            Func::JsonMerge => "States.JsonMerge",
            Func::MathRandom => "States.MathRandom",
            Func::MathAdd => "States.MathAdd",
            Func::StringSplit => "States.StringSplit",
            Func::Uuid => "States.UUID",
        }
    }

    pub fn from_name(name: &str) -> Option<Func> {
        ALL.into_iter().find(|func| func.name() == name)
    }

    pub fn names_list() -> String {
        ALL.iter()
            .map(|func| format!("`{}`", func.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The fewest and the most arguments; `None` for no upper bound.
    fn arity(self) -> (usize, Option<usize>) {
        match self {
            Func::Format => (1, None),
            Func::Array => (0, None),
            Func::Uuid => (0, Some(0)),
            Func::StringToJson
            | Func::JsonToString
            | Func::ArrayLength
            | Func::ArrayUnique
            | Func::Base64Encode
            | Func::Base64Decode => (1, Some(1)),
            Func::ArrayPartition
            | Func::ArrayContains
            | Func::ArrayGetItem
            | Func::Hash
            | Func::MathAdd
            | Func::StringSplit => (2, Some(2)),
            Func::MathRandom => (2, Some(3)),
            Func::ArrayRange | Func::JsonMerge => (3, Some(3)),
        }
    }

    pub fn check_arity(self, n_args: usize) -> Result<(), String> {
        let (min, max) = self.arity();
        if n_args >= min && max.is_none_or(|max| n_args <= max) {
            return Ok(());
        }
        let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
        let expected = match max {
            Some(max) if max == min => format!("{min} {}", plural(min)),
            Some(max) => format!("{min} or {max} arguments"),
            None => format!("at least {min} {}", plural(min)),
        };
        let given = if n_args == 1 { "was" } else { "were" };
        Err(format!(
            "`{}` takes {expected}, but {n_args} {given} given",
            self.name()
        ))
    }

    /// Checks that need only the literal arguments, so that a definition that must fail
    /// is reported when it is loaded.
    pub fn check_literals(self, node: &Node) -> Result<(), String> {
        let literal = |i: usize| match node.args.get(i) {
            Some(Arg::Literal(value)) => Some(value),
            _ => None,
        };
        match self {
            Func::Format => {
                if let Some(value) = literal(0).filter(|value| !value.is_string()) {
                    return Err(format!(
                        "the format string of `States.Format` must be a string, not `{value}`"
                    ));
                }
                if let Some(template) = &node.template {
                    let n_values = node.args.len() - 1;
                    if template.n_holes() != n_values {
                        return Err(format!(
                            "the format string of `States.Format` has {} `{{}}` placeholders, but {n_values} {} follow it",
                            template.n_holes(),
                            if n_values == 1 {
                                "argument"
                            } else {
                                "arguments"
                            },
                        ));
                    }
                }
            }
            Func::JsonMerge => {
                if let Some(value) = literal(2).filter(|value| **value != Value::Bool(false)) {
                    return Err(format!(
                        "`States.JsonMerge` supports only shallow merging, so its third argument must be `false`, not `{value}`"
                    ));
                }
            }
            Func::Hash => {
                let known = |value: &Value| {
                    value
                        .as_str()
                        .is_some_and(|name| HASH_ALGORITHMS.contains(&name))
                };
                if let Some(value) = literal(1).filter(|value| !known(value)) {
                    return Err(format!(
                        "unknown `States.Hash` algorithm `{value}`; expected one of {}",
                        HASH_ALGORITHMS.map(|name| format!("'{name}'")).join(", ")
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Computes the function from its argument values. `template` is the parsed literal
    /// format string of a `States.Format`; `random` gives uniformly random 64-bit values.
    pub fn apply(
        self,
        values: &[Cow<'_, Value>],
        template: Option<&Template>,
        random: &mut dyn FnMut() -> u64,
    ) -> Result<Value, EvalError> {
        let args = Args { func: self, values };
        match self {
            Func::Format => format(&args, template),
            Func::StringToJson => string_to_json(&args),
            Func::JsonToString => Ok(Value::String(java::to_json_string(args.value(0)?))),
            Func::Array => Ok(Value::Array(
                values.iter().map(|value| value.as_ref().clone()).collect(),
            )),
            Func::ArrayPartition => array_partition(&args),
            Func::ArrayContains => {
                let items = args.array(0)?;
                args.check_array_size(0)?;
                let wanted = args.value(1)?;
                Ok(Value::Bool(items.iter().any(|item| item == wanted)))
            }
            Func::ArrayRange => array_range(&args),
            Func::ArrayGetItem => {
                let items = args.array(0)?;
                let index = args.integer(1)?;
                usize::try_from(index)
                    .ok()
                    .and_then(|index| items.get(index))
                    .cloned()
                    .ok_or_else(|| {
                        args.invalid(format!(
                            "the index {index} is out of bounds for an array of length {}",
                            items.len()
                        ))
                    })
            }
            Func::ArrayLength => Ok(Value::from(args.array(0)?.len())),
            Func::ArrayUnique => {
                let mut seen = HashSet::new();
                let unique = args
                    .array(0)?
                    .iter()
                    .filter(|item| seen.insert(canonical_key(item)))
                    .cloned()
                    .collect();
                Ok(Value::Array(unique))
            }
            Func::Base64Encode => {
                let text = args.limited_string(0)?;
                Ok(Value::String(base64::encode(text.as_bytes())))
            }
            Func::Base64Decode => base64_decode(&args),
            Func::Hash => hash(&args),
            Func::JsonMerge => json_merge(&args),
            Func::MathRandom => math_random(&args, random),
            Func::MathAdd => {
                let sum = args.integer(0)? + args.integer(1)?;
                if i32::try_from(sum).is_err() {
                    return Err(args.invalid(format!(
                        "the sum {sum} is outside the integer range from {} to {}",
                        i32::MIN,
                        i32::MAX
                    )));
                }
                Ok(Value::from(sum))
            }
            Func::StringSplit => {
                let text = args.string(0)?;
                let delimiters = args.string(1)?;
                let parts = text
                    .split(|c| delimiters.contains(c))
                    .filter(|part| !part.is_empty())
                    .map(|part| Value::String(part.to_string()))
                    .collect();
                Ok(Value::Array(parts))
            }
            Func::Uuid => Ok(Value::String(uuid_v4(random))),
        }
    }
}

/// The argument values of one call, with typed accessors whose errors name the function.
struct Args<'a, 'v> {
    func: Func,
    values: &'a [Cow<'v, Value>],
}

impl Args<'_, '_> {
    fn invalid(&self, detail: impl std::fmt::Display) -> EvalError {
        EvalError::intrinsic(format!(
            "Invalid arguments in {}: {detail}",
            self.func.name()
        ))
    }

    fn mismatch(&self, index: usize, expected: &str, value: &Value) -> EvalError {
        let actual = match value {
            Value::Null => "null".to_string(),
            _ => format!("{} {}", type_name(value), preview(value)),
        };
        self.invalid(format!(
            "argument {} must be {expected}, but was {actual}",
            index + 1
        ))
    }

    fn value(&self, index: usize) -> Result<&Value, EvalError> {
        self.values
            .get(index)
            .map(|value| value.as_ref())
            .ok_or_else(|| self.invalid(format!("argument {} is missing", index + 1)))
    }

    fn string(&self, index: usize) -> Result<&str, EvalError> {
        let value = self.value(index)?;
        value
            .as_str()
            .ok_or_else(|| self.mismatch(index, "a string", value))
    }

    /// A string of at most [`TEXT_INPUT_MAX`] characters.
    fn limited_string(&self, index: usize) -> Result<&str, EvalError> {
        let text = self.string(index)?;
        let length = text.encode_utf16().count();
        if length > TEXT_INPUT_MAX {
            return Err(self.invalid(format!(
                "argument {} has {length} characters, more than the limit of {TEXT_INPUT_MAX}",
                index + 1
            )));
        }
        Ok(text)
    }

    fn array(&self, index: usize) -> Result<&Vec<Value>, EvalError> {
        let value = self.value(index)?;
        value
            .as_array()
            .ok_or_else(|| self.mismatch(index, "an array", value))
    }

    fn check_array_size(&self, index: usize) -> Result<(), EvalError> {
        let size = json_size(self.value(index)?);
        if size > ARRAY_INPUT_MAX_BYTES {
            return Err(self.invalid(format!(
                "the array in argument {} is {size} bytes long, more than the payload limit of {ARRAY_INPUT_MAX_BYTES} bytes",
                index + 1
            )));
        }
        Ok(())
    }

    fn object(&self, index: usize) -> Result<&Map<String, Value>, EvalError> {
        let value = self.value(index)?;
        value
            .as_object()
            .ok_or_else(|| self.mismatch(index, "an object", value))
    }

    /// An integer in Java's `int` range. AWS rounds a number with a fraction to the closest
    /// integer (`Math.round`), as the recorded `States.MathAdd` cases show.
    fn integer(&self, index: usize) -> Result<i64, EvalError> {
        let value = self.value(index)?;
        let integer = if let Some(n) = value.as_i64() {
            Some(n)
        } else if value.is_u64() {
            None
        } else if let Some(f) = value.as_f64() {
            float_to_i64(java::math_round(f))
        } else {
            return Err(self.mismatch(index, "an integer", value));
        };
        match integer {
            Some(n) if i32::try_from(n).is_ok() => Ok(n),
            _ => Err(self.invalid(format!(
                "argument {} must be an integer from {} to {}, but was {}",
                index + 1,
                i32::MIN,
                i32::MAX,
                preview(value)
            ))),
        }
    }

    /// A seed: any integer that fits in a Java `long`, fractions rounded.
    fn seed(&self, index: usize) -> Result<i64, EvalError> {
        let value = self.value(index)?;
        value
            .as_i64()
            .or_else(|| value.as_f64().map(java::math_round).and_then(float_to_i64))
            .ok_or_else(|| self.mismatch(index, "an integer", value))
    }
}

/// `Some(n)` when `value` is an integer that fits in an `i64`, `None` when it is too large.
/// Only called with integral values.
fn float_to_i64(value: f64) -> Option<i64> {
    // `i64::MAX as f64` rounds up to 2^63, which itself does not fit.
    if value >= i64::MIN as f64 && value < i64::MAX as f64 {
        Some(value as i64)
    } else {
        None
    }
}

fn format(args: &Args<'_, '_>, template: Option<&Template>) -> Result<Value, EvalError> {
    let text = args.string(0)?;
    let runtime_template;
    let template = match template {
        Some(template) => template,
        None => {
            runtime_template = Template::from_text(text);
            &runtime_template
        }
    };
    let n_values = args.values.len() - 1;
    if template.n_holes() != n_values {
        return Err(args.invalid(format!(
            "the format string has {} '{{}}' placeholders, but {n_values} values follow it",
            template.n_holes()
        )));
    }
    let values: Vec<String> = args.values[1..]
        .iter()
        .map(|value| java::to_display_string(value))
        .collect();
    Ok(Value::String(template.render(&values)))
}

fn string_to_json(args: &Args<'_, '_>) -> Result<Value, EvalError> {
    let text = args.string(0)?;
    // AWS turns an empty or blank string into null.
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let text = integer_negative_zero_to_zero(text);
    serde_json::from_str(&text).map_err(|err| {
        args.invalid(format!(
            "the string is not valid JSON ({err}): {}",
            preview_text(&text)
        ))
    })
}

/// Jackson reads the integer `-0` as the integer `0`, where `serde_json` reads it as the
/// float `-0.0`; rewrite each such token, outside string literals, as `0`.
fn integer_negative_zero_to_zero(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut in_string = false;
    let mut escaped = false;
    let mut minus_zero_at = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'-'
            && bytes.get(i + 1) == Some(&b'0')
            && !matches!(bytes.get(i + 2), Some(b'.' | b'e' | b'E' | b'0'..=b'9'))
        {
            minus_zero_at.push(i);
        }
    }
    if minus_zero_at.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for i in minus_zero_at {
        out.push_str(&text[from..i]);
        from = i + 1;
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

fn array_partition(args: &Args<'_, '_>) -> Result<Value, EvalError> {
    let items = args.array(0)?;
    args.check_array_size(0)?;
    let size = args.integer(1)?;
    if size <= 0 {
        return Err(args.invalid(format!(
            "the chunk size must be a positive integer, but was {size}"
        )));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::Array(
        items
            .chunks(size)
            .map(|chunk| Value::Array(chunk.to_vec()))
            .collect(),
    ))
}

fn array_range(args: &Args<'_, '_>) -> Result<Value, EvalError> {
    let start = args.integer(0)?;
    let end = args.integer(1)?;
    let step = args.integer(2)?;
    if step == 0 {
        return Err(args.invalid("the step must not be 0"));
    }
    // Arguments are `i32`, so none of this overflows an `i64`.
    let count = if (step > 0 && start > end) || (step < 0 && start < end) {
        0
    } else {
        (end - start) / step + 1
    };
    if count > ARRAY_RANGE_MAX {
        return Err(args.invalid(format!(
            "the range would have {count} elements, more than the limit of {ARRAY_RANGE_MAX}"
        )));
    }
    Ok(Value::Array(
        (0..count).map(|i| Value::from(start + i * step)).collect(),
    ))
}

fn base64_decode(args: &Args<'_, '_>) -> Result<Value, EvalError> {
    let text = args.limited_string(0)?;
    let bytes = base64::decode(text).map_err(|err| {
        args.invalid(match err {
            base64::DecodeError::InvalidCharacter(index, c) => format!(
                "the string is not Base64: `{c}` at position {index} is not in the Base64 alphabet"
            ),
            base64::DecodeError::Truncated => {
                "the string is not Base64: its length leaves one character over".to_string()
            }
            base64::DecodeError::DataAfterPadding => {
                "the string is not Base64: characters follow the `=` padding".to_string()
            }
        })
    })?;
    // Java decodes the bytes as UTF-8 and replaces what is not UTF-8 with U+FFFD.
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

fn hash(args: &Args<'_, '_>) -> Result<Value, EvalError> {
    let data = args.limited_string(0)?.as_bytes();
    let algorithm = args.string(1)?;
    let digest = match algorithm {
        "MD5" => Md5::digest(data).to_vec(),
        "SHA-1" => Sha1::digest(data).to_vec(),
        "SHA-256" => Sha256::digest(data).to_vec(),
        "SHA-384" => Sha384::digest(data).to_vec(),
        "SHA-512" => Sha512::digest(data).to_vec(),
        other => {
            return Err(args.invalid(format!(
                "the algorithm '{other}' is not one of {}",
                HASH_ALGORITHMS.join(", ")
            )));
        }
    };
    Ok(Value::String(
        digest.iter().map(|byte| format!("{byte:02x}")).collect(),
    ))
}

fn json_merge(args: &Args<'_, '_>) -> Result<Value, EvalError> {
    let first = args.object(0)?;
    let second = args.object(1)?;
    match args.value(2)? {
        Value::Bool(false) => {}
        Value::Bool(true) => {
            return Err(
                args.invalid("deep merging is not supported; the third argument must be false")
            );
        }
        other => return Err(args.mismatch(2, "the boolean false", other)),
    }
    let mut merged = first.clone();
    for (key, value) in second {
        merged.insert(key.clone(), value.clone());
    }
    Ok(Value::Object(java::hash_map_ordered(merged)))
}

/// A random integer from `start` (inclusive) to `end` (exclusive), as Java's
/// `Random.nextInt(origin, bound)` draws it. With a seed the result depends only on the
/// arguments, as AWS documents.
fn math_random(args: &Args<'_, '_>, random: &mut dyn FnMut() -> u64) -> Result<Value, EvalError> {
    let start = args.integer(0)?;
    let end = args.integer(1)?;
    if end <= start {
        return Err(args.invalid(format!(
            "the end ({end}) must be greater than the start ({start})"
        )));
    }
    // At most 2^32 - 1, since both ends are `i32`.
    let span = (end - start) as u64;
    let offset = match args.values.len() {
        3 => {
            let mut generator = java::JavaRandom::new(args.seed(2)?);
            match u32::try_from(span) {
                Ok(bound) if bound <= i32::MAX as u32 => u64::from(generator.next_int(bound)),
                _ => generator.next_u64() % span,
            }
        }
        _ => random() % span,
    };
    Ok(Value::from(start + offset as i64))
}

/// A random UUID (version 4) from two 64-bit draws.
pub(crate) fn uuid_v4(random: &mut dyn FnMut() -> u64) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&random().to_be_bytes());
    bytes[8..].copy_from_slice(&random().to_be_bytes());
    // RFC 9562: version 4 in the high nibble of byte 6, variant `10` in the top bits of byte 8.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid_text(&bytes)
}

/// 16 bytes in UUID notation: `8-4-4-4-12` lower-case hex digits.
pub(crate) fn uuid_text(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A text that is equal for two values exactly when the values are equal as JSON: objects
/// with their keys sorted. `1` and `1.0` stay different, as they are for Jackson.
fn canonical_key(value: &Value) -> String {
    fn write(out: &mut String, value: &Value) {
        match value {
            Value::Array(items) => {
                out.push('[');
                for item in items {
                    write(out, item);
                    out.push(',');
                }
                out.push(']');
            }
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (key, item) in entries {
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(out, item);
                    out.push(',');
                }
                out.push('}');
            }
            other => out.push_str(&java::to_json_string(other)),
        }
    }
    let mut out = String::new();
    write(&mut out, value);
    out
}

/// The length of `value` as compact JSON, without building the text.
fn json_size(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a `Value` to a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "the boolean",
        Value::Number(_) => "the number",
        Value::String(_) => "the string",
        Value::Array(_) => "the array",
        Value::Object(_) => "the object",
    }
}

/// The value as JSON, cut short for an error message.
fn preview(value: &Value) -> String {
    preview_text(&java::to_json_string(value))
}

fn preview_text(text: &str) -> String {
    const MAX_CHARS: usize = 100;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}
