//! JSONPath-mode choice rules: `Variable` with one of the 39 comparison operators, and
//! `And`/`Or`/`Not` combinations nested to any depth.
//!
//! The semantics follow AWS Step Functions, as its documentation describes and the recorded
//! conformance cases show:
//!
//! - A `Variable` (or a `...Path` operand) that selects nothing fails the state with
//!   `States.Runtime`, except under `IsPresent`, which is then false.
//!   An undefined workflow variable (`$name`) counts as selecting nothing.
//! - A value of the wrong type makes the comparison false, never an error: `NumericEquals` on a
//!   string, `TimestampEquals` on a string that is not a timestamp, `IsNull: false` on a number
//!   (true).
//! - Numbers compare by value, so `1` equals `1.0`.
//! - Strings compare like Java's `String.compareTo`: by UTF-16 code unit.
//! - Timestamps are parsed as the ISO-8601 extended offset date-time format (see
//!   [`Timestamp::parse`]) and compare as instants, so `+01:00` offsets are honoured.
//! - `StringMatches` treats `*` as "zero or more characters"; `\*` is a literal star and `\\` a
//!   literal backslash (written `\\*` and `\\\\` inside JSON strings).
//! - `And` and `Or` evaluate left to right and stop at the first operand that decides, so an
//!   `IsPresent` check guards the comparisons after it.
//!
//! Every path and literal is compiled once by [`Rule::compile`]; evaluating a comparison of a
//! definite path against a literal does not allocate.

mod pattern;
mod timestamp;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Number, Value};

use self::pattern::Pattern;
pub use self::timestamp::Timestamp;
use super::jsonpath::{Path, Root};
use super::{CompileError, EvalError, Scope};
use crate::asl::{self, ComparisonOp, Condition};

/// A compiled JSONPath choice rule (without its `Next`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    node: Node,
}

impl Rule {
    /// Compiles a rule and the rules nested in it. JSONata `Condition` rules are compiled by the
    /// executor, not here.
    pub fn compile(rule: &asl::ChoiceRule) -> Result<Rule, CompileError> {
        Ok(Rule {
            node: Node::compile(rule)?,
        })
    }

    /// Whether the rule matches the state input (after the Choice state's `InputPath`).
    pub fn matches(&self, input: &Value, scope: &dyn Scope) -> Result<bool, EvalError> {
        self.node.matches(input, scope)
    }
}

/// The index of the first rule that matches, in order, or `None` when none does (the caller
/// then takes `Default` or raises `States.NoChoiceMatched`).
/// Rules after the first match are not evaluated, so they cannot fail the state.
pub fn first_match(
    rules: &[Rule],
    input: &Value,
    scope: &dyn Scope,
) -> Result<Option<usize>, EvalError> {
    for (rule_idx, rule) in rules.iter().enumerate() {
        if rule.matches(input, scope)? {
            return Ok(Some(rule_idx));
        }
    }
    Ok(None)
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// `IsPresent`, the one test that accepts a `Variable` selecting nothing.
    IsPresent(Box<Path>, bool),
    Compare(Box<Compare>),
}

impl Node {
    fn compile(rule: &asl::ChoiceRule) -> Result<Node, CompileError> {
        match &rule.condition {
            Condition::And(rules) => Ok(Node::And(Self::compile_all(rules)?)),
            Condition::Or(rules) => Ok(Node::Or(Self::compile_all(rules)?)),
            Condition::Not(rule) => Ok(Node::Not(Box::new(Node::compile(rule)?))),
            Condition::Compare {
                variable,
                op,
                operand,
            } => Compare::compile(variable, *op, operand),
            Condition::Jsonata(_) => Err(CompileError::new(
                "a JSONata `Condition` is not a JSONPath choice rule",
            )),
        }
    }

    fn compile_all(rules: &[asl::ChoiceRule]) -> Result<Vec<Node>, CompileError> {
        rules.iter().map(Node::compile).collect()
    }

