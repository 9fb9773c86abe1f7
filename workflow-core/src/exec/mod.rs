//! The executor: runs any ASL definition in-process with AWS Step Functions' semantics.
//!
//! [`Engine`] loads definitions ([`Engine::load`]), binds their Task states to Rust handlers or
//! mocks, and starts executions ([`Engine::start`]). Each execution is driven by one tokio task
//! that advances the interpreter (`run.rs`) and performs its commands: task invocations run as
//! their own tokio tasks, so Parallel branches and Map iterations really run concurrently.

mod child;
mod clock;
mod compile;
mod driver;
mod durable;
mod history;
mod run;
mod scope;
mod task;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

pub use child::START_EXECUTION_SYNC2;
pub use clock::{Clock, SystemClock, VirtualClock, format_timestamp};
pub use compile::Machine;
pub use history::{Details, EventType, HistoryEvent, Payload};
pub use run::Status;
pub(crate) use task::lambda_error_cause;
pub use task::{
    MockError, MockResponse, Mocks, Registry, TaskFailure, TaskFuture, TaskHandler, TaskRequest,
};

use crate::asl::{self, Code, Diagnostic, pointer_push};
use crate::store::{self, InboxMessage, Message, NewExecution, Store, StoreError};
use compile::{FunctionName, Kind};
use driver::{Durable, drive};
use run::{Execution, ExecutionMeta, Invoker, PAYLOAD_LIMIT, Plan};
use task::{ResourceKind, classify};

/// Where and as whom executions run: the values that appear in ARNs and in the context object.
#[derive(Clone)]
pub struct EngineConfig {
    pub clock: Arc<dyn Clock>,
    pub partition: String,
    pub region: String,
    pub account_id: String,
    pub role_arn: String,
    /// Where Standard executions persist every step; `None` runs everything in memory.
    pub store: Option<Arc<dyn Store>>,
    /// How often a durable execution commits.
    pub commit: CommitPolicy,
}

/// When a durable execution commits its progress to the store.
///
/// Either way no effect leaves the process before the step that caused it is committed: a task
/// is invoked, a callback acknowledged, a result reported only afterwards, and a crash replays
/// from the last commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CommitPolicy {
    /// After every state transition, before the next state begins (Step Functions' Standard
    /// semantics; the default).
    #[default]
    EveryTransition,
    /// After every synchronous step: the states that run without waiting on a task, a timer or
    /// a callback are committed together. Fewer fsyncs for long runs of Pass and Choice states.
    EveryStep,
}

impl fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineConfig")
            .field("partition", &self.partition)
            .field("region", &self.region)
            .field("account_id", &self.account_id)
            .field("role_arn", &self.role_arn)
            .field("durable", &self.store.is_some())
            .field("commit", &self.commit)
            .finish_non_exhaustive()
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            clock: Arc::new(SystemClock),
            partition: "aws".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            role_arn: "arn:aws:iam::123456789012:role/workflow-local".into(),
            store: None,
            commit: CommitPolicy::default(),
        }
    }
}

/// Options for [`Engine::load`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The state machine's name (in its ARN and `$$.StateMachine.Name`); `"StateMachine"` if
    /// not given.
    pub name: Option<String>,
    /// Mocked responses: mocked Task states do not need a handler.
    pub mocks: Option<Mocks>,
    /// Run as an EXPRESS state machine.
    pub express: bool,
}

/// Options for [`Engine::start`].
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// The execution's name; a unique one is made up if not given.
    pub name: Option<String>,
}

/// Why a definition cannot be loaded: every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        asl::Diagnostics(self.diagnostics.clone()).fmt(f)
    }
}

impl std::error::Error for LoadError {}

/// Why an execution cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("the execution input is {size} bytes; the limit is {limit} bytes")]
    InputTooLarge { size: usize, limit: usize },
    #[error(
        "the execution name '{name}' is invalid: names have 1 to 80 characters, without whitespace, brackets, wildcards or control characters"
    )]
    InvalidName { name: String },
    #[error("an execution named '{name}' already exists")]
    ExecutionAlreadyExists { name: String },
    #[error("the execution could not be persisted: {0}")]
    Store(String),
}

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("no task is waiting for the task token '{token}'")]
    TaskDoesNotExist { token: String },
    #[error("the callback could not be persisted: {0}")]
    Store(String),
}

