//! The `workflow` command: validate, run and graph Amazon States Language (ASL) files on the
//! in-process engine of `workflow-core`.
//!
//! The commands live in [`workflow_core::cli`], where workflow binaries share them; this crate
//! is the binary and re-exports them.
//!
//! ```no_run
//! use clap::Parser;
//! use workflow_cli::{Cli, Exit, Io};
//!
//! let cli = Cli::parse_from(["workflow", "validate", "order.asl.json"]);
//! let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
//! let mut io = Io { stdout: &mut stdout, stderr: &mut stderr };
//! let exit = workflow_cli::run(cli, &mut io).unwrap_or(Exit::Invalid);
//! assert_eq!(exit, Exit::Success, "{}", String::from_utf8_lossy(&stdout));
//! ```

pub use workflow_core::cli::{Cli, Command, Exit, Io, run};
