//! Filter expressions (`[?(@.price < 10 && @.tags contains 'x')]`) with Jayway's operators and
//! its loose comparison rules.

use std::borrow::Cow;
use std::cmp::Ordering;

use regex::Regex;
use serde_json::{Number, Value};

use super::Segment;
use super::eval;
use crate::expr::java;

/// A compiled filter, the `?(...)` part of `[?(...)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub(super) expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// A path on its own: true when it selects something.
    Exists(FilterPath),
    Compare {
        left: Operand,
        op: Op,
        right: Operand,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    Path(FilterPath),
    Literal(Value),
    Pattern(Pattern),
}

/// A path inside a filter: relative to the item (`@`) or to the document root (`$`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FilterPath {
    pub(super) from_root: bool,
    pub(super) segments: Vec<Segment>,
    pub(super) definite: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Ne,
    StrictEq,
    StrictNe,
    Lt,
    Le,
    Gt,
    Ge,
    Regex,
    In,
    Nin,
    Contains,
    All,
    SubsetOf,
    AnyOf,
    NoneOf,
    Size,
    Empty,
    Exists,
}

impl Op {
    pub(super) fn from_symbol(symbol: &str) -> Option<Op> {
        Some(match symbol {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "===" => Op::StrictEq,
            "!==" => Op::StrictNe,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "=~" => Op::Regex,
            _ => return None,
        })
    }

    pub(super) fn from_word(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "in" => Op::In,
            "nin" => Op::Nin,
            "contains" => Op::Contains,
            "all" => Op::All,
            "subsetof" => Op::SubsetOf,
            "anyof" => Op::AnyOf,
            "noneof" => Op::NoneOf,
            "size" => Op::Size,
            "empty" => Op::Empty,
            "exists" => Op::Exists,
            _ => return None,
        })
    }
}

/// A `/regex/flags` literal. Like Java's `Matcher.matches`, it must match the whole input.
#[derive(Debug, Clone)]
pub(super) struct Pattern {
    pub(super) source: String,
    pub(super) regex: Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source == other.source
    }
}

impl Pattern {
    /// Compiles the body and flags of `/body/flags`.
    pub(super) fn new(body: &str, flags: &str) -> Result<Pattern, String> {
        // Java reads `\/` as a slash; the regex crate wants it unescaped.
        let body = body.replace("\\/", "/");
        let build = |pattern: &str| {
            let mut builder = regex::RegexBuilder::new(pattern);
            for flag in flags.chars() {
                match flag {
                    'i' => builder.case_insensitive(true),
                    'm' => builder.multi_line(true),
                    's' => builder.dot_matches_new_line(true),
                    'x' => builder.ignore_whitespace(true),
                    // UNIX_LINES, UNICODE_CASE and UNICODE_CHARACTER_CLASS change nothing
                    // here: the regex crate is Unicode-aware already.
                    'd' | 'u' | 'U' => &mut builder,
                    other => return Err(format!("unknown regular expression flag '{other}'")),
                };
            }
            builder.build().map_err(|e| {
                // The crate's message draws a caret under the pattern; keep its last line.
                let text = e.to_string();
                let reason = text.lines().last().unwrap_or_default();
                format!(
                    "invalid regular expression /{body}/: {}",
                    reason.strip_prefix("error: ").unwrap_or(reason)
                )
            })
        };
        // Check the pattern as written, so that errors point into it, then anchor it.
        build(&body)?;
        let regex = build(&format!(r"\A(?:{body})\z"))?;
        Ok(Pattern {
            source: format!("/{body}/{flags}"),
            regex,
        })
    }
}