/// Why a store operation of the engine (recovery, redrive, activities) failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DurableError {
    #[error("the engine has no store; durable operations need one (EngineConfig::store)")]
    NoStore,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("execution '{arn}' does not exist")]
    ExecutionDoesNotExist { arn: String },
    #[error(
        "execution '{arn}' is {status}; only FAILED, TIMED_OUT and ABORTED executions can be redriven"
    )]
    NotRedrivable { arn: String, status: String },
    #[error("state machine '{arn}' of execution '{execution}' is not in the store")]
    StateMachineMissing { arn: String, execution: String },
    #[error("the stored definition of state machine '{arn}' does not load: {error}")]
    DefinitionInvalid { arn: String, error: LoadError },
    #[error("the saved state of execution '{arn}' is unreadable: {reason}")]
    SnapshotInvalid { arn: String, reason: String },
}

/// A definition loaded into an engine, ready to start executions.
#[derive(Clone)]
pub struct LoadedMachine {
    plan: Arc<Plan>,
    name: String,
    arn: String,
    express: bool,
    /// Set once the machine has been saved in the engine's store.
    stored: Arc<std::sync::OnceLock<()>>,
    /// The store's hash of the definition text this machine was loaded from, when the store
    /// holds that text (see `store::definition_hash`): its executions name it.
    definition_hash: Option<Arc<str>>,
    /// The IAM role the machine's executions run as, when it has its own (API-created
    /// machines); otherwise the engine's.
    role_arn: Option<Arc<str>>,
}

impl fmt::Debug for LoadedMachine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedMachine")
            .field("name", &self.name)
            .field("arn", &self.arn)
            .field("express", &self.express)
            .finish()
    }
}

impl LoadedMachine {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The definition the machine was loaded from.
    pub fn definition(&self) -> &asl::StateMachine {
        self.plan.machine.definition()
    }

    /// Whether the machine runs EXPRESS executions.
    pub fn is_express(&self) -> bool {
        self.express
    }

    /// The machine as the record `arn` of the store, which already holds it with the text
    /// `definition` (the API server stores a definition as the user wrote it, then loads it).
    pub(crate) fn stored_as(mut self, arn: &str, definition: &str) -> LoadedMachine {
        self.arn = arn.to_string();
        self.stored = Arc::new(std::sync::OnceLock::from(()));
        self.definition_hash = Some(store::definition_hash(definition).into());
        self
    }

    /// The machine with its own IAM role (in `ExecutionStarted` and `$$.Execution.RoleArn`).
    pub(crate) fn with_role(mut self, role_arn: &str) -> LoadedMachine {
        self.role_arn = Some(role_arn.into());
        self
    }

    fn role_arn<'a>(&'a self, config: &'a EngineConfig) -> &'a str {
        self.role_arn.as_deref().unwrap_or(&config.role_arn)
    }
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub execution_arn: String,
    pub status: Status,
    /// States entered.
    pub transitions: u64,
    pub start_date: DateTime<Utc>,
    pub stop_date: Option<DateTime<Utc>>,
}

impl Outcome {
    /// The output, when the execution succeeded.
    pub fn output(&self) -> Option<&Value> {
        match &self.status {
            Status::Succeeded(v) => Some(v),
            _ => None,
        }
    }

    /// The error name, when the execution did not succeed.
    pub fn error(&self) -> Option<&str> {
        match &self.status {
            Status::Failed { error, .. }
            | Status::TimedOut { error, .. }
            | Status::Aborted { error, .. } => error.as_deref(),
            _ => None,
        }
    }

    /// The cause, when the execution did not succeed.
    pub fn cause(&self) -> Option<&str> {
        match &self.status {
            Status::Failed { cause, .. }
            | Status::TimedOut { cause, .. }
            | Status::Aborted { cause, .. } => cause.as_deref(),
            _ => None,
        }
    }
}

enum Msg {
    TaskDone {
        token: u64,
        outcome: Result<Value, TaskFailure>,
    },
    Callback {
        token: String,
        answer: Answer,
        reply: tokio::sync::oneshot::Sender<bool>,
    },
    Stop {
        error: Option<String>,
        cause: Option<String>,
    },
    /// Messages other processes posted to the execution's inbox in the store.
    Inbox(Vec<InboxMessage>),
}

/// What the worker of a callback task sends with its token.
enum Answer {
    /// `SendTaskSuccess` or `SendTaskFailure`.
    Done(Result<Value, TaskFailure>),
    /// `SendTaskHeartbeat`.
    Heartbeat,
}

