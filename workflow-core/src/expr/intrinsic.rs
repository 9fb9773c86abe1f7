//! The 18 intrinsic functions of JSONPath mode (`States.Format`, `States.Array`, ...): a parser
//! for calls such as `States.Format('Hello {}', $.name)` and their evaluation with AWS's limits.
//!
//! FIXME(skeleton): the parser and the functions are being written; every call fails for now.

use serde_json::Value;

use super::{CompileError, EvalError, Scope};

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    source: String,
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
        })
    }

    /// The call as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether any argument reads the context object.
    pub fn uses_context(&self) -> bool {
        self.source.contains("$$")
    }

    /// Evaluates the call against the state input and the scope.
    pub fn eval(&self, _input: &Value, _scope: &dyn Scope) -> Result<Value, EvalError> {
        Err(EvalError::intrinsic(format!(
            "the intrinsic function call '{}' is not supported yet",
            self.source
        )))
    }
}
