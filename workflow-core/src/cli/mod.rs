//! The command-line interfaces: the `workflow` command (validate, run and graph Amazon States
//! Language (ASL) files on the in-process engine) and the standard commands of workflow
//! binaries ([`main`]: `run`, `export`, `graph`, `validate`), which share their output contract.
//!
//! ```no_run
//! use clap::Parser;
//! use workflow_core::cli::{Cli, Exit, Io};
//!
//! let cli = Cli::parse_from(["workflow", "validate", "order.asl.json"]);
//! let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
//! let mut io = Io { stdout: &mut stdout, stderr: &mut stderr };
//! let exit = workflow_core::cli::run(cli, &mut io).unwrap_or(Exit::Invalid);
//! assert_eq!(exit, Exit::Success, "{}", String::from_utf8_lossy(&stdout));
//! ```
//!
//! Each subcommand is a module with its arguments (`Args`) and one function over the
//! `workflow-core` APIs. They write to the [`Io`] they are given, so tests can run them
//! in-process and read what they printed. An `Err` from [`run`] is always a problem with what
//! the user gave (a file, a flag, the input), rendered with `{:#}`; it means [`Exit::Invalid`].

mod binary;
mod durable;
mod graph;
mod run;
mod serve;
mod source;
mod validate;

pub use binary::{WorkflowCli, WorkflowCommand, main, pretty, run_workflows};
pub use durable::{DurableCommand, StartArgs, StoreArg};

use std::io::Write;

use clap::{Parser, Subcommand};

/// Validate, run and graph Amazon States Language (ASL) state machines locally.
#[derive(Debug, Parser)]
#[command(
    name = "workflow",
    version,
    about,
    long_about = "Validate, run and graph Amazon States Language (ASL) state machines locally, \
with AWS Step Functions' semantics.\n\n\
A state machine is a JSON file with `StartAt` and `States`, as written for AWS Step Functions. \
Task states run on mocked responses (AWS Step Functions Local's mock file format), so no AWS \
account is involved.",
    after_help = "Examples:\n  \
workflow validate order.asl.json\n  \
workflow run order.asl.json --input '{\"total\": 120}' --mocks mocks.json --test-case HappyPath\n  \
workflow graph order.asl.json --format dot | dot -Tsvg > order.svg\n\n\
Exit codes:\n  \
0  success: every file is valid, or the execution SUCCEEDED\n  \
1  the execution FAILED, TIMED_OUT or was ABORTED\n  \
2  bad input: an unreadable file, JSON that does not parse, an invalid state machine, a bad \
mock file or input, or a bad command line"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Validate(validate::Args),
    Run(run::Args),
    Graph(graph::Args),
    /// Start an execution on a store without waiting for it; a worker runs it
    Start(durable::StartFileArgs),
    #[command(flatten)]
    Durable(durable::DurableCommand),
}

/// Where a command writes: the process's stdout and stderr, or buffers in tests.
pub struct Io<'a> {
    /// The command's result: diagnostics, the execution's outcome, the graph.
    pub stdout: &'a mut dyn Write,
    /// Progress of long executions, and hints.
    pub stderr: &'a mut dyn Write,
}

/// How a command ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every file is valid, or the execution succeeded.
    Success,
    /// The execution failed, timed out or was aborted.
    Failed,
    /// Something the user gave is bad: a file, the definition, the input, a flag.
    Invalid,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Invalid => 2,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

/// Runs one command. An `Err` is a problem with what the user gave; print it with `{:#}` and
/// exit with [`Exit::Invalid`].
pub fn run(cli: Cli, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Validate(args) => validate::validate(&args, io),
        Command::Run(args) => run::run(&args, io),
        Command::Graph(args) => graph::graph(&args, io),
        Command::Start(args) => durable::start_file(&args, io),
        Command::Durable(command) => durable::run_durable(command, &|_| Ok(Vec::new()), io),
    }
}