/// What other threads can see of a running execution.
struct Shared {
    arn: String,
    history: Mutex<Vec<HistoryEvent>>,
    outcome: Mutex<Outcome>,
    done: watch::Sender<bool>,
    tx: mpsc::UnboundedSender<Msg>,
    input: Payload,
    store: Option<Arc<dyn Store>>,
    /// Wakes the engine's inbox poller.
    notify: Arc<tokio::sync::Notify>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The data behind these locks is replaced whole; a panic elsewhere cannot leave it torn.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Inner {
    config: EngineConfig,
    registry: RwLock<Registry>,
    executions: Mutex<HashMap<String, Arc<Shared>>>,
    /// Machines saved in the store, by ARN, to host their executions again.
    machines: Mutex<HashMap<String, LoadedMachine>>,
    /// Mocked responses for stored machines, by machine name (see `Engine::register_mocks`).
    mocks: Mutex<HashMap<String, Mocks>>,
    seq: AtomicU64,
    poller: std::sync::OnceLock<()>,
    inbox_notify: Arc<tokio::sync::Notify>,
    /// State machines that child executions may start (see `child.rs`).
    children: RwLock<HashMap<String, LoadedMachine>>,
    /// Drop finished executions from `executions` (see `Engine::forget_finished`).
    forget_finished: std::sync::atomic::AtomicBool,
    /// Executions being started here: stored, or about to be, but not driven yet. Recovery
    /// leaves them alone.
    starting: Mutex<std::collections::HashSet<String>>,
    /// Woken whenever this engine has committed new activity tasks.
    activity_scheduled: Arc<tokio::sync::Notify>,
}

/// Marks an execution as being started by this engine until dropped (see `Inner::starting`).
struct Starting<'a> {
    inner: &'a Inner,
    arn: String,
}

impl<'a> Starting<'a> {
    fn new(inner: &'a Inner, arn: &str) -> Starting<'a> {
        lock(&inner.starting).insert(arn.to_string());
        Starting {
            inner,
            arn: arn.to_string(),
        }
    }
}

impl Drop for Starting<'_> {
    fn drop(&mut self) {
        lock(&self.inner.starting).remove(&self.arn);
    }
}

/// Runs state machines in-process.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(EngineConfig::default())
    }
}