/// An operand once evaluated against an item.
enum Val<'a> {
    /// A path that selected nothing.
    Undefined,
    Value(Cow<'a, Value>),
    Pattern(&'a Pattern),
}

impl Filter {
    /// Whether `item` passes the filter; `root` is what `$` means inside it.
    pub(super) fn matches(&self, item: &Value, root: &Value) -> bool {
        self.expr.eval(item, root)
    }
}

impl Expr {
    fn eval(&self, item: &Value, root: &Value) -> bool {
        match self {
            Expr::Or(a, b) => a.eval(item, root) || b.eval(item, root),
            Expr::And(a, b) => a.eval(item, root) && b.eval(item, root),
            Expr::Not(a) => !a.eval(item, root),
            Expr::Exists(path) => exists(path, item, root),
            Expr::Compare { left, op, right } => {
                if *op == Op::Exists {
                    let Operand::Path(path) = left else {
                        return false;
                    };
                    let Operand::Literal(Value::Bool(expected)) = right else {
                        return false;
                    };
                    return exists(path, item, root) == *expected;
                }
                let left = left.eval(item, root);
                let right = right.eval(item, root);
                compare(&left, *op, &right)
            }
        }
    }
}

fn exists(path: &FilterPath, item: &Value, root: &Value) -> bool {
    let start = if path.from_root { root } else { item };
    let found = eval::select_segments(start, &path.segments, root);
    // Jayway's existence check counts an indefinite path as present even when it matched
    // nothing, unless a property on the way was missing; "matched something" is the closest
    // cheap reading of that.
    !found.is_empty()
}

impl Operand {
    fn eval<'a>(&'a self, item: &'a Value, root: &'a Value) -> Val<'a> {
        match self {
            Operand::Literal(v) => Val::Value(Cow::Borrowed(v)),
            Operand::Pattern(p) => Val::Pattern(p),
            Operand::Path(path) => {
                let start = if path.from_root { root } else { item };
                let mut found = eval::select_segments(start, &path.segments, root);
                if path.definite {
                    match found.pop() {
                        Some(v) => Val::Value(v),
                        None => Val::Undefined,
                    }
                } else {
                    Val::Value(Cow::Owned(Value::Array(
                        found.into_iter().map(Cow::into_owned).collect(),
                    )))
                }
            }
        }
    }
}

fn compare(left: &Val<'_>, op: Op, right: &Val<'_>) -> bool {
    match op {
        Op::Eq => equals(left, right),
        Op::Ne => !equals(left, right),
        Op::StrictEq => same_kind(left, right) && equals(left, right),
        Op::StrictNe => !(same_kind(left, right) && equals(left, right)),
        Op::Lt => order(left, right).is_some_and(|o| o == Ordering::Less),
        Op::Le => order(left, right).is_some_and(|o| o != Ordering::Greater),
        Op::Gt => order(left, right).is_some_and(|o| o == Ordering::Greater),
        Op::Ge => order(left, right).is_some_and(|o| o != Ordering::Less),
        Op::Regex => regex_match(left, right),
        Op::In => list(right).is_some_and(|items| items.iter().any(|e| equals(left, e))),
        Op::Nin => !list(right).is_some_and(|items| items.iter().any(|e| equals(left, e))),
        Op::Contains => match (left, right) {
            (Val::Value(l), Val::Value(r)) => match (l.as_ref(), r.as_ref()) {
                (Value::String(l), Value::String(r)) => l.contains(r.as_str()),
                (Value::Array(_), _) => {
                    list(left).is_some_and(|items| items.iter().any(|e| equals(right, e)))
                }
                _ => false,
            },
            _ => false,
        },
        Op::All => match left {
            Val::Value(l) if l.is_array() => match (list(left), list(right)) {
                (Some(have), Some(need)) => need.iter().all(|n| have.iter().any(|h| equals(h, n))),
                _ => false,
            },
            Val::Value(l) if l.is_object() => true,
            _ => false,
        },
        Op::SubsetOf => match (list(left), list(right)) {
            (Some(l), Some(r)) => l.iter().all(|a| r.iter().any(|b| equals(a, b))),
            _ => false,
        },
        Op::AnyOf => match (list(left), list(right)) {
            (Some(l), Some(r)) => l.iter().any(|a| r.iter().any(|b| equals(a, b))),
            _ => false,
        },
        Op::NoneOf => match (list(left), list(right)) {
            (Some(l), Some(r)) => !l.iter().any(|a| r.iter().any(|b| equals(a, b))),
            _ => false,
        },
        Op::Size => {
            let Val::Value(r) = right else { return false };
            let Some(expected) = r.as_f64() else {
                return false;
            };
            // Java's intValue() truncates.
            let expected = expected.trunc();
            match left {
                Val::Value(l) => match l.as_ref() {
                    Value::String(s) => s.encode_utf16().count() as f64 == expected,
                    Value::Array(a) => a.len() as f64 == expected,
                    Value::Object(m) => m.len() as f64 == expected,
                    _ => false,
                },
                _ => false,
            }
        }
        Op::Empty => {
            let Val::Value(r) = right else { return false };
            let Value::Bool(expected) = r.as_ref() else {
                return false;
            };
            match left {
                Val::Value(l) => match l.as_ref() {
                    Value::String(s) => s.is_empty() == *expected,
                    Value::Array(a) => a.is_empty() == *expected,
                    Value::Object(m) => m.is_empty() == *expected,
                    _ => false,
                },
                _ => false,
            }
        }
        // Handled before the operands are evaluated.
        Op::Exists => false,
    }
}

