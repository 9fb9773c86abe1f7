//! Persistence: state machines, executions, their history, task tokens, an inbox of messages
//! for executions, and activity tasks.
//!
//! [`Store`] is the interface; [`MemoryStore`] keeps everything in memory (tests, Express
//! executions), [`SqliteStore`] in one SQLite file (the embedded default for Standard
//! executions).
//!
//! ```
//! use chrono::Utc;
//! use workflow_core::store::{
//!     EventRecord, ExecutionStatus, ExecutionEnd, MachineType, MemoryStore, NewExecution,
//!     StateMachineRecord, Store, Transition,
//! };
//!
//! let store = MemoryStore::default();
//! let machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:hello";
//! store.put_state_machine(StateMachineRecord {
//!     arn: machine_arn.into(),
//!     name: "hello".into(),
//!     definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.into(),
//!     machine_type: MachineType::Standard,
//!     role_arn: String::new(),
//!     creation_date: Utc::now(),
//!     update_date: None,
//!     deleted: false,
//! })?;
//! let arn = "arn:aws:states:us-east-1:123456789012:execution:hello:run-1";
//! store.start_execution(NewExecution::new(arn, "run-1", machine_arn, "{}", Utc::now()))?;
//! let committed = store.commit(Transition {
//!     events: vec![EventRecord {
//!         id: 1,
//!         event_type: "ExecutionStarted".into(),
//!         timestamp: Utc::now(),
//!         json: "{}".into(),
//!     }],
//!     snapshot: Some(b"state after event 1".to_vec()),
//!     end: Some(ExecutionEnd::succeeded("{}", Utc::now())),
//!     ..Transition::new(arn)
//! })?;
//! assert_eq!(committed.event_count, 1);
//! let execution = store.execution(arn)?.expect("stored");
//! assert_eq!(execution.status, ExecutionStatus::Succeeded);
//! # Ok::<(), workflow_core::store::StoreError>(())
//! ```
//!
//! # Durability
//!
//! Every write method returns only once its change is durable: for [`SqliteStore`], once the
//! SQLite transaction that holds it has been committed to the write-ahead log and the log has
//! been fsynced. Writes from many threads are group-committed: one writer thread drains every
//! queued write into one transaction, so many callers share one fsync. The engine commits one
//! [`Transition`] per synchronous step of an execution: its new events, snapshot, end, next
//! wake-up time and task tokens, all or nothing.
//!
//! # Exactly-once messages
//!
//! Other processes talk to the process that hosts an execution through its inbox
//! ([`Store::post_message`]). The host reads the inbox ([`Store::inbox`]), applies the messages
//! to the execution, and names their ids in [`Transition::consumed_messages`]: the messages are
//! deleted in the same transaction that records their effect, and a commit that names a message
//! that is gone fails as a whole, so each message is applied exactly once.

mod error;
mod memory;
mod sqlite;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use error::StoreError;
pub use memory::MemoryStore;
pub use sqlite::{SqliteConfig, SqliteStore};

use crate::exec::HistoryEvent;

/// A durable home for state machines and executions.
///
/// Implementations are `Send + Sync`: one store is shared (`Arc<dyn Store>`) by every thread of a
/// process, and every method may be called from many threads at once. Methods block until their
/// work is done; a write returns once it is durable (see the [module docs](self)). Writes to one
/// execution are applied in the order their calls were made: a caller that waits for each
/// [`Store::commit`] before making the next keeps its transitions in order.
///
/// Several processes may open the same [`SqliteStore`] file; the store serialises their writes.
/// Which process hosts (runs) an execution is the engine's business; the store only guarantees
/// that a transition whose first event id does not follow the stored history is refused, so
/// two hosts cannot both apply a step.
pub trait Store: Send + Sync {
    /// Stores a state machine. Storing one that already exists with the same definition, type and
    /// role returns the stored record (like AWS's `CreateStateMachine`); with anything else
    /// different it fails with [`StoreError::StateMachineAlreadyExists`].
    fn put_state_machine(
        &self,
        machine: StateMachineRecord,
    ) -> Result<StateMachineRecord, StoreError>;