impl Engine {
    pub fn new(config: EngineConfig) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                config,
                registry: RwLock::new(Registry::default()),
                executions: Mutex::new(HashMap::new()),
                machines: Mutex::new(HashMap::new()),
                mocks: Mutex::new(HashMap::new()),
                seq: AtomicU64::new(0),
                poller: std::sync::OnceLock::new(),
                inbox_notify: Arc::new(tokio::sync::Notify::new()),
                children: RwLock::new(HashMap::new()),
                forget_finished: std::sync::atomic::AtomicBool::new(false),
                starting: Mutex::new(std::collections::HashSet::new()),
                activity_scheduled: Arc::new(tokio::sync::Notify::new()),
            }),
        }
    }

    /// Stop keeping finished executions in memory: [`Engine::execution`] then finds only
    /// running ones, and handles already given out keep working. A long-running host (the API
    /// server) sets this, since a durable execution's record lives in the store.
    pub fn forget_finished(&self) {
        self.inner.forget_finished.store(true, Ordering::Relaxed);
    }

    /// An engine with this one's handlers and `config`: what `TestState` runs a state on, with
    /// no store, so that nothing it does is persisted.
    pub(crate) fn in_memory(&self, config: EngineConfig) -> Engine {
        let engine = Engine::new(config);
        *engine
            .inner
            .registry
            .write()
            .unwrap_or_else(|e| e.into_inner()) = self.registry();
        engine
    }

    /// Notified whenever an execution this engine hosts has committed new activity tasks: what
    /// a long-polling `GetActivityTask` waits on (tasks from other processes need a poll).
    pub(crate) fn activity_scheduled(&self) -> Arc<tokio::sync::Notify> {
        self.inner.activity_scheduled.clone()
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Registers a Lambda function handler by name (see [`Registry::function`]).
    pub fn register_function(&self, name: impl Into<String>, handler: impl TaskHandler) {
        self.registry_mut().function(name, handler);
    }

    /// Registers a handler for an exact `Resource` ARN (see [`Registry::resource`]).
    pub fn register_resource(&self, arn: impl Into<String>, handler: impl TaskHandler) {
        self.registry_mut().resource(arn, handler);
    }

    fn registry_mut(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.inner
            .registry
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn registry(&self) -> Registry {
        self.inner
            .registry
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Loads a definition from JSON text.
    pub fn load_str(&self, text: &str, options: LoadOptions) -> Result<LoadedMachine, LoadError> {
        let validated = asl::load_str(text).map_err(|d| LoadError {
            diagnostics: d.errors().cloned().collect(),
        })?;
        self.load(validated.machine, options)
    }

    /// Validates and compiles a definition and binds every Task state to a mock or a handler.
    /// Every problem is reported here, a Task state that nothing serves included, not when it
    /// runs.
    pub fn load(
        &self,
        definition: asl::StateMachine,
        options: LoadOptions,
    ) -> Result<LoadedMachine, LoadError> {
        let errors: Vec<Diagnostic> = asl::validate(&definition)
            .into_iter()
            .filter(|d| d.severity == asl::Severity::Error)
            .collect();
        if !errors.is_empty() {
            return Err(LoadError {
                diagnostics: errors,
            });
        }
        let machine =
            compile::compile(definition).map_err(|diagnostics| LoadError { diagnostics })?;
        let registry = self.registry();
        let mut invokers = HashMap::new();
        let mut diagnostics = Vec::new();
        for (program_id, program) in machine.programs.iter().enumerate() {
            for (state_id, state) in program.states.iter().enumerate() {
                if let Kind::Map(map) = &state.kind {
                    for (resource, field) in &map.external_resources {
                        diagnostics.push(Diagnostic::error(
                            Code::UnknownResource,
                            pointer_push(&state_pointer(&machine, program_id, state_id), field),
                            format!(
                                "the Map state '{}' reads or writes through `{field}` with the resource '{resource}', which the in-process engine does not serve; pass the items in the state input instead",
                                state.name
                            ),
                        ));
                    }
                }
                let Kind::Task(spec) = &state.kind else {
                    continue;
                };
                let invoker = if let Some(responses) = options
                    .mocks
                    .as_ref()
                    .and_then(|m| m.for_state(&state.name))
                {
                    Some(Invoker::Mock(responses.to_vec().into()))
                } else if let Some(h) = registry.lookup_resource(&spec.resource) {
                    Some(Invoker::Handler(h))
                } else {
                    match classify(&spec.resource) {
                        ResourceKind::LambdaFunction { name } => {
                            registry.lookup_function(&name).map(Invoker::Handler)
                        }
                        ResourceKind::Service {
                            lambda_invoke: true,
                            ..
                        } => match &spec.function_name {
                            FunctionName::Literal(name) => {
                                registry.lookup_function(name).map(Invoker::Handler)
                            }
                            FunctionName::Dynamic => Some(Invoker::DynamicLambda(registry.clone())),
                            FunctionName::None => None,
                        },
                        // Without a handler, an activity is served by workers polling the
                        // store (`GetActivityTask`).
                        ResourceKind::Activity if self.inner.config.store.is_some() => {
                            Some(Invoker::Activity)
                        }
                        _ => None,
                    }
                };
                match invoker {
                    Some(invoker) => {
                        invokers.insert((program_id, state_id), invoker);
                    }
                    None => {
                        let detail = match (&spec.function_name, classify(&spec.resource)) {
                            (
                                FunctionName::Literal(name),
                                ResourceKind::Service {
                                    lambda_invoke: true,
                                    ..
                                },
                            ) => {
                                format!(
                                    "no Lambda function named '{}' is registered",
                                    task::function_key(name)
                                )
                            }
                            (
                                FunctionName::None,
                                ResourceKind::Service {
                                    lambda_invoke: true,
                                    ..
                                },
                            ) => "the `lambda:invoke` task has no `FunctionName`".to_string(),
                            _ => format!(
                                "no handler is registered for the resource '{}'",
                                spec.resource
                            ),
                        };
                        diagnostics.push(Diagnostic::error(
                            Code::UnknownResource,
                            state_pointer(&machine, program_id, state_id),
                            format!(
                                "the Task state '{}' cannot run: {detail}, and it has no mocked response",
                                state.name
                            ),
                        ));
                    }
                }
            }
        }
        if !diagnostics.is_empty() {
            return Err(LoadError { diagnostics });
        }
        let config = &self.inner.config;
        let name = options
            .name
            .clone()
            .unwrap_or_else(|| "StateMachine".to_string());
        let arn = format!(
            "arn:{}:states:{}:{}:stateMachine:{}",
            config.partition, config.region, config.account_id, name
        );
        Ok(LoadedMachine {
            plan: Arc::new(Plan {
                machine: Arc::new(machine),
                invokers,
            }),
            name,
            arn,
            express: options.express,
            stored: Arc::new(std::sync::OnceLock::new()),
            definition_hash: None,
            role_arn: None,
        })
    }

    /// Starts an execution; it runs in the background on the current tokio runtime.
    ///
    /// With a store, this waits until the execution is durable, blocking the calling thread;
    /// async code on a single-threaded runtime should prefer [`Engine::start_async`].
    pub fn start(
        &self,
        machine: &LoadedMachine,
        input: Value,
        options: StartOptions,
    ) -> Result<ExecutionHandle, StartError> {
        match self.prepare_start(machine, input, options)? {
            Prepared::InMemory(exec) => self.launch(*exec),
            Prepared::Durable(mut start) => {
                let _starting = Starting::new(&self.inner, &start.exec.meta.execution_arn);
                let new = start.take_new();
                let started = start.store.start_execution(new);
                self.finish_start(start, started)
            }
        }
    }

    /// [`Engine::start`], waiting for the store without blocking the thread.
    pub async fn start_async(
        &self,
        machine: &LoadedMachine,
        input: Value,
        options: StartOptions,
    ) -> Result<ExecutionHandle, StartError> {
        match self.prepare_start(machine, input, options)? {
            Prepared::InMemory(exec) => self.launch(*exec),
            Prepared::Durable(mut start) => {
                // Dropped with this future, so an abandoned start is recovered like any other.
                let _starting = Starting::new(&self.inner, &start.exec.meta.execution_arn);
                let (sent, done) = tokio::sync::oneshot::channel();
                let new = start.take_new();
                start.store.start_execution_then(
                    new,
                    Box::new(move |result| {
                        let _ = sent.send(result);
                    }),
                );
                let started = done.await.unwrap_or(Err(StoreError::WriterStopped));
                self.finish_start(start, started)
            }
        }
    }

    /// Everything a start does before the store: checks, the execution, and for a durable
    /// execution its first step, to be committed with it.
    fn prepare_start(
        &self,
        machine: &LoadedMachine,
        input: Value,
        options: StartOptions,
    ) -> Result<Prepared, StartError> {
        let (name, execution_arn) =
            self.identify(machine, &input, options.name, machine.express)?;
        let config = &self.inner.config;
        let start_time = config.clock.now();
        let input: Payload = Arc::new(input);
        let meta = ExecutionMeta {
            execution_arn: execution_arn.clone(),
            name,
            state_machine_arn: machine.arn.clone(),
            state_machine_name: machine.name.clone(),
            role_arn: machine.role_arn(config).to_string(),
            region: config.region.clone(),
            start_time,
            input: input.clone(),
            express: machine.express,
            redrive_count: 0,
        };
        let mut exec = Execution::new(machine.plan.clone(), config.clock.clone(), meta, true);
        let store = match (&config.store, machine.express) {
            (Some(store), false) => store.clone(),
            _ => return Ok(Prepared::InMemory(Box::new(exec))),
        };
        // With a store, the store decides (an identical start returns the same execution).
        self.store_machine(store.as_ref(), machine)
            .map_err(|e| StartError::Store(e.to_string()))?;
        // The first step is committed with the execution itself; its commands (task
        // invocations) wait for the driver, which performs them after that commit.
        if config.commit == CommitPolicy::EveryTransition {
            exec.set_transition_budget(Some(1));
        }
        exec.run();
        let events = exec
            .pending_history()
            .iter()
            .map(store::EventRecord::from_event)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StartError::Store(e.to_string()))?;
        let snapshot =
            serde_json::to_vec(&exec.snapshot()).map_err(|e| StartError::Store(e.to_string()))?;
        let new = NewExecution {
            snapshot: Some(snapshot),
            events,
            definition_hash: machine.definition_hash.as_deref().map(str::to_string),
            ..NewExecution::new(
                &execution_arn,
                &exec.meta.name,
                &machine.arn,
                input.to_string(),
                start_time,
            )
        };
        Ok(Prepared::Durable(Box::new(DurableStart {
            exec,
            store,
            new: Some(new),
        })))
    }

    /// Checks a start's input and name and gives the execution its name (a new one when none
    /// is given) and ARN (an Express one when `express`).
    pub(crate) fn identify(
        &self,
        machine: &LoadedMachine,
        input: &Value,
        name: Option<String>,
        express: bool,
    ) -> Result<(String, String), StartError> {
        let size = run::json_size(input);
        if size > PAYLOAD_LIMIT {
            return Err(StartError::InputTooLarge {
                size,
                limit: PAYLOAD_LIMIT,
            });
        }
        let config = &self.inner.config;
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed);
        let name = match name {
            Some(name) if !valid_name(&name) => return Err(StartError::InvalidName { name }),
            Some(name) => name,
            None => generated_name(seq, config.clock.now()),
        };
        let arn = if express {
            format!(
                "arn:{}:states:{}:{}:express:{}:{}:{}",
                config.partition,
                config.region,
                config.account_id,
                machine.name,
                name,
                generated_name(seq ^ 0x5bd1_e995, config.clock.now())
            )
        } else {
            format!(
                "arn:{}:states:{}:{}:execution:{}:{}",
                config.partition, config.region, config.account_id, machine.name, name
            )
        };
        Ok((name, arn))
    }

    /// Drives an execution that lives in memory only.
    fn launch(&self, exec: Execution) -> Result<ExecutionHandle, StartError> {
        let mut executions = lock(&self.inner.executions);
        if executions.contains_key(&exec.meta.execution_arn) {
            return Err(StartError::ExecutionAlreadyExists {
                name: exec.meta.name.clone(),
            });
        }
        Ok(self.spawn_driver(&mut executions, exec, None))
    }

    /// Drives a durable execution once the store has started it.
    fn finish_start(
        &self,
        start: Box<DurableStart>,
        started: Result<store::Started, StoreError>,
    ) -> Result<ExecutionHandle, StartError> {
        let DurableStart {
            mut exec, store, ..
        } = *start;
        let started = started.map_err(|e| match e {
            StoreError::ExecutionAlreadyExists { .. } => StartError::ExecutionAlreadyExists {
                name: exec.meta.name.clone(),
            },
            other => StartError::Store(other.to_string()),
        })?;
        if !started.created {
            // The same execution, started again with the same input: AWS returns it.
            if let Some(handle) = self.execution(&exec.meta.execution_arn) {
                return Ok(handle);
            }
            return self
                .host(&started.execution)
                .map_err(|e| StartError::Store(e.to_string()));
        }
        // The first events are committed with the execution itself.
        let _ = exec.drain_history();
        let mut executions = lock(&self.inner.executions);
        self.ensure_poller();
        Ok(self.spawn_driver(&mut executions, exec, Some(Durable::new(store))))
    }

    /// Registers an execution and starts its driver.
    fn spawn_driver(
        &self,
        executions: &mut std::sync::MutexGuard<'_, HashMap<String, Arc<Shared>>>,
        mut exec: Execution,
        durable: Option<Durable>,
    ) -> ExecutionHandle {
        let config = &self.inner.config;
        if durable.is_some() && config.commit == CommitPolicy::EveryTransition {
            exec.set_transition_budget(Some(1));
        }
        let mut durable = durable;
        if let Some(durable) = durable.as_mut() {
            durable.activities = Some(self.inner.activity_scheduled.clone());
        }
        let execution_arn = exec.meta.execution_arn.clone();
        let (tx, rx) = mpsc::unbounded_channel();
        let (done, done_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            arn: execution_arn.clone(),
            history: Mutex::new(Vec::new()),
            outcome: Mutex::new(Outcome {
                execution_arn: execution_arn.clone(),
                status: Status::Running,
                transitions: exec.transitions(),
                start_date: exec.meta.start_time,
                stop_date: None,
            }),
            done,
            tx: tx.clone(),
            input: exec.meta.input.clone(),
            store: durable.as_ref().map(|d| d.store.clone()),
            notify: self.inner.inbox_notify.clone(),
        });
        executions.insert(execution_arn.clone(), shared.clone());
        let driven = drive(exec, shared.clone(), rx, tx, config.clock.clone(), durable);
        let inner = Arc::downgrade(&self.inner);
        let finished = shared.clone();
        tokio::spawn(async move {
            driven.await;
            if let Some(inner) = inner.upgrade()
                && inner.forget_finished.load(Ordering::Relaxed)
            {
                let mut executions = lock(&inner.executions);
                // A redrive may have replaced the entry with a new run.
                if executions
                    .get(&execution_arn)
                    .is_some_and(|s| Arc::ptr_eq(s, &finished))
                {
                    executions.remove(&execution_arn);
                }
            }
        });
        ExecutionHandle {
            shared,
            done: done_rx,
        }
    }

    /// Saves a machine in the store, once per loaded machine.
    fn store_machine(&self, store: &dyn Store, machine: &LoadedMachine) -> Result<(), StoreError> {
        if machine.stored.get().is_some() {
            return Ok(());
        }
        store.put_state_machine(store::StateMachineRecord {
            arn: machine.arn.clone(),
            name: machine.name.clone(),
            definition: machine.definition().to_json().to_string(),
            machine_type: if machine.express {
                store::MachineType::Express
            } else {
                store::MachineType::Standard
            },
            role_arn: self.inner.config.role_arn.clone(),
            creation_date: self.inner.config.clock.now(),
            update_date: None,
            deleted: false,
        })?;
        lock(&self.inner.machines).insert(machine.arn.clone(), machine.clone());
        let _ = machine.stored.set(());
        Ok(())
    }

    /// Starts an execution and waits for it to end.
    pub async fn run(
        &self,
        machine: &LoadedMachine,
        input: Value,
        options: StartOptions,
    ) -> Result<Outcome, StartError> {
        let handle = self.start_async(machine, input, options).await?;
        Ok(handle.result().await)
    }

    /// A handle on an execution started by this engine.
    pub fn execution(&self, execution_arn: &str) -> Option<ExecutionHandle> {
        let shared = lock(&self.inner.executions).get(execution_arn).cloned()?;
        let done = shared.done.subscribe();
        Some(ExecutionHandle { shared, done })
    }

    /// Completes a `.waitForTaskToken` task successfully (AWS's `SendTaskSuccess`).
    pub async fn send_task_success(&self, token: &str, output: Value) -> Result<(), CallbackError> {
        self.callback(token, Answer::Done(Ok(output))).await
    }

    /// Fails a `.waitForTaskToken` task (AWS's `SendTaskFailure`).
    pub async fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: Option<&str>,
    ) -> Result<(), CallbackError> {
        self.callback(
            token,
            Answer::Done(Err(TaskFailure {
                error: error.to_string(),
                cause: cause.map(str::to_string),
            })),
        )
        .await
    }

    /// Reports that the worker of a callback or activity task is alive (AWS's
    /// `SendTaskHeartbeat`): its `HeartbeatSeconds` timer starts again.
    pub async fn send_task_heartbeat(&self, token: &str) -> Result<(), CallbackError> {
        self.callback(token, Answer::Heartbeat).await
    }

    async fn callback(&self, token: &str, answer: Answer) -> Result<(), CallbackError> {
        let missing = || CallbackError::TaskDoesNotExist {
            token: token.to_string(),
        };
        let arn = token
            .rsplit_once('#')
            .map(|(arn, _)| arn)
            .ok_or_else(missing)?;
        if let Some(store) = self.inner.config.store.clone() {
            // Durable: the answer is saved in the execution's inbox, and whichever process hosts
            // the execution applies it exactly once.
            let message = match answer {
                Answer::Done(Ok(output)) => Message::TaskSuccess {
                    token: token.to_string(),
                    output: output.to_string(),
                },
                Answer::Done(Err(failure)) => Message::TaskFailure {
                    token: token.to_string(),
                    error: Some(failure.error),
                    cause: failure.cause,
                },
                Answer::Heartbeat => Message::TaskHeartbeat {
                    token: token.to_string(),
                },
            };
            let arn = arn.to_string();
            let now = self.inner.config.clock.now();
            let posted =
                tokio::task::spawn_blocking(move || store.post_message(&arn, message, now))
                    .await
                    .map_err(|e| CallbackError::Store(e.to_string()))?;
            return match posted {
                Ok(_) => {
                    self.inner.inbox_notify.notify_one();
                    Ok(())
                }
                Err(
                    StoreError::TaskTokenNotFound { .. }
                    | StoreError::TaskTokenNotWaiting { .. }
                    | StoreError::ExecutionClosed { .. }
                    | StoreError::ExecutionNotFound { .. },
                ) => Err(missing()),
                Err(other) => Err(CallbackError::Store(other.to_string())),
            };
        }
        let shared = lock(&self.inner.executions)
            .get(arn)
            .cloned()
            .ok_or_else(missing)?;
        let (reply, found) = tokio::sync::oneshot::channel();
        shared
            .tx
            .send(Msg::Callback {
                token: token.to_string(),
                answer,
                reply,
            })
            .map_err(|_| missing())?;
        match found.await {
            Ok(true) => Ok(()),
            _ => Err(missing()),
        }
    }
}

