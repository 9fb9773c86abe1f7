//! The error type of JSONata compilation and evaluation.

use std::fmt;

/// A JSONata error: its code (`S0201`, `T2001`, `D3030`, ...), message and, when known, the
/// character position in the expression just after the offending token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonataError {
    pub code: String,
    pub message: String,
    pub position: Option<usize>,
    /// The token (operator, function or field name) the error is about, if any.
    pub token: Option<String>,
}

impl JsonataError {
    pub(crate) fn new(code: &str, message: String) -> Self {
        JsonataError {
            code: code.to_string(),
            message,
            position: None,
            token: None,
        }
    }

    /// Sets the position unless one is already known.
    pub(crate) fn at(mut self, position: usize) -> Self {
        if self.position.is_none() {
            self.position = Some(position);
        }
        self
    }

    pub(crate) fn token(mut self, token: impl Into<String>) -> Self {
        if self.token.is_none() {
            self.token = Some(token.into());
        }
        self
    }
}

impl fmt::Display for JsonataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(p) = self.position {
            write!(f, " (at position {p})")?;
        }
        Ok(())
    }
}

impl std::error::Error for JsonataError {}

pub(crate) type Result<T> = std::result::Result<T, JsonataError>;
