//! The standard commands of a workflow binary: `run`, `export`, `graph` and `validate` over the
//! workflows compiled into it, with the output contract of the `workflow` command.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use clap::{Parser, Subcommand};

use super::durable::{self, DurableCommand, Hold, StartArgs, StoreArg};
use super::graph::Format;
use super::validate::{Verdict, report};
use super::{Exit, Io, run, source};
use crate::asl;
use crate::asl::graph::{to_dot, to_mermaid};
use crate::exec::{
    Clock, Engine, EngineConfig, LoadedMachine, StartOptions, SystemClock, VirtualClock,
};
use crate::workflow::Workflow;

/// Run, export, graph and validate the workflows of this program.
#[derive(Debug, Parser)]
#[command(
    about,
    long_about = "Run, export, graph and validate the workflows compiled into this program. \
Their Amazon States Language (ASL) definitions were generated at build time by #[workflow]; \
`run` executes one on the in-process engine with its Rust tasks, `export` writes the ASL \
for AWS Step Functions.",
    after_help = "Exit codes:\n  \
0  success: the definitions are valid, or the execution SUCCEEDED\n  \
1  the execution FAILED, TIMED_OUT or was ABORTED\n  \
2  bad input: an unknown workflow, an input that is not JSON, a bad command line"
)]
pub struct WorkflowCli {
    #[command(subcommand)]
    pub command: WorkflowCommand,
}

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Run a workflow on the in-process engine and print how it ended
    Run {
        /// The workflow (its state machine name); needed when the program has several
        #[arg(value_name = "WORKFLOW")]
        workflow: Option<String>,
        /// The execution input: JSON text, or @FILE to read it from a file (@- for stdin)
        /// [default: {}]
        #[arg(long, short, value_name = "JSON|@FILE")]
        input: Option<String>,
        /// Print one JSON object instead: {"status", "output", "error", "cause", "history"}
        #[arg(long)]
        json: bool,
        /// The execution's name, unique for its workflow [default: a new UUID]
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// How time passes for waits, retry intervals and timeouts
        #[arg(long, value_enum, default_value_t = run::ClockKind::Real)]
        clock: run::ClockKind,
        /// Run durably on this store (a SQLite file, created when missing): every transition
        /// is committed, and if this process dies, `worker --store PATH` resumes the execution
        #[arg(long, value_name = "PATH")]
        store: Option<PathBuf>,
    },
    /// Start an execution on a store without waiting for it; `worker --store PATH` runs it.
    /// Prints the execution's ARN
    Start {
        /// The workflow (its state machine name); needed when the program has several
        #[arg(value_name = "WORKFLOW")]
        workflow: Option<String>,
        #[command(flatten)]
        start: StartArgs,
    },
    #[command(flatten)]
    Durable(DurableCommand),
    /// Write the ASL definitions: to stdout, or as DIR/NAME.asl.json with --out
    Export {
        /// The directory to write `NAME.asl.json` files into
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Print a workflow as a Mermaid or Graphviz (DOT) diagram
    Graph {
        /// The workflow (its state machine name); needed when the program has several
        #[arg(value_name = "WORKFLOW")]
        workflow: Option<String>,
        /// The diagram language
        #[arg(long, value_enum, default_value_t = Format::Mermaid)]
        format: Format,
    },
    /// Check every definition and report every problem
    Validate {
        /// Print the JSON report of `workflow validate --json`
        #[arg(long)]
        json: bool,
    },
}

