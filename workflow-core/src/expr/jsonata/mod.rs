//! JSONata, as Step Functions runs it.
//!
//! FIXME(skeleton): the evaluator is being written on its own branch; until it lands every
//! expression fails to compile, so JSONata states are rejected when a definition is loaded.

use serde_json::Value;

/// Variable bindings visible to an expression (`$states`, workflow variables).
pub trait Bindings {
    fn lookup(&self, name: &str) -> Option<&Value>;
}

/// A JSONata error: code, message and character position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonataError {
    pub code: String,
    pub message: String,
    pub position: Option<usize>,
}

impl std::fmt::Display for JsonataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for JsonataError {}

/// A compiled JSONata expression.
#[derive(Debug, Clone)]
pub struct Expr {
    source: String,
}

impl Expr {
    pub fn compile(source: &str) -> Result<Expr, JsonataError> {
        Err(JsonataError {
            code: "S0000".into(),
            message: format!("JSONata is not supported yet: {source}"),
            position: None,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn evaluate(
        &self,
        _input: &Value,
        _bindings: &dyn Bindings,
    ) -> Result<Option<Value>, JsonataError> {
        Ok(None)
    }
}

/// The expression inside `{% ... %}`, if `s` is one.
pub fn strip_delimiters(s: &str) -> Option<&str> {
    s.strip_prefix("{%")?.strip_suffix("%}")
}
