//! Reading what the user names: definition files, mock files and the execution input, with
//! errors that say what is wrong and where (file, line and column, JSON pointer).

use std::fmt::Write as _;
use std::io::{self, Read};
use std::path::Path;

use crate::asl::{self, Diagnostic};
use anyhow::{anyhow, bail};
use serde_json::Value;

/// Reads a text file.
pub(crate) fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|err| anyhow!("cannot read '{}': {}", path.display(), io_reason(&err)))
}

/// Reads a JSON file.
pub(crate) fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|err| anyhow!("'{}' is not JSON: {err}", path.display()))
}

/// Why a file could not be read, in lowercase words.
pub(crate) fn io_reason(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        io::ErrorKind::InvalidData => "it is not UTF-8 text".to_string(),
        _ => {
            let text = err.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => "unknown error".to_string(),
            }
        }
    }
}

/// Reads and validates a definition file; every error is reported at once.
pub(crate) fn definition(path: &Path) -> anyhow::Result<asl::Validated> {
    let text = read_text(path)?;
    asl::load_str(&text).map_err(|diagnostics| invalid_definition(path, &diagnostics.0))
}

/// The error for a definition with errors: a header naming the file, then one line per error.
pub(crate) fn invalid_definition(path: &Path, diagnostics: &[Diagnostic]) -> anyhow::Error {
    let errors: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity == asl::Severity::Error)
        .collect();
    let mut message = format!(
        "'{}' is not a valid state machine ({} error{})",
        path.display(),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for diagnostic in errors {
        let _ = write!(message, "\n  {}", diagnostic_line(diagnostic));
    }
    anyhow!(message)
}

/// One diagnostic on one line: `ERROR CODE at /States/X/Next: message`.
pub(crate) fn diagnostic_line(diagnostic: &Diagnostic) -> String {
    format!("{} {diagnostic}", diagnostic.severity.as_str())
}

/// The execution input from `--input`: JSON text, `@FILE`, or `@-` for stdin; `{}` without it.
pub(crate) fn input(arg: Option<&str>) -> anyhow::Result<Value> {
    let Some(arg) = arg else {
        return Ok(Value::Object(serde_json::Map::new()));
    };
    if arg == "@-" {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| anyhow!("cannot read the input from stdin: {}", io_reason(&err)))?;
        return serde_json::from_str(&text)
            .map_err(|err| anyhow!("the input read from stdin is not JSON: {err}"));
    }
    if let Some(file) = arg.strip_prefix('@') {
        let path = Path::new(file);
        let text = read_text(path)?;
        return serde_json::from_str(&text)
            .map_err(|err| anyhow!("the input file '{}' is not JSON: {err}", path.display()));
    }
    match serde_json::from_str(arg) {
        Ok(value) => Ok(value),
        Err(err) if Path::new(arg).is_file() => bail!(
            "the --input value is not JSON: {err}; to read the file '{arg}', write --input @{arg}"
        ),
        Err(err) => bail!("the --input value is not JSON: {err}"),
    }
}
