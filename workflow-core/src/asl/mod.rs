//! The Amazon States Language: a typed, lossless model of a definition, its parser (with
//! JSON-pointer locations) and its validator (with AWS's diagnostic codes).

mod diag;
pub mod graph;
mod model;
mod parse;
mod serialize;
mod validate;

pub use diag::{Code, Diagnostic, Diagnostics, Severity, pointer_push};
pub use model::*;
pub use parse::{parse_str, parse_value};
pub use validate::{
    MAX_NESTING_DEPTH, Validated, jsonata_syntax_error, load_str, load_value, validate,
};