/// A running or finished execution.
#[derive(Clone)]
pub struct ExecutionHandle {
    shared: Arc<Shared>,
    done: watch::Receiver<bool>,
}

impl fmt::Debug for ExecutionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutionHandle")
            .field("arn", &self.shared.arn)
            .finish()
    }
}

impl ExecutionHandle {
    pub fn arn(&self) -> &str {
        &self.shared.arn
    }

    /// The execution input.
    pub fn input(&self) -> &Value {
        &self.shared.input
    }

    /// Waits for the execution to end.
    pub async fn result(&self) -> Outcome {
        let mut done = self.done.clone();
        // An error means the driver is gone, which only happens after it has finished.
        let _ = done.wait_for(|d| *d).await;
        lock(&self.shared.outcome).clone()
    }

    /// The outcome so far (status `Running` while it runs).
    pub fn outcome(&self) -> Outcome {
        lock(&self.shared.outcome).clone()
    }

    /// The history so far (for a durable execution, what the store holds: every committed
    /// event).
    pub fn history(&self) -> Vec<HistoryEvent> {
        if let Some(store) = &self.shared.store
            && let Ok(records) = store.history(&self.shared.arn, &store::HistoryQuery::default())
        {
            return records.iter().filter_map(|r| r.to_event().ok()).collect();
        }
        lock(&self.shared.history).clone()
    }

