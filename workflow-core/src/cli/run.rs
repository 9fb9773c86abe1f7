//! `workflow run`: one execution of a state machine, its Task states served by mocked responses.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::asl::{Code, Diagnostic};
use crate::exec::{
    Clock, Details, Engine, EngineConfig, ExecutionHandle, HistoryEvent, LoadError, LoadOptions,
    LoadedMachine, Mocks, Outcome, StartError, StartOptions, Status, SystemClock, VirtualClock,
    format_timestamp,
};
use anyhow::{Context, anyhow};
use serde_json::{Value, json};

use super::source::{self, diagnostic_line};
use super::{Exit, Io};

/// Run a state machine locally and print how it ended
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Run a state machine locally, with AWS Step Functions' semantics, and print how it \
ended: the history (one line per event), the status, and the output or the error and cause.\n\n\
Task states run on mocked responses only: give a mock file with --mocks. It is either AWS Step \
Functions Local's mock file (`StateMachines` naming test cases, `MockedResponses` holding the \
answers), or a short form mapping state names to their answers in order:\n  \
{\"Charge\": [{\"Throw\": {\"Error\": \"Busy\", \"Cause\": \"try later\"}}, {\"Return\": {\"ok\": true}}]}\n\
In the AWS format, the state machine used is the one named by --machine, else the one named like the \
definition file (`order` for order.asl.json), else the only one in the file.\n\n\
Executions that take longer than a second report progress on stderr.\n\n\
Examples:\n  \
workflow run hello.asl.json --input '{\"who\": \"world\"}'\n  \
workflow run order.asl.json --input @order.json --mocks mocks.json --test-case Retry --clock virtual\n  \
workflow run order.asl.json --json | jq .status\n\n\
Exits with 0 when the execution SUCCEEDED, 1 when it FAILED, TIMED_OUT or was ABORTED, and 2 when \
it could not start: an unreadable file, JSON that does not parse, an invalid state machine, a Task \
state without a mock, a bad mock file, or an input that is not JSON or over 256 KiB."
)]
pub struct Args {
    #[command(flatten)]
    pub definition: Definition,

    /// The execution input: JSON text, or @FILE to read it from a file (@- for stdin)
    /// [default: {}]
    #[arg(long, short, value_name = "JSON|@FILE")]
    pub input: Option<String>,

    /// The execution's name, unique for its state machine [default: a new UUID]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Print one JSON object instead: {"status", "output", "error", "cause", "history"}, the
    /// history in the shape of AWS's GetExecutionHistory
    #[arg(long)]
    pub json: bool,

    /// How time passes for Wait states, retry intervals and timeouts
    #[arg(long, value_enum, default_value_t = ClockKind::Real)]
    pub clock: ClockKind,

    /// Run durably on this store (a SQLite file, created when missing): every transition is
    /// committed, and if this process dies, `workflow worker --store PATH` resumes the execution
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
}

/// A definition file and what serves its Task states: `run` and `start` take these.
#[derive(Debug, clap::Args)]
pub struct Definition {
    /// The definition file (Amazon States Language JSON)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Mocked responses for the Task states (AWS Step Functions Local's mock file, or
    /// {"State": [{"Return": ...}, {"Throw": {"Error": ..., "Cause": ...}}]})
    #[arg(long, short, value_name = "FILE")]
    pub mocks: Option<PathBuf>,

    /// The test case of the mock file to use; needed when its state machine has several
    #[arg(long, value_name = "NAME", requires = "mocks")]
    pub test_case: Option<String>,

