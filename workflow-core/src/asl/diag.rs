//! Diagnostics: what is wrong with a definition, with AWS's codes and a JSON-pointer location.

use std::fmt;

/// How bad a diagnostic is, as in AWS's `ValidateStateMachineDefinition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        }
    }
}

/// The diagnostic codes of AWS's `ValidateStateMachineDefinition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// The document is not JSON, or not a JSON object.
    InvalidJsonDescription,
    /// The document is empty.
    MissingDescription,
    /// A field is missing, unknown, of the wrong type, or has a value out of range.
    SchemaValidationFailed,
    /// `Next`, `Default`, a catcher's `Next` or `StartAt` names a state that does not exist.
    MissingTransitionTarget,
    /// Two states share a name within one state machine (nested graphs included).
    DuplicateStateName,
    /// A state name is empty, too long, or contains forbidden characters.
    InvalidStateName,
    /// No state can end the execution, or a cycle has no way out.
    MissingEndState,
    /// Parallel/Map nesting is deeper than AWS allows.
    TooDeeplyNested,
    /// A state cannot be reached from `StartAt`.
    UnreachableState,
    /// A `Resource` is not a valid ARN.
    InvalidResource,
    /// Two Map states share a `Label`.
    DuplicateLabelName,
    /// A Map `Label` is too long or contains forbidden characters.
    InvalidLabelName,
    /// Warning: a literal string that looks like a path or an intrinsic function call, under a
    /// key that does not end in `.$`.
    NoDollar,
    /// Warning: a field whose value looks like a path, where a `...Path` field exists for that.
    NoPath,
    /// Warning: a Pass state's `Result` that looks like it should be evaluated.
    PassResultIsStatic,
    /// A JSONPath, reference path or intrinsic function does not parse.
    InvalidJsonPath,
    /// A JSONata expression does not parse.
    InvalidJsonata,
    /// A variable name or an `Assign` is invalid.
    InvalidVariable,
    /// A state has no handler or mock for its resource (reported when a definition is loaded for
    /// execution, not by `ValidateStateMachineDefinition`).
    UnknownResource,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidJsonDescription => "INVALID_JSON_DESCRIPTION",
            Code::MissingDescription => "MISSING_DESCRIPTION",
            Code::SchemaValidationFailed => "SCHEMA_VALIDATION_FAILED",
            Code::MissingTransitionTarget => "MISSING_TRANSITION_TARGET",
            Code::DuplicateStateName => "DUPLICATE_STATE_NAME",
            Code::InvalidStateName => "INVALID_STATE_NAME",
            Code::MissingEndState => "MISSING_END_STATE",
            Code::TooDeeplyNested => "TOO_DEEPLY_NESTED",
            Code::UnreachableState => "UNREACHABLE_STATE",
            Code::InvalidResource => "INVALID_RESOURCE",
            Code::DuplicateLabelName => "DUPLICATE_LABEL_NAME",
            Code::InvalidLabelName => "INVALID_LABEL_NAME",
            Code::NoDollar => "NO_DOLLAR",
            Code::NoPath => "NO_PATH",
            Code::PassResultIsStatic => "PASS_RESULT_IS_STATIC",
            Code::InvalidJsonPath => "INVALID_JSON_PATH",
            Code::InvalidJsonata => "INVALID_JSONATA",
            Code::InvalidVariable => "INVALID_VARIABLE",
            Code::UnknownResource => "UNKNOWN_RESOURCE",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// A JSON pointer (RFC 6901) into the definition, e.g. `/States/Charge/Next`.
    pub location: String,
}

impl Diagnostic {
    pub fn error(code: Code, location: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: location.into(),
        }
    }

    pub fn warning(code: Code, location: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            location: location.into(),
        }
    }

    /// The diagnostic as AWS's API shape: `{severity, code, message, location}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "severity": self.severity.as_str(),
            "code": self.code.as_str(),
            "message": self.message,
            "location": self.location,
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = if self.location.is_empty() {
            "/"
        } else {
            &self.location
        };
        write!(f, "{} at {}: {}", self.code, location, self.message)
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/`.
pub fn pointer_push(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// All diagnostics of a definition that is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        write!(
            f,
            "the definition has {n} error{}",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.0 {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
