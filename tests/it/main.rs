//! Integration tests of the workflow workspace.

mod asl_roundtrip;
mod asl_validate;
mod cli;
mod conformance;
mod dsl;
mod examples;
mod oracles;
mod tasks;
