//! Workflows as code: an engine for Amazon States Language (ASL) state machines.
//!
//! `workflow-core` parses and validates any ASL document, runs it in-process with AWS Step
//! Functions' semantics, and records AWS-shaped history.

pub mod asl;
pub mod exec;
pub mod expr;
pub mod store;