    fn matches(&self, input: &Value, scope: &dyn Scope) -> Result<bool, EvalError> {
        match self {
            Node::And(nodes) => {
                for node in nodes {
                    if !node.matches(input, scope)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Node::Or(nodes) => {
                for node in nodes {
                    if node.matches(input, scope)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Node::Not(node) => Ok(!node.matches(input, scope)?),
            Node::IsPresent(variable, expected) => {
                Ok(select(variable, input, scope)?.is_some() == *expected)
            }
            Node::Compare(compare) => compare.matches(input, scope),
        }
    }
}

/// `Variable` with one comparison operator.
#[derive(Debug, Clone, PartialEq)]
struct Compare {
    variable: Path,
    test: Test,
}

/// What a comparison checks about the value of its `Variable`.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    IsType(Type, bool),
    StringMatches(Pattern),
    String(Order, Operand<String>),
    Numeric(Order, Operand<Number>),
    BooleanEquals(Operand<bool>),
    Timestamp(Order, Operand<Timestamp>),
}

/// The value types the `Is*` operators test for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Null,
    Numeric,
    String,
    Boolean,
    Timestamp,
}

impl Type {
    fn holds(self, value: &Value) -> bool {
        match self {
            Type::Null => value.is_null(),
            Type::Numeric => value.is_number(),
            Type::String => value.is_string(),
            Type::Boolean => value.is_boolean(),
            Type::Timestamp => value.as_str().and_then(Timestamp::parse).is_some(),
        }
    }
}

/// The relation an ordered comparison checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

impl Order {
    fn of(op: ComparisonOp) -> Order {
        use ComparisonOp as Op;
        match op {
            Op::StringLessThan | Op::NumericLessThan | Op::TimestampLessThan => Order::LessThan,
            Op::StringGreaterThan | Op::NumericGreaterThan | Op::TimestampGreaterThan => {
                Order::GreaterThan
            }
            Op::StringLessThanEquals | Op::NumericLessThanEquals | Op::TimestampLessThanEquals => {
                Order::LessThanEquals
            }
            Op::StringGreaterThanEquals
            | Op::NumericGreaterThanEquals
            | Op::TimestampGreaterThanEquals => Order::GreaterThanEquals,
            _ => Order::Equals,
        }
    }

    fn holds(self, ordering: Option<Ordering>) -> bool {
        let Some(ordering) = ordering else {
            return false;
        };
        match self {
            Order::Equals => ordering.is_eq(),
            Order::LessThan => ordering.is_lt(),
            Order::GreaterThan => ordering.is_gt(),
            Order::LessThanEquals => ordering.is_le(),
            Order::GreaterThanEquals => ordering.is_ge(),
        }
    }
}

/// The right-hand side of a comparison: a literal converted at compile time, or a path
/// (the `...Path` operator forms) whose value is converted when the rule is evaluated.
#[derive(Debug, Clone, PartialEq)]
enum Operand<T> {
    Literal(T),
    Path(Path),
}

impl Compare {
    /// Compiles `Variable` with an operator: a [`Node::Compare`], or a [`Node::IsPresent`].
    fn compile(
        variable: &str,
        op: ComparisonOp,
        operand: &asl::Operand,
    ) -> Result<Node, CompileError> {
        use ComparisonOp as Op;

        let variable = Path::parse(variable)?;
        let test = match op {
            Op::IsPresent => {
                let expected = literal_bool(op, operand)?;
                return Ok(Node::IsPresent(Box::new(variable), expected));
            }
            Op::IsNull => Test::IsType(Type::Null, literal_bool(op, operand)?),
            Op::IsNumeric => Test::IsType(Type::Numeric, literal_bool(op, operand)?),
            Op::IsString => Test::IsType(Type::String, literal_bool(op, operand)?),
            Op::IsBoolean => Test::IsType(Type::Boolean, literal_bool(op, operand)?),
            Op::IsTimestamp => Test::IsType(Type::Timestamp, literal_bool(op, operand)?),
            Op::StringMatches => match operand {
                asl::Operand::Literal(Value::String(pattern)) => {
                    Test::StringMatches(Pattern::parse(pattern))
                }
                other => return Err(wrong_operand(op, other, "a string")),
            },
            Op::StringEquals
            | Op::StringLessThan
            | Op::StringGreaterThan
            | Op::StringLessThanEquals
            | Op::StringGreaterThanEquals => {
                let operand = compile_operand(op, operand, "a string", |value| {
                    value.as_str().map(str::to_string)
                })?;
                Test::String(Order::of(op), operand)
            }
            Op::NumericEquals
            | Op::NumericLessThan
            | Op::NumericGreaterThan
            | Op::NumericLessThanEquals
            | Op::NumericGreaterThanEquals => {
                let operand = compile_operand(op, operand, "a number", |value| match value {
                    Value::Number(number) => Some(number.clone()),
                    _ => None,
                })?;
                Test::Numeric(Order::of(op), operand)
            }
            Op::BooleanEquals => {
                Test::BooleanEquals(compile_operand(op, operand, "a boolean", Value::as_bool)?)
            }
            Op::TimestampEquals
            | Op::TimestampLessThan
            | Op::TimestampGreaterThan
            | Op::TimestampLessThanEquals
            | Op::TimestampGreaterThanEquals => {
                let expected = "a timestamp such as \"2016-03-14T01:59:00Z\"";
                let operand = compile_operand(op, operand, expected, |value| {
                    value.as_str().and_then(Timestamp::parse)
                })?;
                Test::Timestamp(Order::of(op), operand)
            }
        };
        Ok(Node::Compare(Box::new(Compare { variable, test })))
    }

    fn matches(&self, input: &Value, scope: &dyn Scope) -> Result<bool, EvalError> {
        let value = select_present(&self.variable, input, scope)?;
        let value: &Value = &value;
        let matched = match &self.test {
            Test::IsType(ty, expected) => ty.holds(value) == *expected,
            Test::StringMatches(pattern) => value.as_str().is_some_and(|s| pattern.matches(s)),
            Test::String(order, Operand::Literal(right)) => value
                .as_str()
                .is_some_and(|left| order.holds(Some(compare_utf16(left, right)))),
            Test::String(order, Operand::Path(path)) => {
                let right = select_present(path, input, scope)?;
                match (value.as_str(), right.as_str()) {
                    (Some(left), Some(right)) => order.holds(Some(compare_utf16(left, right))),
                    _ => false,
                }
            }
            Test::Numeric(order, Operand::Literal(right)) => match value {
                Value::Number(left) => order.holds(compare_numbers(left, right)),
                _ => false,
            },
            Test::Numeric(order, Operand::Path(path)) => {
                let right = select_present(path, input, scope)?;
                match (value, &*right) {
                    (Value::Number(left), Value::Number(right)) => {
                        order.holds(compare_numbers(left, right))
                    }
                    _ => false,
                }
            }
            Test::BooleanEquals(Operand::Literal(right)) => value.as_bool() == Some(*right),
            Test::BooleanEquals(Operand::Path(path)) => {
                let right = select_present(path, input, scope)?;
                match (value.as_bool(), right.as_bool()) {
                    (Some(left), Some(right)) => left == right,
                    _ => false,
                }
            }
            Test::Timestamp(order, Operand::Literal(right)) => {
                let left = value.as_str().and_then(Timestamp::parse);
                left.is_some_and(|left| order.holds(Some(left.cmp(right))))
            }
            Test::Timestamp(order, Operand::Path(path)) => {
                let right = select_present(path, input, scope)?;
                let left = value.as_str().and_then(Timestamp::parse);
                let right = right.as_str().and_then(Timestamp::parse);
                match (left, right) {
                    (Some(left), Some(right)) => order.holds(Some(left.cmp(&right))),
                    _ => false,
                }
            }
        };
        Ok(matched)
    }
}

fn literal_bool(op: ComparisonOp, operand: &asl::Operand) -> Result<bool, CompileError> {
    match operand {
        asl::Operand::Literal(Value::Bool(expected)) => Ok(*expected),
        other => Err(wrong_operand(op, other, "a boolean")),
    }
}

fn compile_operand<T>(
    op: ComparisonOp,
    operand: &asl::Operand,
    expected: &str,
    convert: impl FnOnce(&Value) -> Option<T>,
) -> Result<Operand<T>, CompileError> {
    match operand {
        asl::Operand::Path(path) => Ok(Operand::Path(Path::parse(path)?)),
        asl::Operand::Literal(value) => convert(value)
            .map(Operand::Literal)
            .ok_or_else(|| wrong_operand(op, operand, expected)),
    }
}

fn wrong_operand(op: ComparisonOp, operand: &asl::Operand, expected: &str) -> CompileError {
    match operand {
        asl::Operand::Path(_) => CompileError::new(format!(
            "`{}` has no path form; compare with a literal instead",
            op.name()
        )),
        asl::Operand::Literal(value) => {
            CompileError::new(format!("`{}` must be {expected}, found {value}", op.name()))
        }
    }
}

/// Evaluates a choice path; `None` when it selects nothing or names an undefined variable.
fn select<'v>(
    path: &Path,
    input: &'v Value,
    scope: &'v dyn Scope,
) -> Result<Option<Cow<'v, Value>>, EvalError> {
    match path.select(input, scope) {
        Ok(value) => Ok(value),
        Err(err) => match path.root() {
            Root::Variable(name) if scope.variable(name).is_none() => Ok(None),
            _ => Err(err),
        },
    }
}

