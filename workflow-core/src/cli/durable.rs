//! The commands over a durable store: `worker`, `start`, `executions`, `send-task-*`, `stop` and
//! `redrive`, shared by the `workflow` command and workflow binaries. Every command opens the
//! SQLite store named by `--store`; several processes may use one store at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

use super::{Exit, Io, source};
use crate::exec::{
    CommitPolicy, Engine, EngineConfig, HistoryEvent, LoadedMachine, Mocks, StartOptions,
};
use crate::store::{
    ExecutionFilter, ExecutionRecord, ExecutionStatus, HistoryQuery, SqliteStore, Store,
};

/// `--store PATH`, shared by every durable command.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArg {
    /// The store: a SQLite file, created when missing (e.g. .workflow/state.db)
    #[arg(long, value_name = "PATH")]
    pub store: PathBuf,
}

impl StoreArg {
    /// Opens the store, creating its directory.
    pub fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        if let Some(dir) = self.store.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create '{}'", dir.display()))?;
        }
        let store = SqliteStore::open(&self.store)
            .with_context(|| format!("cannot open the store '{}'", self.store.display()))?;
        Ok(Arc::new(store))
    }

    /// Opens the store to host executions on it, locking `PATH.lock` so that a worker and
    /// another process never host the same execution: a worker holds it alone, `run --store`
    /// processes share it.
    pub(crate) fn hold(&self, hold: Hold) -> anyhow::Result<Held> {
        let store = self.open()?;
        let mut path = self.store.clone().into_os_string();
        path.push(".lock");
        let path = PathBuf::from(path);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file '{}'", path.display()))?;
        let locked = match hold {
            Hold::Worker => file.try_lock(),
            Hold::Run => file.try_lock_shared(),
        };
        match locked {
            Ok(()) => Ok(Held { store, _lock: file }),
            Err(std::fs::TryLockError::WouldBlock) => match hold {
                Hold::Worker => bail!(
                    "another process hosts executions of the store '{}' (a worker, or `run \
                     --store`); run one worker per store, once the others have ended",
                    self.store.display()
                ),
                Hold::Run => bail!(
                    "a worker hosts the executions of the store '{}'; start the execution with \
                     `start` and let the worker run it",
                    self.store.display()
                ),
            },
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock '{}'", path.display()))
            }
        }
    }
}

/// Who hosts executions on a store (see [`StoreArg::hold`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Hold {
    /// A worker: every RUNNING execution of the store.
    Worker,
    /// `run --store`: the execution it starts.
    Run,
}

/// An open store and the lock that lets this process host executions on it.
pub(crate) struct Held {
    pub(crate) store: Arc<dyn Store>,
    _lock: std::fs::File,
}

/// An execution's history as the store holds it.
pub(crate) fn stored_history(
    store: &dyn Store,
    execution_arn: &str,
    reverse: bool,
) -> anyhow::Result<Vec<HistoryEvent>> {
    store
        .history(
            execution_arn,
            &HistoryQuery {
                reverse,
                ..HistoryQuery::default()
            },
        )?
        .iter()
        .map(|r| r.to_event())
        .collect::<Result<_, _>>()
        .context("the store holds an event this version cannot read")
}