/// Jayway's `==`: numbers and numeric strings compare by value, containers structurally, and
/// two paths that both select nothing are equal.
fn equals(left: &Val<'_>, right: &Val<'_>) -> bool {
    match (left, right) {
        (Val::Undefined, Val::Undefined) => true,
        (Val::Pattern(a), Val::Pattern(b)) => a.source == b.source,
        (Val::Value(a), Val::Value(b)) => value_equals(a, b),
        _ => false,
    }
}

fn value_equals(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => left == right,
        (Value::Number(a), Value::Number(b)) => compare_numbers(a, b) == Some(Ordering::Equal),
        (Value::Number(a), Value::String(b)) => {
            parse_decimal(b).is_some_and(|b| compare_numbers(a, &b) == Some(Ordering::Equal))
        }
        (Value::String(a), Value::Number(b)) => *a == java::number_to_string(b),
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Null, Value::Null) => true,
        _ => false,
    }
}

/// `===` first requires both sides to be the same kind of node.
fn same_kind(left: &Val<'_>, right: &Val<'_>) -> bool {
    fn kind(v: &Val<'_>) -> u8 {
        match v {
            Val::Undefined => 0,
            Val::Pattern(_) => 1,
            Val::Value(v) => match v.as_ref() {
                Value::Null => 2,
                Value::Bool(_) => 3,
                Value::Number(_) => 4,
                Value::String(_) => 5,
                Value::Array(_) | Value::Object(_) => 6,
            },
        }
    }
    kind(left) == kind(right)
}

fn order(left: &Val<'_>, right: &Val<'_>) -> Option<Ordering> {
    let (Val::Value(l), Val::Value(r)) = (left, right) else {
        return None;
    };
    match (l.as_ref(), r.as_ref()) {
        (Value::Number(a), Value::Number(b)) => compare_numbers(a, b),
        // Java compares strings by UTF-16 code unit.
        (Value::String(a), Value::String(b)) => Some(a.encode_utf16().cmp(b.encode_utf16())),
        _ => None,
    }
}

pub(super) fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
        return Some(a.cmp(&b));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// Reads a string the way `new java.math.BigDecimal(s)` would, or `None`.
fn parse_decimal(s: &str) -> Option<Number> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits_ok(int) || !digits_ok(frac) {
        return None;
    }
    if let Some(exp) = exponent {
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp.is_empty() || !digits_ok(exp) {
            return None;
        }
    }
    if exponent.is_none()
        && !mantissa.contains('.')
        && let Ok(i) = s.parse::<i64>()
    {
        return Some(Number::from(i));
    }
    s.parse::<f64>().ok().and_then(Number::from_f64)
}

/// The elements of an array operand, each as a filter value.
fn list<'a>(v: &'a Val<'_>) -> Option<Vec<Val<'a>>> {
    match v {
        Val::Value(v) => match v.as_ref() {
            Value::Array(items) => {
                Some(items.iter().map(|e| Val::Value(Cow::Borrowed(e))).collect())
            }
            _ => None,
        },
        _ => None,
    }
}

fn regex_match(left: &Val<'_>, right: &Val<'_>) -> bool {
    let (pattern, subject) = match (left, right) {
        (Val::Pattern(p), other) | (other, Val::Pattern(p)) => (p, other),
        _ => return false,
    };
    if matches!(subject, Val::Pattern(_)) {
        return false;
    }
    match subject {
        Val::Value(v) => match v.as_ref() {
            Value::Array(items) => items
                .iter()
                .any(|e| pattern.regex.is_match(&regex_input(e))),
            other => pattern.regex.is_match(&regex_input(other)),
        },
        _ => pattern.regex.is_match(""),
    }
}

/// What Jayway matches a pattern against: strings as they are, numbers and booleans as text,
/// anything else as the empty string.
fn regex_input(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Number(n) => Cow::Owned(java::number_to_string(n)),
        Value::Bool(b) => Cow::Owned(b.to_string()),
        _ => Cow::Borrowed(""),
    }
}
