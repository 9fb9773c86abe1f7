//! `workflow validate`: every problem of each definition, with AWS's diagnostic codes and
//! JSON-pointer locations.

use std::path::PathBuf;

use crate::asl::{self, Diagnostic, Severity};
use anyhow::Context;
use serde_json::{Value, json};

use super::source::{self, diagnostic_line};
use super::{Exit, Io};

/// Check state machine definitions and report every problem
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Check state machine definitions and report every problem, with the codes of AWS's \
ValidateStateMachineDefinition (MISSING_TRANSITION_TARGET, SCHEMA_VALIDATION_FAILED, ...) and a JSON \
pointer to the offending field.\n\n\
Each problem is one line:\n  \
order.asl.json: ERROR MISSING_TRANSITION_TARGET at /States/Charge/Next: ...\n\
A file without errors prints its warnings, then `FILE: OK`.\n\n\
Exits with 0 when every file is valid (warnings allowed), 2 when any file is invalid or cannot be read."
)]
pub struct Args {
    /// The definition files (Amazon States Language JSON)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Print a JSON array with one object per file instead:
    /// {"file", "result": "OK"|"FAIL", "diagnostics": [{"severity", "code", "message", "location"}]},
    /// plus "error" when the file cannot be read
    #[arg(long)]
    pub json: bool,
}

/// What one file turned out to be.
pub(crate) enum Verdict {
    /// Valid; the diagnostics are warnings.
    Valid(Vec<Diagnostic>),
    /// Invalid: errors and warnings.
    Invalid(Vec<Diagnostic>),
    /// The file cannot be read; the reason.
    Unreadable(String),
}

impl Verdict {
    fn of_file(path: &std::path::Path) -> Verdict {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) => {
                return Verdict::Unreadable(format!(
                    "cannot read the file: {}",
                    source::io_reason(&err)
                ));
            }
        };
        Verdict::of_text(&text)
    }

    pub(crate) fn of_text(text: &str) -> Verdict {
        match asl::load_str(text) {
            Ok(validated) => Verdict::Valid(validated.warnings),
            Err(diagnostics) => Verdict::Invalid(diagnostics.0),
        }
    }

    fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid(_))
    }

    fn to_json(&self, file: &str) -> Value {
        let result = if self.is_valid() { "OK" } else { "FAIL" };
        match self {
            Verdict::Valid(diagnostics) | Verdict::Invalid(diagnostics) => json!({
                "file": file,
                "result": result,
                "diagnostics": diagnostics.iter().map(Diagnostic::to_json).collect::<Vec<_>>(),
            }),
            Verdict::Unreadable(reason) => json!({
                "file": file,
                "result": result,
                "error": reason,
                "diagnostics": [],
            }),
        }
    }
}

pub(crate) fn validate(args: &Args, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let verdicts: Vec<(String, Verdict)> = args
        .files
        .iter()
        .map(|path| (path.display().to_string(), Verdict::of_file(path)))
        .collect();
    report(&verdicts, args.json, io)
}

/// Prints verdicts (one line per problem, or the JSON report) and picks the exit code.
pub(crate) fn report(
    verdicts: &[(String, Verdict)],
    json: bool,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    if json {
        let report: Vec<Value> = verdicts
            .iter()
            .map(|(file, verdict)| verdict.to_json(file))
            .collect();
        serde_json::to_writer_pretty(&mut *io.stdout, &report)
            .context("cannot write the report")?;
        writeln!(io.stdout).context("cannot write the report")?;
    } else {
        for (file, verdict) in verdicts {
            write_human(io, file, verdict).context("cannot write the report")?;
        }
    }
    Ok(if verdicts.iter().all(|(_, verdict)| verdict.is_valid()) {
        Exit::Success
    } else {
        Exit::Invalid
    })
}

fn write_human(io: &mut Io<'_>, file: &str, verdict: &Verdict) -> std::io::Result<()> {
    match verdict {
        Verdict::Unreadable(reason) => writeln!(io.stdout, "{file}: ERROR {reason}"),
        Verdict::Valid(diagnostics) | Verdict::Invalid(diagnostics) => {
            for diagnostic in diagnostics {
                writeln!(io.stdout, "{file}: {}", diagnostic_line(diagnostic))?;
            }
            if verdict.is_valid() {
                let warnings = diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Warning)
                    .count();
                match warnings {
                    0 => writeln!(io.stdout, "{file}: OK"),
                    1 => writeln!(io.stdout, "{file}: OK, 1 warning"),
                    n => writeln!(io.stdout, "{file}: OK, {n} warnings"),
                }
            } else {
                Ok(())
            }
        }
    }
}
