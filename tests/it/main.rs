//! Integration tests of the workflow workspace.

mod asl_roundtrip;
mod asl_validate;
mod cli;
mod cli_store;
mod conformance;
mod crash;
mod dsl;
mod durable;
mod examples;
mod jsonata_differential;
mod jsonata_suite;
mod oracles;
mod serve;
mod serve_clients;
mod serve_sdk;
mod store;
mod tasks;
mod variables;
