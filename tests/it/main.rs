//! Integration tests of the workflow workspace.

mod asl_graph;
mod asl_roundtrip;
mod asl_validate;
