//! JSONPath-mode choice rules: `Variable` with one of the 39 comparison operators, and
//! `And`/`Or`/`Not` combinations.
//!
//! FIXME(skeleton): the operators are being written; every comparison is false for now.

use serde_json::Value;

use super::jsonpath::Path;
use super::{CompileError, EvalError, Scope};
use crate::asl;

/// A compiled JSONPath choice rule (without its `Next`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    variable: Option<Path>,
}

impl Rule {
    /// Compiles a rule. JSONata `Condition` rules are compiled by the executor, not here.
    pub fn compile(rule: &asl::ChoiceRule) -> Result<Rule, CompileError> {
        match &rule.condition {
            asl::Condition::Compare { variable, .. } => Ok(Rule {
                variable: Some(Path::parse(variable)?),
            }),
            asl::Condition::Jsonata(_) => Err(CompileError::new(
                "a JSONata `Condition` is not a JSONPath choice rule",
            )),
            _ => Ok(Rule { variable: None }),
        }
    }

    /// Whether the rule matches.
    pub fn matches(&self, input: &Value, scope: &dyn Scope) -> Result<bool, EvalError> {
        if let Some(path) = &self.variable {
            path.select(input, scope)?;
        }
        Ok(false)
    }
}