    /// A state machine by name or ARN.
    fn state_machine(&self, name_or_arn: &str) -> Result<Option<StateMachineRecord>, StoreError>;

    /// Every state machine, oldest first.
    fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>, StoreError>;

    /// Creates a running execution of a stored state machine. Starting one that exists, is
    /// still running and has the same input returns it (`created: false`), as AWS's
    /// `StartExecution` does; otherwise an existing ARN is [`StoreError::ExecutionAlreadyExists`].
    fn start_execution(&self, execution: NewExecution) -> Result<Started, StoreError>;

    /// [`Store::start_execution`] without blocking the caller: `done` gets the result once it
    /// is durable (or failed), possibly on another thread. By default it starts at once.
    fn start_execution_then(&self, execution: NewExecution, done: StartDone) {
        done(self.start_execution(execution));
    }

    /// Applies one step of an execution atomically; see [`Transition`] for what is checked.
    fn commit(&self, transition: Transition) -> Result<Committed, StoreError>;

    /// [`Store::commit`] without blocking the caller: `done` gets the result once the transition
    /// is durable (or failed), possibly on another thread. The engine commits this way, so an
    /// async driver waits without holding a thread. By default it commits at once.
    fn commit_then(&self, transition: Transition, done: CommitDone) {
        done(self.commit(transition));
    }

    /// An execution with its latest snapshot.
    fn execution(&self, execution_arn: &str) -> Result<Option<ExecutionRecord>, StoreError>;

    /// Executions, newest first, filtered and paged (`ListExecutions`).
    fn list_executions(
        &self,
        filter: &ExecutionFilter,
    ) -> Result<Page<ExecutionSummary>, StoreError>;

    /// A page of an execution's history (`GetExecutionHistory`).
    fn history(
        &self,
        execution_arn: &str,
        query: &HistoryQuery,
    ) -> Result<Vec<EventRecord>, StoreError>;

    /// Every running execution with its snapshot, oldest first: what a process recovers after a
    /// restart.
    fn running_executions(&self) -> Result<Vec<ExecutionRecord>, StoreError>;

