//! The 18 intrinsic functions of JSONPath mode (`States.Format`, `States.Array`, ...): a parser
//! for calls such as `States.Format('Hello {}', $.name)` and their evaluation with AWS's limits.
//!
//! ```
//! use serde_json::json;
//! use workflow_core::expr::SimpleScope;
//! use workflow_core::expr::intrinsic::Call;
//!
//! let call = Call::parse("States.Format('{} has {} items', $.name, States.ArrayLength($.items))")?;
//! let input = json!({"name": "cart", "items": [1, 2, 3]});
//! assert_eq!(call.eval(&input, &SimpleScope::default())?, json!("cart has 3 items"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A call is parsed once, when the definition is loaded: unknown functions, wrong argument
//! counts, bad string escapes, unparsable paths and a few mistakes visible in literal
//! arguments (a `States.Format` placeholder count, a deep `States.JsonMerge`, an unknown
//! `States.Hash` algorithm) are [`CompileError`]s. Everything that depends on the input fails
//! at evaluation with `States.IntrinsicFailure`, except a path argument that matches nothing,
//! which is `States.Runtime` as for any other path.
//!
//! Where AWS's Java implementation shows through, results follow it: numbers print as
//! `Double.toString` does (`1.0`, `1.0E20`), `States.Format` prints objects as
//! `{key=value, ...}`, `States.JsonMerge` orders keys as a `java.util.HashMap`, and integer
//! arguments are rounded with `Math.round`.

mod base64;
pub(crate) mod func;
mod parse;

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use serde_json::Value;

use self::parse::{Arg, Node};
use super::{CompileError, EvalError, Scope};

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    source: String,
    node: Node,
}

impl Call {
    /// Whether `source` looks like an intrinsic call (`States.` followed by a name and `(`).
    pub fn looks_like_call(source: &str) -> bool {
        source.trim_start().starts_with("States.")
    }

    /// Parses a call.
    pub fn parse(source: &str) -> Result<Call, CompileError> {
        Ok(Call {
            source: source.to_string(),
            node: parse::parse(source)?,
        })
    }

    /// The call as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The name of the outermost function, such as `States.Format`.
    pub fn name(&self) -> &'static str {
        self.node.func.name()
    }

    /// Whether any argument reads the context object.
    pub fn uses_context(&self) -> bool {
        self.node.uses_context()
    }

    /// Whether the result is random (`States.UUID`, unseeded `States.MathRandom`), so that an
    /// execution that must replay identically has to record it or use
    /// [`Call::eval_with_random`].
    pub fn uses_randomness(&self) -> bool {
        self.node.uses_randomness()
    }

    /// Evaluates the call against the state input and the scope. `States.UUID` and unseeded
    /// `States.MathRandom` draw from a fast, non-cryptographic generator.
    pub fn eval(&self, input: &Value, scope: &dyn Scope) -> Result<Value, EvalError> {
        self.eval_with_random(input, scope, &mut || fastrand::u64(..))
    }

    /// Like [`Call::eval`], with `random` as the source of uniformly random 64-bit values for
    /// `States.UUID` and unseeded `States.MathRandom`; a seeded generator makes them repeatable.
    pub fn eval_with_random(
        &self,
        input: &Value,
        scope: &dyn Scope,
        random: &mut dyn FnMut() -> u64,
    ) -> Result<Value, EvalError> {
        eval_node(&self.node, input, scope, random)
    }
}

fn eval_node<'v>(
    node: &'v Node,
    input: &'v Value,
    scope: &'v dyn Scope,
    random: &mut dyn FnMut() -> u64,
) -> Result<Value, EvalError> {
    let mut values: Vec<Cow<'v, Value>> = Vec::with_capacity(node.args.len());
    for arg in &node.args {
        values.push(match arg {
            Arg::Literal(value) => Cow::Borrowed(value),
            Arg::Path(path) => path.select(input, scope)?.ok_or_else(|| {
                EvalError::runtime(format!(
                    "The JSONPath '{}' specified as an argument of {} could not be found in the input '{}'",
                    path.source(),
                    node.func.name(),
                    input
                ))
            })?,
            Arg::Call(inner) => Cow::Owned(eval_node(inner, input, scope, random)?),
        });
    }
    node.func.apply(&values, node.template.as_ref(), random)
}