    /// Stops the execution (AWS's `StopExecution`): it ends ABORTED. For a durable execution
    /// the request is saved in the store first, so it is not lost if the process dies.
    pub fn stop(&self, error: Option<String>, cause: Option<String>) {
        if let Some(store) = &self.shared.store
            && self.outcome().status == Status::Running
        {
            let posted = store.post_message(
                &self.shared.arn,
                Message::Stop {
                    error: error.clone(),
                    cause: cause.clone(),
                },
                Utc::now(),
            );
            if posted.is_ok() {
                self.shared.notify.notify_one();
                return;
            }
        }
        let _ = self.shared.tx.send(Msg::Stop { error, cause });
    }
}

/// AWS's rule for state machine and execution names.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=80).contains(&name.chars().count())
        && !name.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>'
                        | '{'
                        | '}'
                        | '['
                        | ']'
                        | '?'
                        | '*'
                        | '"'
                        | '#'
                        | '%'
                        | '\\'
                        | '^'
                        | '|'
                        | '~'
                        | '`'
                        | '$'
                        | '&'
                        | ','
                        | ';'
                        | ':'
                        | '/'
                )
        })
}

/// A unique, UUID-shaped execution name.
fn generated_name(seq: u64, now: DateTime<Utc>) -> String {
    let t = now.timestamp_nanos_opt().unwrap_or_default() as u64;
    let a = t ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let b = std::process::id() as u64 ^ seq.rotate_left(17);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        a as u16 & 0xfff,
        b as u16 & 0xfff,
        (b ^ t.rotate_left(29)) & 0xffff_ffff_ffff
    )
}