    /// Running executions whose next wake-up time is at or before `now`, earliest first, at most
    /// `limit` of them.
    fn due_executions(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueExecution>, StoreError>;

    /// The earliest wake-up time of any running execution: how long a timer worker may sleep.
    fn next_wake_at(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Posts a message to an execution's inbox and returns it with its id.
    ///
    /// A message that names a task token is refused unless the token belongs to the execution
    /// and is waiting ([`StoreError::TaskTokenNotFound`], [`StoreError::TaskTokenNotWaiting`]).
    /// A redrive request may be posted to a closed execution; other messages may not
    /// ([`StoreError::ExecutionClosed`]).
    fn post_message(
        &self,
        execution_arn: &str,
        message: Message,
        posted: DateTime<Utc>,
    ) -> Result<InboxMessage, StoreError>;

    /// The messages waiting in an execution's inbox, oldest first.
    fn inbox(&self, execution_arn: &str) -> Result<Vec<InboxMessage>, StoreError>;

    /// The executions that have messages waiting, each once, in the order of their oldest
    /// message.
    fn inbox_executions(&self) -> Result<Vec<String>, StoreError>;

    /// A task token and the execution and state it belongs to.
    fn task_token(&self, token: &str) -> Result<Option<TaskTokenRecord>, StoreError>;

    /// Takes the oldest activity task of an activity that no worker has taken yet
    /// (`GetActivityTask`), marking it taken by `worker` and posting
    /// [`Message::ActivityStarted`] to its execution's inbox, in one transaction.
    fn take_activity_task(
        &self,
        activity_arn: &str,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ActivityTask>, StoreError>;

    /// A definition by its [`definition_hash`]: every definition a state machine has had is
    /// kept, so that an execution continues with the one it started with.
    fn definition(&self, hash: &str) -> Result<Option<String>, StoreError>;

    /// The task tokens of an execution that still wait for an answer, oldest first.
    fn waiting_tasks(&self, execution_arn: &str) -> Result<Vec<TaskTokenRecord>, StoreError>;

    /// Changes a state machine's definition or role (`UpdateStateMachine`). Executions already
    /// started keep the snapshot they run from; new ones start from the new definition.
    fn update_state_machine(
        &self,
        arn: &str,
        update: MachineUpdate,
    ) -> Result<StateMachineRecord, StoreError>;

    /// Marks a state machine deleted (`DeleteStateMachine`). Its record stays, so that its
    /// executions can still be read and ended; putting a machine of the same name revives it.
    /// Returns whether a live machine was deleted.
    fn delete_state_machine(&self, arn: &str) -> Result<bool, StoreError>;

    /// Stores an activity (`CreateActivity`); storing one whose name exists returns the stored
    /// record.
    fn put_activity(&self, activity: ActivityRecord) -> Result<ActivityRecord, StoreError>;

    /// An activity by ARN.
    fn activity(&self, arn: &str) -> Result<Option<ActivityRecord>, StoreError>;

    /// Every activity, oldest first.
    fn list_activities(&self) -> Result<Vec<ActivityRecord>, StoreError>;

    /// Deletes an activity; returns whether it existed.
    fn delete_activity(&self, arn: &str) -> Result<bool, StoreError>;

    /// A resource's tags, by key.
    fn tags(&self, resource_arn: &str) -> Result<Vec<(String, String)>, StoreError>;

    /// Adds or replaces the tags `add` and removes the keys `remove`, in one step.
    fn change_tags(
        &self,
        resource_arn: &str,
        add: Vec<(String, String)>,
        remove: Vec<String>,
    ) -> Result<(), StoreError>;
}

/// The key under which a definition is kept: the hex SHA-256 of its text.
pub fn definition_hash(definition: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(definition.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What [`Store::update_state_machine`] changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineUpdate {
    pub definition: Option<String>,
    pub role_arn: Option<String>,
    pub update_date: DateTime<Utc>,
}

/// A stored activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    pub arn: String,
    pub name: String,
    pub creation_date: DateTime<Utc>,
}

/// Whether a state machine runs Standard or Express executions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MachineType {
    Standard,
    Express,
}

impl MachineType {
    /// AWS's name: `STANDARD` or `EXPRESS`.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineType::Standard => "STANDARD",
            MachineType::Express => "EXPRESS",
        }
    }

    /// Parses AWS's name.
    pub fn from_name(name: &str) -> Option<MachineType> {
        match name {
            "STANDARD" => Some(MachineType::Standard),
            "EXPRESS" => Some(MachineType::Express),
            _ => None,
        }
    }
}

/// A stored state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachineRecord {
    pub arn: String,
    pub name: String,
    /// The ASL definition as the user wrote it.
    pub definition: String,
    pub machine_type: MachineType,
    pub role_arn: String,
    pub creation_date: DateTime<Utc>,
    /// When the definition or role last changed (`UpdateStateMachine`).
    pub update_date: Option<DateTime<Utc>>,
    /// Deleted with `DeleteStateMachine`: kept for its executions, hidden from the API.
    pub deleted: bool,
}

/// An execution's status, named as AWS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl ExecutionStatus {
    /// AWS's name, e.g. `TIMED_OUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }

    /// Parses AWS's name.
    pub fn from_name(name: &str) -> Option<ExecutionStatus> {
        match name {
            "RUNNING" => Some(ExecutionStatus::Running),
            "SUCCEEDED" => Some(ExecutionStatus::Succeeded),
            "FAILED" => Some(ExecutionStatus::Failed),
            "TIMED_OUT" => Some(ExecutionStatus::TimedOut),
            "ABORTED" => Some(ExecutionStatus::Aborted),
            _ => None,
        }
    }

    /// Whether an execution with this status can be redriven (AWS: failed, timed out or
    /// aborted).
    pub fn is_redrivable(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Aborted
        )
    }
}

