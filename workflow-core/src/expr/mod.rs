//! Expressions: JSONPath as Step Functions uses it (paths, payload templates, intrinsic
//! functions, choice rules) and JSONata.
//!
//! Everything here is compiled once, when a definition is loaded, and evaluated many times.
//! Evaluation reads the state input, the variables in scope and the context object through
//! [`Scope`], and never does IO.

use std::fmt;

use serde_json::Value;

pub mod choice;
pub mod intrinsic;
mod java;
pub mod jsonata;
pub mod jsonpath;
pub mod template;

/// What an expression can read besides the state input.
pub trait Scope {
    /// The value of the workflow variable `name` (without the `$`), if it is assigned in this
    /// scope or an enclosing one.
    fn variable(&self, name: &str) -> Option<&Value>;

    /// The context object (`$$` in JSONPath, `$states.context` in JSONata).
    fn context(&self) -> &Value;
}

/// A [`Scope`] made of plain values; for tests and for evaluating outside an execution.
#[derive(Debug, Clone, Default)]
pub struct SimpleScope {
    pub variables: serde_json::Map<String, Value>,
    pub context: Value,
}

impl Scope for SimpleScope {
    fn variable(&self, name: &str) -> Option<&Value> {
        self.variables.get(name)
    }

    fn context(&self) -> &Value {
        &self.context
    }
}

/// The ASL error an evaluation failure raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorName {
    /// `States.Runtime`: a path that does not match, a value of the wrong type, ...
    Runtime,
    /// `States.IntrinsicFailure`: an intrinsic function failed.
    IntrinsicFailure,
    /// `States.QueryEvaluationError`: a JSONata expression failed or returned nothing.
    QueryEvaluationError,
    /// `States.ResultPathMatchFailure`: `ResultPath` cannot be applied to the state input.
    ResultPathMatchFailure,
    /// `States.ReferencePathConflict`: what AWS actually raises when `ResultPath` cannot be
    /// written into the state input (a field of a string, an index of an object, ...).
    ReferencePathConflict,
}

impl ErrorName {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorName::Runtime => "States.Runtime",
            ErrorName::IntrinsicFailure => "States.IntrinsicFailure",
            ErrorName::QueryEvaluationError => "States.QueryEvaluationError",
            ErrorName::ResultPathMatchFailure => "States.ResultPathMatchFailure",
            ErrorName::ReferencePathConflict => "States.ReferencePathConflict",
        }
    }
}

/// An evaluation failure: the ASL error name and the cause text AWS gives, without the
/// "An error occurred while executing the state ..." prefix, which the executor adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub name: ErrorName,
    pub message: String,
}

impl EvalError {
    pub fn runtime(message: impl Into<String>) -> Self {
        EvalError {
            name: ErrorName::Runtime,
            message: message.into(),
        }
    }

    pub fn intrinsic(message: impl Into<String>) -> Self {
        EvalError {
            name: ErrorName::IntrinsicFailure,
            message: message.into(),
        }
    }

    pub fn query(message: impl Into<String>) -> Self {
        EvalError {
            name: ErrorName::QueryEvaluationError,
            message: message.into(),
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name.as_str(), self.message)
    }
}

impl std::error::Error for EvalError {}

/// A problem found when compiling an expression: what is wrong, for a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
}

impl CompileError {
    pub fn new(message: impl Into<String>) -> Self {
        CompileError {
            message: message.into(),
        }
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}
