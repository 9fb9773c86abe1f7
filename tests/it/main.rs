//! Integration tests of the workflow workspace.

mod asl_roundtrip;
mod jsonata_differential;
mod jsonata_suite;