impl std::fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An execution to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExecution {
    pub execution_arn: String,
    pub name: String,
    pub state_machine_arn: String,
    /// The input as JSON text.
    pub input: String,
    pub start_date: DateTime<Utc>,
    /// The first snapshot, if the engine has one already.
    pub snapshot: Option<Vec<u8>>,
    /// The first events (ids 1, 2, ...), if any.
    pub events: Vec<EventRecord>,
    /// The [`definition_hash`] of the definition the execution runs; `None` means the state
    /// machine's current one. The definition must be in the store (stored with its machine).
    pub definition_hash: Option<String>,
}

impl NewExecution {
    /// An execution with no snapshot and no events yet.
    pub fn new(
        execution_arn: impl Into<String>,
        name: impl Into<String>,
        state_machine_arn: impl Into<String>,
        input: impl Into<String>,
        start_date: DateTime<Utc>,
    ) -> NewExecution {
        NewExecution {
            execution_arn: execution_arn.into(),
            name: name.into(),
            state_machine_arn: state_machine_arn.into(),
            input: input.into(),
            start_date,
            snapshot: None,
            events: Vec::new(),
            definition_hash: None,
        }
    }
}

/// The answer of [`Store::start_execution`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub execution: ExecutionRecord,
    /// `false` when an identical running execution existed and was returned.
    pub created: bool,
}

/// A stored execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionRecord {
    pub execution_arn: String,
    pub name: String,
    pub state_machine_arn: String,
    pub status: ExecutionStatus,
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub start_date: DateTime<Utc>,
    pub stop_date: Option<DateTime<Utc>>,
    pub redrive_count: u32,
    pub redrive_date: Option<DateTime<Utc>>,
    /// How many history events the execution has (AWS fails an execution at 25,000).
    pub event_count: u64,
    /// The latest snapshot, opaque to the store.
    pub snapshot: Option<Vec<u8>>,
    /// When the execution's next timer fires, if it has one.
    pub wake_at: Option<DateTime<Utc>>,
    /// The [`definition_hash`] of the definition it runs (`None` in stores older than schema
    /// version 2: its machine's current definition).
    pub definition_hash: Option<String>,
}

/// An execution in a listing: everything but its payloads and snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionSummary {
    pub execution_arn: String,
    pub name: String,
    pub state_machine_arn: String,
    pub status: ExecutionStatus,
    pub start_date: DateTime<Utc>,
    pub stop_date: Option<DateTime<Utc>>,
    pub redrive_count: u32,
}

impl ExecutionRecord {
    /// The record without its payloads and snapshot.
    pub fn to_summary(&self) -> ExecutionSummary {
        ExecutionSummary {
            execution_arn: self.execution_arn.clone(),
            name: self.name.clone(),
            state_machine_arn: self.state_machine_arn.clone(),
            status: self.status,
            start_date: self.start_date,
            stop_date: self.stop_date,
            redrive_count: self.redrive_count,
        }
    }
}

/// Which executions [`Store::list_executions`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionFilter {
    pub state_machine_arn: Option<String>,
    pub status: Option<ExecutionStatus>,
    /// At most this many per page (at least one is returned when any matches).
    pub limit: usize,
    /// The `next_token` of the previous page.
    pub next_token: Option<String>,
}

impl Default for ExecutionFilter {
    fn default() -> Self {
        ExecutionFilter {
            state_machine_arn: None,
            status: None,
            limit: 100,
            next_token: None,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more items follow; pass it back to read them.
    pub next_token: Option<String>,
}

/// Which events [`Store::history`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Only events after this id (before it when `reverse`); the last id of the previous page.
    pub after_id: Option<u64>,
    /// At most this many events.
    pub limit: usize,
    /// Newest first.
    pub reverse: bool,
}

impl Default for HistoryQuery {
    fn default() -> Self {
        HistoryQuery {
            after_id: None,
            limit: usize::MAX,
            reverse: false,
        }
    }
}

/// One history event as stored: its id, AWS type name, time and JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub id: u64,
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    pub json: String,
}