    /// The state machine's name, in its ARN and in the mock file
    /// [default: the definition file's name up to its first dot]
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClockKind {
    /// The wall clock: a 10-second Wait takes 10 seconds
    Real,
    /// Time jumps ahead whenever the execution only waits on timers: a one-day Wait ends at
    /// once, and history shows the virtual time
    Virtual,
}

pub(crate) fn run(args: &Args, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let clock: Arc<dyn Clock> = match args.clock {
        ClockKind::Real => Arc::new(SystemClock),
        ClockKind::Virtual => Arc::new(VirtualClock::starting_now()),
    };
    // A store is shared with workers: hold it so that none hosts this execution meanwhile.
    let (store, _hold) = match &args.store {
        Some(path) => {
            let hold = super::durable::StoreArg {
                store: path.clone(),
            }
            .hold(super::durable::Hold::Run)?;
            (Some(hold.store.clone()), Some(hold))
        }
        None => (None, None),
    };
    let engine = Engine::new(EngineConfig {
        clock,
        store,
        ..EngineConfig::default()
    });
    let machine = load(&args.definition, &engine, io)?;
    let input = source::input(args.input.as_deref())?;
    execute(
        &engine,
        &machine,
        input,
        args.input.as_deref(),
        StartOptions {
            name: args.name.clone(),
        },
        args.json,
        io,
    )
}

/// Loads a definition file on `engine`, its Task states served by the mocks given, and prints
/// its warnings.
pub(crate) fn load(
    definition: &Definition,
    engine: &Engine,
    io: &mut Io<'_>,
) -> anyhow::Result<LoadedMachine> {
    let validated = source::definition(&definition.file)?;
    for warning in &validated.warnings {
        writeln!(
            io.stderr,
            "{}: {}",
            definition.file.display(),
            diagnostic_line(warning)
        )
        .context("cannot write to stderr")?;
    }
    let name = definition
        .machine
        .clone()
        .or_else(|| stem(&definition.file).filter(|stem| plain_name(stem)));
    let mocks = match &definition.mocks {
        Some(path) => Some(read_mocks(path, definition, name.as_deref())?),
        None => None,
    };
    let has_mocks = mocks.is_some();
    engine
        .load(
            validated.machine,
            LoadOptions {
                name,
                mocks,
                express: false,
            },
        )
        .map_err(|err| cannot_load(&definition.file, &err, has_mocks))
}

/// Runs one execution of a loaded machine and prints how it ended (the output contract of
/// `run`, shared by `workflow run` and workflow binaries). On an engine with a store, the
/// execution is durable and its history is read back from the store.
pub(crate) fn execute(
    engine: &Engine,
    machine: &LoadedMachine,
    input: Value,
    input_arg: Option<&str>,
    options: StartOptions,
    json: bool,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (outcome, history) = runtime.block_on(async {
        let handle = engine
            .start(machine, input, options)
            .map_err(|err| cannot_start(input_arg, err))?;
        if let Some(store) = engine.store_handle() {
            // Progress is best effort: a closed stderr must not stop the execution.
            let _ = writeln!(
                io.stderr,
                "started {} on the store; if this process stops, `worker --store` resumes it",
                handle.arn()
            );
            let outcome = wait(&handle, io).await;
            let arn = handle.arn().to_string();
            let history = tokio::task::spawn_blocking(move || {
                super::durable::stored_history(store.as_ref(), &arn, false)
            })
            .await
            .context("cannot read the history")??;
            anyhow::Ok((outcome, history))
        } else {
            let outcome = wait(&handle, io).await;
            anyhow::Ok((outcome, handle.history()))
        }
    })?;

    if json {
        write_json(io, &outcome, &history)
    } else {
        write_human(io, &outcome, &history)
    }
    .context("cannot write the result")?;
    Ok(if matches!(outcome.status, Status::Succeeded(_)) {
        Exit::Success
    } else {
        Exit::Failed
    })
}

/// The definition file's name up to its first dot: `order` for `order.asl.json`.
fn stem(path: &Path) -> Option<String> {
    let file_name = path.file_name()?.to_str()?;
    let stem = file_name.split('.').next().unwrap_or(file_name);
    (!stem.is_empty()).then(|| stem.to_string())
}

/// Whether a file stem can serve as a state machine name as it is. This is a safe subset of
/// AWS's rule, only used to pick a default; `--machine` is taken as given.
fn plain_name(name: &str) -> bool {
    name.chars().count() <= 80
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_'))
}

/// Reads the mock file and picks the test case.
fn read_mocks(path: &Path, args: &Definition, name: Option<&str>) -> anyhow::Result<Mocks> {
    let value = source::read_json(path)?;
    let bad = |message: String| anyhow!("bad mock file '{}': {message}", path.display());
    let machines = value.get("StateMachines").and_then(Value::as_object);
    let machine = match machines {
        None if value.get("MockedResponses").is_none() => {
            if args.test_case.is_some() {
                return Err(bad(
                    "--test-case needs a mock file in AWS Step Functions Local's format, with \
                     `StateMachines` and `MockedResponses`"
                        .to_string(),
                ));
            }
            None
        }
        None => None,
        Some(machines) => match name {
            Some(name) if machines.contains_key(name) || machines.len() <= 1 => Some(name),
            Some(name) if args.machine.is_some() => {
                return Err(bad(format!(
                    "it has no state machine named '{name}' (it has {})",
                    quoted(machines.keys())
                )));
            }
            _ if machines.len() > 1 => {
                return Err(bad(format!(
                    "it has several state machines ({}) and none is named like the definition \
                     file; pick one with --machine",
                    quoted(machines.keys())
                )));
            }
            _ => None,
        },
    };
    Mocks::from_json(&value, machine, args.test_case.as_deref()).map_err(|err| bad(err.0))
}

fn quoted<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for a definition that is valid but cannot run, usually a Task state without a
/// mocked response.
fn cannot_load(path: &Path, err: &LoadError, has_mocks: bool) -> anyhow::Error {
    let unserved: Vec<&Diagnostic> = err
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::UnknownResource)
        .collect();
    if unserved.len() < err.diagnostics.len() {
        return source::invalid_definition(path, &err.diagnostics);
    }
    let mut message = format!("'{}' cannot run", path.display());
    for diagnostic in &unserved {
        message.push_str("\n  ");
        message.push_str(&diagnostic_line(diagnostic));
    }
    message.push_str(if has_mocks {
        "\n`workflow run` serves Task states from mocked responses only; add the missing states \
         to the test case of the mock file"
    } else {
        "\n`workflow run` serves Task states from mocked responses only; give them with \
         --mocks FILE (see `workflow run --help`)"
    });
    anyhow!(message)
}

