//! JSONata 2.0 as Step Functions runs it: the whole language, every JSONata 2.0 built-in
//! function except `$eval`, and the functions Step Functions adds (`$partition`, `$range`,
//! `$hash`, `$random([seed])`, `$uuid`, `$parse`). The 2.1 operators `??` and `?:` are syntax
//! errors, as in the jsonata 2.0.6 that AWS runs.
//!
//! # Why our own evaluator and not `jsonata-core`
//!
//! Measured on this project's 2-core machine (release build), November 2026:
//!
//! - `jsonata-core` 2.2.13 evaluates `$counter < 1000` in about 0.26 µs once its input is a
//!   `JValue`, but converting a `serde_json::Value` to `JValue` is required on every
//!   evaluation: 1,356 µs for a 2,000-key state input. The Choice-loop target (500,000
//!   transitions/s) rules that out; this module reads the `serde_json::Value` in place.
//! - Its `JValue` and `Expression` hold `Rc` and `OnceCell`, so neither is `Send`/`Sync`; only
//!   its AST is, and bindings force its tree-walker anyway.
//! - It passes about 1,667 of the 1,686 official cases (our harness), but it is 33,000 lines
//!   with one maintainer, and still needs our own number conversion (`10` became `10.0`),
//!   `??`/`?:` rejection, `$eval` removal and the AWS functions.
//!
//! This module evaluates on borrowed `serde_json::Value`s (`value::Val::Json`), so an
//! expression touches only the parts of the input it names. It passes 1,638 of the 1,640
//! official cases that Step Functions can run (`tests/it/jsonata_suite.rs`; the other two
//! hold lone UTF-16 surrogates, which a Rust string cannot).
//!
//! # Deviations from JavaScript
//!
//! - Regular expressions use the `regex` crate (linear time, no catastrophic backtracking);
//!   look-around and back-references are compile errors (`S0303`).
//! - Evaluation depth is limited (error `U1001`) so deep recursion cannot overflow the stack.
//! - A `$fromMillis`/`$now` timezone is minutes east of UTC as written: `-0530` is five and a
//!   half hours behind (jsonata 2.0 reads it as `-06:30`, and `[Z01]` then gives `-06:-30`);
//!   `+01:00` is accepted as `+0100`.
//! - Picture strings are user input: widths above 64 count as 64, roman numerals stop at ten
//!   million (larger numbers are written in digits), and `$toMillis` gives up
//!   (undefined) after 10,000 backtracking steps.

mod ancestry;
mod aws;
mod error;
mod eval;
mod format;
mod functions;
mod parse;
mod signature;
mod value;

use std::cell::Cell;
use std::rc::Rc;

use serde_json::Value;

pub use error::JsonataError;

/// Variables an expression can read besides its input: `$states`, workflow variables.
pub trait Bindings {
    fn lookup(&self, name: &str) -> Option<&Value>;
}

/// No bindings.
impl Bindings for () {
    fn lookup(&self, _: &str) -> Option<&Value> {
        None
    }
}

impl Bindings for serde_json::Map<String, Value> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// A compiled JSONata expression. Cheap to share: it is `Send + Sync`.
#[derive(Debug)]
pub struct Expr {
    source: String,
    root: parse::Node,
    stack_budget: usize,
    max_depth: usize,
}

/// Native stack an evaluation may use by default: half of tokio's 2 MiB worker stack.
const DEFAULT_STACK_BUDGET: usize = 1 << 20;

impl Expr {
    /// Parses `source` once.
    pub fn compile(source: &str) -> Result<Expr, JsonataError> {
        let root = parse::parse(source)?;
        Ok(Expr {
            source: source.to_string(),
            root,
            stack_budget: DEFAULT_STACK_BUDGET,
            max_depth: eval::MAX_DEPTH,
        })
    }

    /// Sets how many bytes of native stack an evaluation may use before it fails with
    /// `U1001` (default 1 MiB). Raise it only on a thread with a larger stack.
    /// Sets the evaluation nesting limit (JSONata's `depth` option); deeper evaluations fail
    /// with `U1001`.
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    pub fn with_stack_budget(mut self, bytes: usize) -> Self {
        self.stack_budget = bytes;
        self
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates against `input` with variable bindings; `Ok(None)` is JSONata's undefined.
    pub fn evaluate(
        &self,
        input: &Value,
        bindings: &dyn Bindings,
    ) -> Result<Option<Value>, JsonataError> {
        self.evaluate_input(Some(input), bindings)
    }

    /// Evaluates with an optional input (`None` is an undefined input).
    pub fn evaluate_input(
        &self,
        input: Option<&Value>,
        bindings: &dyn Bindings,
    ) -> Result<Option<Value>, JsonataError> {
        let marker = 0u8;
        let ev = eval::Ev {
            bindings,
            depth: Cell::new(0),
            now: Cell::new(None),
            rng: Cell::new(0),
            stack_base: &marker as *const u8 as usize,
            stack_budget: self.stack_budget,
            max_depth: self.max_depth,
        };
        let env = Rc::new(eval::Env::default());
        let input = match input {
            None => value::Val::Undef,
            // An array input is wrapped so that it is treated as one value.
            Some(v @ Value::Array(_)) => value::Val::Arr(Rc::new(value::Arr {
                items: vec![value::Val::Json(v)],
                seq: true,
                outer: true,
                ..value::Arr::default()
            })),
            Some(v) => value::Val::Json(v),
        };
        if let Some(v) = input_root(&input) {
            env.bind("$", v);
        }
        let result = ev.eval(&self.root, &input, &env)?;
        let result = eval::unwrap_seq(result, false);
        match &result {
            value::Val::Num(n) if n.is_infinite() => Err(JsonataError::new(
                "D1001",
                format!("Number out of range: {n}"),
            )),
            // A function is no JSON value; AWS reports "an unsupported result type".
            value::Val::Func(_) => Err(JsonataError::new(
                UNSUPPORTED_RESULT,
                "the expression returned a function, which is not a JSON value".to_string(),
            )),
            _ => Ok(result.to_json()),
        }
    }
}

/// The error code of an expression whose result is not a JSON value (a function).
pub const UNSUPPORTED_RESULT: &str = "WF0001";

fn input_root<'a>(input: &value::Val<'a>) -> Option<value::Val<'a>> {
    match input {
        value::Val::Undef => None,
        value::Val::Arr(a) if a.outer => a.items.first().cloned(),
        v => Some(v.clone()),
    }
}

/// The expression inside a Step Functions `{% ... %}` string, if `s` is one.
///
/// Like AWS, the delimiters must be the very first and last characters; the inner text is
/// returned untrimmed.
pub fn strip_delimiters(s: &str) -> Option<&str> {
    s.strip_prefix("{%")?.strip_suffix("%}")
}

#[cfg(test)]
mod tests;