/// Evaluates the path of a `...Path` operand, which must select a value.
fn select_present<'v>(
    path: &Path,
    input: &'v Value,
    scope: &'v dyn Scope,
) -> Result<Cow<'v, Value>, EvalError> {
    select(path, input, scope)?.ok_or_else(|| invalid_path(path))
}

/// The failure AWS reports for a choice path that selects nothing.
fn invalid_path(path: &Path) -> EvalError {
    EvalError::runtime(format!(
        "Invalid path '{}': The choice state's condition path references an invalid value.",
        path.source()
    ))
}

/// Compares two JSON numbers by value: exactly when both are integers, as `f64` otherwise.
fn compare_numbers(left: &Number, right: &Number) -> Option<Ordering> {
    fn as_integer(number: &Number) -> Option<i128> {
        number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from))
    }
    if let (Some(left), Some(right)) = (as_integer(left), as_integer(right)) {
        return Some(left.cmp(&right));
    }
    left.as_f64()?.partial_cmp(&right.as_f64()?)
}

/// Compares two strings by UTF-16 code unit, like Java's `String.compareTo`.
///
/// This differs from Rust's (code point) order only when a character above U+FFFF meets one in
/// U+E000..=U+FFFF: its leading surrogate (U+D800..U+DBFF) sorts first in UTF-16.
fn compare_utf16(left: &str, right: &str) -> Ordering {
    let common = left
        .bytes()
        .zip(right.bytes())
        .take_while(|(l, r)| l == r)
        .count();
    // Both strings agree up to `common`, so a char boundary in one is one in the other.
    let mut start = common;
    while !left.is_char_boundary(start) {
        start -= 1;
    }
    let left_char = left.get(start..).and_then(|rest| rest.chars().next());
    let right_char = right.get(start..).and_then(|rest| rest.chars().next());
    match (left_char, right_char) {
        (Some(l), Some(r)) => utf16_key(l).cmp(&utf16_key(r)),
        (l, r) => l.is_some().cmp(&r.is_some()),
    }
}

/// The UTF-16 code units of a character, as one sortable number.
fn utf16_key(c: char) -> u32 {
    let mut units = [0u16; 2];
    let encoded = c.encode_utf16(&mut units);
    let first = u32::from(encoded[0]);
    let second = encoded.get(1).copied().map_or(0, u32::from);
    (first << 16) | second
}