/// The durable commands.
#[derive(Debug, clap::Subcommand)]
pub enum DurableCommand {
    /// Host the executions of a store until stopped (Ctrl-C): resume what was RUNNING, fire
    /// timers, apply callbacks, stops and redrives posted by other processes, pick up executions
    /// started with `start`
    Worker(WorkerArgs),
    /// Query the executions of a store
    #[command(subcommand)]
    Executions(ExecutionsCommand),
    /// Take the next task of an activity, waiting for one up to --wait seconds (AWS's
    /// GetActivityTask); answer it with send-task-success or send-task-failure and its token
    GetActivityTask(ActivityArgs),
    /// Complete a waiting callback task (AWS's SendTaskSuccess)
    SendTaskSuccess(TaskSuccessArgs),
    /// Fail a waiting callback task (AWS's SendTaskFailure)
    SendTaskFailure(TaskFailureArgs),
    /// Report that a callback task's worker is alive (AWS's SendTaskHeartbeat)
    SendTaskHeartbeat(TaskTokenArgs),
    /// Stop a running execution: it ends ABORTED (AWS's StopExecution)
    Stop(StopArgs),
    /// Continue a FAILED, TIMED_OUT or ABORTED execution from the states that did not succeed
    /// (AWS's RedriveExecution); a worker on the store runs it
    Redrive(ExecutionArgs),
    /// Serve the AWS Step Functions API and a web console on the store, hosting its executions
    /// (as a worker does); point `aws stepfunctions --endpoint-url`, boto3 or aws-sdk-sfn at it
    Serve(super::serve::ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Mocked responses for the Task states of stored state machines (AWS Step Functions
    /// Local's mock file; each state machine by its name)
    #[arg(long, short, value_name = "FILE")]
    pub mocks: Option<PathBuf>,
    /// The test case of the mock file to use
    #[arg(long, value_name = "NAME", requires = "mocks")]
    pub test_case: Option<String>,
    /// Stop after this many seconds instead of waiting for Ctrl-C
    #[arg(long, value_name = "SECONDS")]
    pub seconds: Option<f64>,
    /// Stop once no execution of the store is RUNNING (scripts and tests)
    #[arg(long)]
    pub until_idle: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum ExecutionsCommand {
    /// List executions, newest first
    List(ListArgs),
    /// Show one execution: status, input, output, error (AWS's DescribeExecution)
    Describe(ExecutionArgs),
    /// Show an execution's history (AWS's GetExecutionHistory)
    History(HistoryArgs),
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Only executions of this state machine (name or ARN)
    #[arg(long, value_name = "NAME|ARN")]
    pub machine: Option<String>,
    /// Only executions with this status
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// At most this many
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Print JSON (AWS's ListExecutions shape)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StatusArg {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl From<StatusArg> for ExecutionStatus {
    fn from(status: StatusArg) -> Self {
        match status {
            StatusArg::Running => ExecutionStatus::Running,
            StatusArg::Succeeded => ExecutionStatus::Succeeded,
            StatusArg::Failed => ExecutionStatus::Failed,
            StatusArg::TimedOut => ExecutionStatus::TimedOut,
            StatusArg::Aborted => ExecutionStatus::Aborted,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ExecutionArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The execution's ARN
    #[arg(value_name = "EXECUTION_ARN")]
    pub execution: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub execution: ExecutionArgs,
    /// Newest event first
    #[arg(long)]
    pub reverse: bool,
}

#[derive(Debug, clap::Args)]
pub struct ActivityArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The activity's ARN, as in the Task state's Resource
    #[arg(long, value_name = "ARN")]
    pub activity: String,
    /// The worker's name, recorded in the ActivityStarted event
    #[arg(long, value_name = "NAME", default_value = "workflow-cli")]
    pub worker: String,
    /// Wait this long for a task when none is waiting (AWS waits up to 60)
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    pub wait: f64,
    /// Print JSON ({"taskToken", "input"}, or {} when no task came)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct TaskTokenArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The task token the waiting task received
    #[arg(long, value_name = "TOKEN")]
    pub token: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct TaskSuccessArgs {
    #[command(flatten)]
    pub task: TaskTokenArgs,
    /// The task's result: JSON text, or @FILE
    #[arg(long, value_name = "JSON|@FILE")]
    pub output: String,
}

#[derive(Debug, clap::Args)]
pub struct TaskFailureArgs {
    #[command(flatten)]
    pub task: TaskTokenArgs,
    /// The error name that Retry and Catch match
    #[arg(long)]
    pub error: Option<String>,
    /// A description of the failure
    #[arg(long)]
    pub cause: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct StopArgs {
    #[command(flatten)]
    pub execution: ExecutionArgs,
    #[arg(long)]
    pub error: Option<String>,
    #[arg(long)]
    pub cause: Option<String>,
}

/// `start`: the arguments after the definition or workflow.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The execution input: JSON text, or @FILE (@- for stdin) [default: {}]
    #[arg(long, short, value_name = "JSON|@FILE")]
    pub input: Option<String>,
    /// The execution's name, unique for its state machine; starting a running execution again
    /// with the same input returns it [default: a new UUID]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Print JSON ({"executionArn", "startDate"})
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// An engine on the store.
pub(crate) fn engine(store: Arc<dyn Store>) -> Engine {
    Engine::new(EngineConfig {
        store: Some(store),
        commit: CommitPolicy::EveryTransition,
        ..EngineConfig::default()
    })
}

/// Registers the mocks of a mock file for every state machine it names.
pub(crate) fn register_mocks(
    engine: &Engine,
    path: &Path,
    test_case: Option<&str>,
) -> anyhow::Result<()> {
    let value = source::read_json(path)?;
    let bad = |message: String| anyhow!("bad mock file '{}': {message}", path.display());
    let Some(machines) = value.get("StateMachines").and_then(Value::as_object) else {
        bail!(bad(
            "a worker needs a mock file in AWS Step Functions Local's format, naming each state \
             machine under `StateMachines`"
                .into()
        ));
    };
    for name in machines.keys() {
        let mocks = Mocks::from_json(&value, Some(name), test_case).map_err(|e| bad(e.0))?;
        engine.register_mocks(name.clone(), mocks);
    }
    Ok(())
}

/// Runs a durable command. `machines` are the workflows a workflow binary brings (their Rust
/// task handlers registered on `prepare`'s engine); the `workflow` command has none.
pub fn run_durable(
    command: DurableCommand,
    prepare: &dyn Fn(&Engine) -> anyhow::Result<Vec<LoadedMachine>>,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    match command {
        DurableCommand::Worker(args) => worker(&args, prepare, io),
        DurableCommand::Executions(ExecutionsCommand::List(args)) => list(&args, io),
        DurableCommand::Executions(ExecutionsCommand::Describe(args)) => describe(&args, io),
        DurableCommand::Executions(ExecutionsCommand::History(args)) => history(&args, io),
        DurableCommand::GetActivityTask(args) => activity_task(&args, io),
        DurableCommand::SendTaskSuccess(args) => {
            let output = source::input(Some(&args.output))?;
            callback(&args.task, io, |engine, token| async move {
                engine.send_task_success(&token, output).await
            })
        }
        DurableCommand::SendTaskFailure(args) => {
            let (error, cause) = (args.error.clone().unwrap_or_default(), args.cause.clone());
            callback(&args.task, io, |engine, token| async move {
                engine
                    .send_task_failure(&token, &error, cause.as_deref())
                    .await
            })
        }
        DurableCommand::SendTaskHeartbeat(args) => {
            callback(&args, io, |engine, token| async move {
                engine.send_task_heartbeat(&token).await
            })
        }
        DurableCommand::Stop(args) => stop(&args, io),
        DurableCommand::Redrive(args) => redrive(&args, io),
        DurableCommand::Serve(args) => super::serve::serve(&args, prepare, io),
    }
}

fn worker(
    args: &WorkerArgs,
    prepare: &dyn Fn(&Engine) -> anyhow::Result<Vec<LoadedMachine>>,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    let held = args.store.hold(Hold::Worker)?;
    let engine = engine(held.store.clone());
    if let Some(mocks) = &args.mocks {
        register_mocks(&engine, mocks, args.test_case.as_deref())?;
    }
    for machine in prepare(&engine)? {
        engine.register_machine(&machine);
    }
    let rt = runtime()?;
    writeln!(
        io.stderr,
        "worker: hosting the executions of '{}' (Ctrl-C to stop)",
        args.store.store.display()
    )?;
    let deadline = args
        .seconds
        .map(|s| std::time::Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    rt.block_on(host(&engine, "worker", deadline, args.until_idle, io));
    writeln!(io.stderr, "worker: stopped")?;
    Ok(Exit::Success)
}

/// Hosts the executions of the engine's store until Ctrl-C, the deadline, or (with
/// `until_idle`) until none is RUNNING: resumes what it finds RUNNING, every 250 ms, and
/// reports on stderr as `who`.
pub(crate) async fn host(
    engine: &Engine,
    who: &str,
    deadline: Option<std::time::Instant>,
    until_idle: bool,
    io: &mut Io<'_>,
) {
    let mut reported = std::collections::HashSet::new();
    loop {
        match engine.recover().await {
            Ok((hosted, problems)) => {
                if hosted > 0 {
                    let _ = writeln!(io.stderr, "{who}: hosting {hosted} more execution(s)");
                }
                for problem in problems {
                    // Reported once per distinct problem, not every round.
                    if reported.insert(problem.to_string()) {
                        let _ = writeln!(io.stderr, "{who}: cannot host: {problem}");
                    }
                }
            }
            Err(e) => {
                let _ = writeln!(io.stderr, "{who}: {e}");
            }
        }
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            break;
        }
        if until_idle && idle(engine).await {
            break;
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

/// Whether the store has no RUNNING execution left.
async fn idle(engine: &Engine) -> bool {
    let Some(store) = engine.store_handle() else {
        return true;
    };
    tokio::task::spawn_blocking(move || store.running_executions())
        .await
        .ok()
        .and_then(Result::ok)
        .is_some_and(|running| running.is_empty())
}

/// `workflow start FILE`: the definition, what serves its Task states, and the execution.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Start an execution on a store without waiting for it: the definition is saved \
in the store (as the state machine named --machine, or like the file) and the execution is \
RUNNING; `workflow worker --store PATH` runs it. Prints the execution's ARN.\n\n\
The definition is checked as `run` checks it, Task states served by --mocks; the worker needs \
the same mock file, in AWS Step Functions Local's format (it names each state machine).\n\n\
Example:\n  \
workflow start order.asl.json --store .workflow/state.db --mocks mocks.json --input '{\"total\": 120}'"
)]
pub struct StartFileArgs {
    #[command(flatten)]
    pub definition: super::run::Definition,
    #[command(flatten)]
    pub start: StartArgs,
}

/// `workflow start FILE`.
pub(crate) fn start_file(args: &StartFileArgs, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let engine = engine(args.start.store.open()?);
    let machine = super::run::load(&args.definition, &engine, io)?;
    start(&engine, &machine, &args.start, io)
}

/// `start`: saves an execution of `machine` for a worker to run.
pub(crate) fn start(
    engine: &Engine,
    machine: &LoadedMachine,
    args: &StartArgs,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    let input = source::input(args.input.as_deref())?;
    let rt = runtime()?;
    let arn = rt
        .block_on(engine.start_detached(
            machine,
            input,
            StartOptions {
                name: args.name.clone(),
            },
        ))
        .map_err(|e| anyhow!("cannot start the execution: {e}"))?;
    if args.json {
        let started = engine
            .store_handle()
            .map(|store| store.execution(&arn))
            .transpose()?
            .flatten()
            .map(|record| date(record.start_date));
        writeln!(
            io.stdout,
            "{}",
            json!({"executionArn": arn, "startDate": started})
        )?;
    } else {
        writeln!(io.stdout, "{arn}")?;
    }
    Ok(Exit::Success)
}

fn list(args: &ListArgs, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let store = args.store.open()?;
    let machine_arn = match &args.machine {
        Some(m) => Some(
            store
                .state_machine(m)?
                .map(|r| r.arn)
                .ok_or_else(|| anyhow!("the store has no state machine '{m}'"))?,
        ),
        None => None,
    };
    let page = store.list_executions(&ExecutionFilter {
        state_machine_arn: machine_arn,
        status: args.status.map(Into::into),
        limit: args.limit.max(1),
        next_token: None,
    })?;
    if args.json {
        let items: Vec<Value> = page
            .items
            .iter()
            .map(|e| {
                json!({
                    "executionArn": e.execution_arn,
                    "stateMachineArn": e.state_machine_arn,
                    "name": e.name,
                    "status": e.status.as_str(),
                    "startDate": date(e.start_date),
                    "stopDate": e.stop_date.map(date),
                    "redriveCount": e.redrive_count,
                })
            })
            .collect();
        writeln!(
            io.stdout,
            "{}",
            serde_json::to_string_pretty(
                &json!({"executions": items, "nextToken": page.next_token})
            )?
        )?;
    } else {
        for e in &page.items {
            writeln!(
                io.stdout,
                "{:<10} {}  {}",
                e.status.as_str(),
                e.start_date.format("%Y-%m-%dT%H:%M:%SZ"),
                e.execution_arn
            )?;
        }
        if page.items.is_empty() {
            writeln!(io.stdout, "no executions")?;
        }
    }
    Ok(Exit::Success)
}

fn record(store: &dyn Store, arn: &str) -> anyhow::Result<ExecutionRecord> {
    store
        .execution(arn)?
        .ok_or_else(|| anyhow!("the store has no execution '{arn}'"))
}

fn describe(args: &ExecutionArgs, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let store = args.store.open()?;
    let e = record(store.as_ref(), &args.execution)?;
    let parse = |text: &Option<String>| {
        text.as_ref()
            .map(|t| serde_json::from_str::<Value>(t).unwrap_or(Value::String(t.clone())))
    };
    if args.json {
        let mut out = json!({
            "executionArn": e.execution_arn,
            "stateMachineArn": e.state_machine_arn,
            "name": e.name,
            "status": e.status.as_str(),
            "startDate": date(e.start_date),
            "input": e.input,
            "redriveCount": e.redrive_count,
        });
        for (key, value) in [
            ("stopDate", e.stop_date.map(|d| Value::String(date(d)))),
            ("output", e.output.clone().map(Value::String)),
            ("error", e.error.clone().map(Value::String)),
            ("cause", e.cause.clone().map(Value::String)),
            (
                "redriveDate",
                e.redrive_date.map(|d| Value::String(date(d))),
            ),
        ] {
            if let Some(value) = value {
                out[key] = value;
            }
        }
        writeln!(io.stdout, "{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        writeln!(io.stdout, "execution: {}", e.execution_arn)?;
        writeln!(io.stdout, "status: {}", e.status.as_str())?;
        writeln!(io.stdout, "started: {}", date(e.start_date))?;
        if let Some(stop) = e.stop_date {
            writeln!(io.stdout, "stopped: {}", date(stop))?;
        }
        writeln!(io.stdout, "input: {}", e.input)?;
        if let Some(output) = parse(&e.output) {
            writeln!(io.stdout, "output: {output}")?;
        }
        if let Some(error) = &e.error {
            writeln!(io.stdout, "error: {error}")?;
        }
        if let Some(cause) = &e.cause {
            writeln!(io.stdout, "cause: {cause}")?;
        }
        if e.redrive_count > 0 {
            writeln!(io.stdout, "redrives: {}", e.redrive_count)?;
        }
    }
    Ok(Exit::Success)
}

fn history(args: &HistoryArgs, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let store = args.execution.store.open()?;
    record(store.as_ref(), &args.execution.execution)?;
    let events = stored_history(store.as_ref(), &args.execution.execution, args.reverse)?;
    if args.execution.json {
        let events: Vec<Value> = events.iter().map(HistoryEvent::to_json).collect();
        writeln!(
            io.stdout,
            "{}",
            serde_json::to_string_pretty(&json!({"events": events}))?
        )?;
    } else {
        for event in &events {
            writeln!(
                io.stdout,
                "{:>4}  {}  {}",
                event.id,
                crate::exec::format_timestamp(event.timestamp),
                event.event_type.as_str()
            )?;
        }
    }
    Ok(Exit::Success)
}

fn callback<F, Fut>(args: &TaskTokenArgs, io: &mut Io<'_>, send: F) -> anyhow::Result<Exit>
where
    F: FnOnce(Engine, String) -> Fut,
    Fut: std::future::Future<Output = Result<(), crate::exec::CallbackError>>,
{
    let engine = engine(args.store.open()?);
    let rt = runtime()?;
    rt.block_on(send(engine, args.token.clone()))
        .map_err(|e| anyhow!("{e}"))?;
    if args.json {
        writeln!(io.stdout, "{{}}")?;
    }
    Ok(Exit::Success)
}

fn activity_task(args: &ActivityArgs, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let engine = engine(args.store.open()?);
    let rt = runtime()?;
    let deadline =
        std::time::Instant::now() + Duration::from_secs_f64(args.wait.clamp(0.0, 3600.0));
    let task = rt.block_on(async {
        loop {
            let task = engine
                .get_activity_task(&args.activity, &args.worker)
                .await
                .map_err(|e| anyhow!("cannot take a task: {e}"))?;
            if task.is_some() || std::time::Instant::now() >= deadline {
                return anyhow::Ok(task);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })?;
    match (task, args.json) {
        (Some(task), true) => writeln!(
            io.stdout,
            "{}",
            json!({"taskToken": task.task_token, "input": task.input})
        )?,
        (Some(task), false) => {
            writeln!(io.stdout, "{}", task.task_token)?;
            writeln!(io.stdout, "{}", task.input)?;
        }
        (None, true) => writeln!(io.stdout, "{{}}")?,
        (None, false) => writeln!(io.stderr, "no task of '{}' is waiting", args.activity)?,
    }
    Ok(Exit::Success)
}

fn stop(args: &StopArgs, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let store = args.execution.store.open()?;
    let e = record(store.as_ref(), &args.execution.execution)?;
    if e.status != ExecutionStatus::Running {
        bail!(
            "execution '{}' is {}; only a RUNNING execution can be stopped",
            e.execution_arn,
            e.status.as_str()
        );
    }
    store.post_message(
        &e.execution_arn,
        crate::store::Message::Stop {
            error: args.error.clone(),
            cause: args.cause.clone(),
        },
        chrono::Utc::now(),
    )?;
    if args.execution.json {
        writeln!(io.stdout, "{}", json!({"stopRequested": e.execution_arn}))?;
    } else {
        writeln!(
            io.stdout,
            "stop requested; the worker hosting {} aborts it",
            e.execution_arn
        )?;
    }
    Ok(Exit::Success)
}

fn redrive(args: &ExecutionArgs, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let store = args.store.open()?;
    let engine = engine(store);
    let rt = runtime()?;
    rt.block_on(engine.redrive_detached(&args.execution))
        .map_err(|e| anyhow!("cannot redrive: {e}"))?;
    if args.json {
        writeln!(io.stdout, "{}", json!({"redriven": args.execution}))?;
    } else {
        writeln!(
            io.stdout,
            "redriven; a worker on the store continues {}",
            args.execution
        )?;
    }
    Ok(Exit::Success)
}

/// A date as AWS's APIs print it: RFC 3339 with milliseconds, in UTC.
fn date(date: chrono::DateTime<chrono::Utc>) -> String {
    date.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