impl EventRecord {
    /// The record of an engine event; `json` is the event's serde form, which
    /// [`EventRecord::to_event`] reads back.
    pub fn from_event(event: &HistoryEvent) -> Result<EventRecord, serde_json::Error> {
        Ok(EventRecord {
            id: event.id,
            event_type: event.event_type.as_str().to_owned(),
            timestamp: event.timestamp,
            json: serde_json::to_string(event)?,
        })
    }

    /// The engine event a record made by [`EventRecord::from_event`] holds.
    pub fn to_event(&self) -> Result<HistoryEvent, serde_json::Error> {
        serde_json::from_str(&self.json)
    }
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionEnd {
    /// Anything but [`ExecutionStatus::Running`].
    pub status: ExecutionStatus,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub stop_date: DateTime<Utc>,
}

impl ExecutionEnd {
    /// A successful end with `output` (JSON text).
    pub fn succeeded(output: impl Into<String>, stop_date: DateTime<Utc>) -> ExecutionEnd {
        ExecutionEnd {
            status: ExecutionStatus::Succeeded,
            output: Some(output.into()),
            error: None,
            cause: None,
            stop_date,
        }
    }

    /// An unsuccessful end (failed, timed out or aborted).
    pub fn failed(
        status: ExecutionStatus,
        error: Option<String>,
        cause: Option<String>,
        stop_date: DateTime<Utc>,
    ) -> ExecutionEnd {
        ExecutionEnd {
            status,
            output: None,
            error,
            cause,
            stop_date,
        }
    }
}

/// Everything one synchronous step of an execution changes, committed atomically by
/// [`Store::commit`].
///
/// The commit fails as a whole, leaving the store unchanged, when:
/// - the execution does not exist ([`StoreError::ExecutionNotFound`]);
/// - it is closed and `redrive` is not set ([`StoreError::ExecutionClosed`]), or `redrive` is
///   set but it is running or succeeded ([`StoreError::NotRedrivable`]);
/// - `end` has the status `RUNNING` ([`StoreError::InvalidEnd`]);
/// - the events' ids do not continue the stored history one by one
///   ([`StoreError::EventOutOfOrder`]);
/// - a consumed message is not in the execution's inbox ([`StoreError::MessageNotFound`]);
/// - a completed token is not a token of the execution ([`StoreError::TaskTokenNotFound`]);
/// - a new waiting token or activity task token exists already ([`StoreError::TaskTokenExists`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub execution_arn: String,
    /// The events recorded by the step, ids continuing the stored history.
    pub events: Vec<EventRecord>,
    /// The execution's new snapshot; `None` keeps the stored one.
    pub snapshot: Option<Vec<u8>>,
    /// Set when the step ended the execution. Every token of the execution that is still
    /// waiting then becomes completed.
    pub end: Option<ExecutionEnd>,
    /// When the execution's next timer fires after this step; `None` when it has none. It
    /// replaces the stored value.
    pub wake_at: Option<DateTime<Utc>>,
    /// Task tokens the execution now waits on.
    pub tokens_waiting: Vec<NewTaskToken>,
    /// Task tokens that no longer wait (answered, timed out, cancelled).
    pub tokens_completed: Vec<String>,
    /// Inbox messages this step applied; they are deleted.
    pub consumed_messages: Vec<u64>,
    /// Activity tasks the step scheduled.
    pub activity_tasks: Vec<NewActivityTask>,
    /// Set when this step redrives a closed execution: it runs again, its output, error, cause
    /// and stop date are cleared and its redrive count goes up by one.
    pub redrive: Option<DateTime<Utc>>,
}

impl Transition {
    /// A transition of `execution_arn` that changes nothing yet.
    pub fn new(execution_arn: impl Into<String>) -> Transition {
        Transition {
            execution_arn: execution_arn.into(),
            events: Vec::new(),
            snapshot: None,
            end: None,
            wake_at: None,
            tokens_waiting: Vec::new(),
            tokens_completed: Vec::new(),
            consumed_messages: Vec::new(),
            activity_tasks: Vec::new(),
            redrive: None,
        }
    }
}