/// The JSON pointer of a state in the definition.
fn state_pointer(machine: &Machine, program: usize, state: usize) -> String {
    // Programs are numbered in the order `compile` meets them: find the path by walking the
    // model the same way.
    fn walk(
        states: &indexmap::IndexMap<String, asl::State>,
        pointer: &str,
        counter: &mut usize,
        target: (usize, usize),
    ) -> Option<String> {
        let me = *counter;
        *counter += 1;
        let states_ptr = pointer_push(pointer, "States");
        if me == target.0 {
            let name = states.get_index(target.1)?.0;
            return Some(pointer_push(&states_ptr, name));
        }
        for (name, state) in states {
            let at = pointer_push(&states_ptr, name);
            match &state.kind {
                asl::StateKind::Parallel(p) => {
                    for (i, b) in p.branches.iter().enumerate() {
                        let bp = pointer_push(&pointer_push(&at, "Branches"), &i.to_string());
                        if let Some(found) = walk(&b.states, &bp, counter, target) {
                            return Some(found);
                        }
                    }
                }
                asl::StateKind::Map(m) => {
                    let key = if m.processor_is_iterator {
                        "Iterator"
                    } else {
                        "ItemProcessor"
                    };
                    if let Some(found) = walk(
                        &m.item_processor.states,
                        &pointer_push(&at, key),
                        counter,
                        target,
                    ) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }
    let mut counter = 0;
    walk(
        &machine.definition.states,
        "",
        &mut counter,
        (program, state),
    )
    .unwrap_or_default()
}

/// A start, before or after the store.
enum Prepared {
    InMemory(Box<Execution>),
    Durable(Box<DurableStart>),
}

/// A durable execution whose first step is ready to be committed with its start.
struct DurableStart {
    exec: Execution,
    store: Arc<dyn Store>,
    new: Option<NewExecution>,
}

impl DurableStart {
    fn take_new(&mut self) -> NewExecution {
        self.new.take().expect("a start is committed once")
    }
}