/// Runs one command over `workflows`; an `Err` is a problem with what the user gave.
pub fn run_workflows(
    cli: WorkflowCli,
    workflows: &[Workflow],
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    match cli.command {
        WorkflowCommand::Run {
            workflow,
            input,
            json,
            name,
            clock,
            store,
        } => {
            let workflow = pick(workflows, workflow.as_deref())?;
            let input_value = source::input(input.as_deref())?;
            let clock: Arc<dyn Clock> = match clock {
                run::ClockKind::Real => Arc::new(SystemClock),
                run::ClockKind::Virtual => Arc::new(VirtualClock::starting_now()),
            };
            // Held until the execution ends, so that no worker hosts it meanwhile.
            let held = match store {
                Some(store) => Some(StoreArg { store }.hold(Hold::Run)?),
                None => None,
            };
            let engine = Engine::new(EngineConfig {
                clock,
                store: held.as_ref().map(|held| held.store.clone()),
                ..EngineConfig::default()
            });
            let machine = load(workflow, &engine)?;
            run::execute(
                &engine,
                &machine,
                input_value,
                input.as_deref(),
                StartOptions { name },
                json,
                io,
            )
        }
        WorkflowCommand::Start { workflow, start } => {
            let workflow = pick(workflows, workflow.as_deref())?;
            let engine = durable::engine(start.store.open()?);
            let machine = load(workflow, &engine)?;
            durable::start(&engine, &machine, &start, io)
        }
        WorkflowCommand::Durable(command) => {
            let prepare = |engine: &Engine| workflows.iter().map(|w| load(w, engine)).collect();
            durable::run_durable(command, &prepare, io)
        }
        WorkflowCommand::Export { out } => {
            match out {
                Some(dir) => {
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("cannot create '{}'", dir.display()))?;
                    for workflow in workflows {
                        let path = dir.join(format!("{}.asl.json", workflow.name()));
                        std::fs::write(&path, pretty(workflow))
                            .with_context(|| format!("cannot write '{}'", path.display()))?;
                        writeln!(io.stdout, "{}", path.display())
                            .context("cannot write to stdout")?;
                    }
                }
                None => {
                    for workflow in workflows {
                        io.stdout
                            .write_all(pretty(workflow).as_bytes())
                            .context("cannot write to stdout")?;
                    }
                }
            }
            Ok(Exit::Success)
        }
        WorkflowCommand::Graph { workflow, format } => {
            let workflow = pick(workflows, workflow.as_deref())?;
            let validated = asl::load_str(workflow.asl_text()).map_err(|diagnostics| {
                source::invalid_definition(std::path::Path::new(workflow.name()), &diagnostics.0)
            })?;
            let text = match format {
                Format::Mermaid => to_mermaid(&validated.machine),
                Format::Dot => to_dot(&validated.machine),
            };
            io.stdout
                .write_all(text.as_bytes())
                .context("cannot write the graph")?;
            Ok(Exit::Success)
        }
        WorkflowCommand::Validate { json } => {
            let verdicts: Vec<(String, Verdict)> = workflows
                .iter()
                .map(|w| (w.name().to_string(), Verdict::of_text(w.asl_text())))
                .collect();
            report(&verdicts, json, io)
        }
    }
}

/// The ASL text as `export` writes it: pretty JSON with a final newline.
pub fn pretty(workflow: &Workflow) -> String {
    let mut text = serde_json::to_string_pretty(&workflow.asl())
        .unwrap_or_else(|_| workflow.asl_text().to_string());
    text.push('\n');
    text
}

fn pick<'w>(workflows: &'w [Workflow], name: Option<&str>) -> anyhow::Result<&'w Workflow> {
    let names = || {
        workflows
            .iter()
            .map(|w| format!("'{}'", w.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(name) => workflows
            .iter()
            .find(|w| w.name() == name)
            .ok_or_else(|| anyhow!("no workflow named '{name}'; this program has {}", names())),
        None if workflows.len() == 1 => Ok(&workflows[0]),
        None if workflows.is_empty() => bail!("this program has no workflows"),
        None => bail!("this program has several workflows ({}); name one", names()),
    }
}

/// Loads a workflow, its Rust task handlers registered on `engine`.
fn load(workflow: &Workflow, engine: &Engine) -> anyhow::Result<LoadedMachine> {
    workflow
        .load(engine)
        .map_err(|err| anyhow!("{err}: {}", error_chain(&err)))
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut source = err.source();
    while let Some(err) = source {
        parts.push(err.to_string());
        source = err.source();
    }
    parts.join(": ")
}

/// The `main` of a workflow binary: parses the command line, runs the command over
/// `workflows`, prints errors, and returns the exit code.
///
/// ```no_run
/// # use workflow_core::prelude::*;
/// # #[workflow]
/// # async fn process_order(n: u32) -> Result<u32, WorkflowError> { Ok(n) }
/// fn main() -> std::process::ExitCode {
///     workflow_core::cli::main([process_order::workflow()])
/// }
/// ```
pub fn main(workflows: impl IntoIterator<Item = Workflow>) -> std::process::ExitCode {
    let workflows: Vec<Workflow> = workflows.into_iter().collect();
    let cli = WorkflowCli::parse();
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    let mut io = Io {
        stdout: &mut stdout,
        stderr: &mut stderr,
    };
    match run_workflows(cli, &workflows, &mut io) {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            Exit::Invalid.into()
        }
    }
}