/// What [`Store::start_execution_then`] calls with the result of a start.
pub type StartDone = Box<dyn FnOnce(Result<Started, StoreError>) + Send>;

/// What [`Store::commit_then`] calls with the result of a commit.
pub type CommitDone = Box<dyn FnOnce(Result<Committed, StoreError>) + Send>;

/// The answer of [`Store::commit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// The execution's number of events after the commit.
    pub event_count: u64,
}

/// A running execution whose timer is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueExecution {
    pub execution_arn: String,
    pub wake_at: DateTime<Utc>,
}

/// A task token an execution starts waiting on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTaskToken {
    pub token: String,
    /// The Task state that waits.
    pub state_name: String,
}

/// Whether a task token still waits for an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenStatus {
    Waiting,
    Completed,
}

impl TokenStatus {
    /// The stored name: `WAITING` or `COMPLETED`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Waiting => "WAITING",
            TokenStatus::Completed => "COMPLETED",
        }
    }

    /// Parses the stored name.
    pub fn from_name(name: &str) -> Option<TokenStatus> {
        match name {
            "WAITING" => Some(TokenStatus::Waiting),
            "COMPLETED" => Some(TokenStatus::Completed),
            _ => None,
        }
    }
}

/// A stored task token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTokenRecord {
    pub token: String,
    pub execution_arn: String,
    pub state_name: String,
    pub status: TokenStatus,
}

/// A message for the process that hosts an execution.
///
/// This is a persisted type: its JSON shape (internally tagged by `type`) is part of the store's
/// format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Message {
    /// `SendTaskSuccess`: `output` is JSON text.
    TaskSuccess { token: String, output: String },
    /// `SendTaskFailure`.
    TaskFailure {
        token: String,
        error: Option<String>,
        cause: Option<String>,
    },
    /// `SendTaskHeartbeat`.
    TaskHeartbeat { token: String },
    /// A worker took an activity task (`GetActivityTask`): the execution records
    /// `ActivityStarted` with the worker's name.
    ActivityStarted { token: String, worker: String },
    /// `StopExecution`.
    Stop {
        error: Option<String>,
        cause: Option<String>,
    },
    /// `RedriveExecution`.
    Redrive,
}

impl Message {
    /// The task token the message answers, if it is a task message.
    pub fn token(&self) -> Option<&str> {
        match self {
            Message::TaskSuccess { token, .. }
            | Message::TaskFailure { token, .. }
            | Message::TaskHeartbeat { token }
            | Message::ActivityStarted { token, .. } => Some(token),
            Message::Stop { .. } | Message::Redrive => None,
        }
    }
}

/// A message in an execution's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    /// Unique in the store and never reused.
    pub id: u64,
    pub execution_arn: String,
    pub posted: DateTime<Utc>,
    pub message: Message,
}

/// An activity task to schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivityTask {
    pub activity_arn: String,
    /// The token the worker answers with (`SendTaskSuccess`); unique.
    pub task_token: String,
    /// The task's input as JSON text.
    pub input: String,
    pub created: DateTime<Utc>,
}

/// An activity task taken by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTask {
    pub activity_arn: String,
    pub task_token: String,
    pub input: String,
    pub execution_arn: String,
    pub created: DateTime<Utc>,
}

/// Checks that `events` continue a history of `count` events one id at a time.
fn check_event_ids(
    execution_arn: &str,
    count: u64,
    events: &[EventRecord],
) -> Result<(), StoreError> {
    for (offset, event) in events.iter().enumerate() {
        let expected = count + offset as u64 + 1;
        if event.id != expected {
            return Err(StoreError::EventOutOfOrder {
                execution_arn: execution_arn.to_owned(),
                expected,
                found: event.id,
            });
        }
    }
    Ok(())
}

/// Parses a page token made by [`page_token`].
fn parse_page_token(token: &str) -> Result<u64, StoreError> {
    token
        .parse::<u64>()
        .map_err(|_| StoreError::InvalidPageToken {
            token: token.to_owned(),
        })
}

fn page_token(seq: u64) -> String {
    seq.to_string()
}