fn cannot_start(input_arg: Option<&str>, err: StartError) -> anyhow::Error {
    match err {
        StartError::InputTooLarge { size, limit } => {
            let origin = match input_arg {
                Some("@-") => "read from stdin".to_string(),
                Some(arg) if arg.starts_with('@') => format!("in '{}'", &arg[1..]),
                _ => "given with --input".to_string(),
            };
            anyhow!(
                "the input {origin} is too large: it is {size} bytes as JSON, and AWS Step \
                 Functions limits an execution input to {limit} bytes ({} KiB)",
                limit / 1024
            )
        }
        other => anyhow!(other),
    }
}

/// Waits for the execution to end; when it takes more than a second, reports progress on
/// stderr, less and less often.
async fn wait(handle: &ExecutionHandle, io: &mut Io<'_>) -> Outcome {
    let started = Instant::now();
    let mut next_report = Duration::from_secs(1);
    loop {
        tokio::select! {
            outcome = handle.result() => return outcome,
            () = tokio::time::sleep_until((started + next_report).into()) => {
                let history = handle.history();
                let state = history.iter().rev().find_map(|event| match &event.details {
                    Details::StateEntered { name, .. } => Some(name.to_string()),
                    _ => None,
                });
                let mut line = format!(
                    "still running after {}s: {} events",
                    started.elapsed().as_secs(),
                    history.len()
                );
                if let Some(state) = state {
                    line.push_str(&format!(", last entered '{state}'"));
                }
                // Progress is best effort: a closed stderr must not stop the execution.
                let _ = writeln!(io.stderr, "{line}");
                next_report = (next_report * 2).min(next_report + Duration::from_secs(60));
            }
        }
    }
}

fn write_json(io: &mut Io<'_>, outcome: &Outcome, history: &[HistoryEvent]) -> std::io::Result<()> {
    let result = json!({
        "status": outcome.status.as_str(),
        "output": outcome.output(),
        "error": outcome.error(),
        "cause": outcome.cause(),
        "history": history.iter().map(HistoryEvent::to_json).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *io.stdout, &result)?;
    writeln!(io.stdout)
}

fn write_human(
    io: &mut Io<'_>,
    outcome: &Outcome,
    history: &[HistoryEvent],
) -> std::io::Result<()> {
    for event in history {
        let kind = event.event_type.as_str();
        let time = format_timestamp(event.timestamp);
        match note(event) {
            Some(note) => writeln!(io.stdout, "{:>4}  {time}  {kind:<28}  {note}", event.id)?,
            None => writeln!(io.stdout, "{:>4}  {time}  {kind}", event.id)?,
        }
    }
    writeln!(io.stdout, "status: {}", outcome.status.as_str())?;
    if let Some(output) = outcome.output() {
        let compact = output.to_string();
        if compact.len() <= 100 {
            writeln!(io.stdout, "output: {compact}")?;
        } else {
            let pretty = serde_json::to_string_pretty(output).unwrap_or(compact);
            writeln!(io.stdout, "output:\n{pretty}")?;
        }
    }
    if let Some(error) = outcome.error() {
        writeln!(io.stdout, "error: {error}")?;
    }
    if let Some(cause) = outcome.cause() {
        writeln!(io.stdout, "cause: {cause}")?;
    }
    Ok(())
}

/// What a history line shows after the event type: the state, the iteration, or the error.
fn note(event: &HistoryEvent) -> Option<String> {
    match &event.details {
        Details::StateEntered { name, .. } | Details::StateExited { name, .. } => {
            Some(name.to_string())
        }
        Details::MapIteration { name, index } => Some(format!("{name} #{index}")),
        Details::EvaluationFailed { state, error, .. } => Some(format!("{state}: {error}")),
        Details::Error {
            error: Some(error), ..
        }
        | Details::TaskError {
            error: Some(error), ..
        } => Some(error.clone()),
        _ => None,
    }
}
