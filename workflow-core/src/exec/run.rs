//! The interpreter: an execution is plain data (frames, timers, history) advanced by
//! synchronous steps. It performs no IO: task invocations leave as [`Command`]s for the driver,
//! and their results, timer expiries and callbacks come back as method calls.
//!
//! A frame runs one state graph: the top level, a Parallel branch or a Map iteration. Frames
//! form a tree; a Parallel or Map state's frame waits in [`Phase::Join`] for its children.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::clock::Clock;
use super::compile::{
    Assign, Catcher, ChoiceTest, FailField, JValue, Kind, Machine, MapSpec, PathSel, ProgramId,
    ResultPath, Seconds, StateIdx, TaskSpec, WaitSpec,
};
use super::history::{Details, EventType, HistoryEvent, Payload};
use super::scope::EvalScope;
use super::task::{
    MockResponse, Registry, ResourceKind, TaskFailure, TaskHandler, TaskRequest, classify,
    lambda_error_cause, lambda_invoke_result,
};
use crate::asl::QueryLanguage;
use crate::expr::{ErrorName, EvalError, jsonata};

pub(crate) type FrameId = usize;

/// The largest value of one variable, and of everything one `Assign` assigns: 256 KiB.
pub(crate) const VARIABLE_LIMIT: usize = 256 * 1024;

/// The most all the variables of an execution may hold together: 10 MiB.
pub(crate) const EXECUTION_VARIABLES_LIMIT: usize = 10 * 1024 * 1024;

/// The most events an execution's history may hold (AWS's hard quota).
pub(crate) const HISTORY_LIMIT: u64 = 25_000;

/// The largest payload (state input/output, task result) AWS accepts: 256 KiB.
pub(crate) const PAYLOAD_LIMIT: usize = 256 * 1024;

/// Identity and input of an execution, as the context object shows them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ExecutionMeta {
    pub execution_arn: String,
    pub name: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub role_arn: String,
    pub region: String,
    pub start_time: DateTime<Utc>,
    pub input: Payload,
    pub express: bool,
    pub redrive_count: u32,
}

/// How a Task state's resource is served in this execution.
#[derive(Clone)]
pub(crate) enum Invoker {
    Handler(Arc<dyn TaskHandler>),
    Mock(Arc<[MockResponse]>),
    /// `lambda:invoke` whose `FunctionName` is only known at run time.
    DynamicLambda(Registry),
    /// An activity served by workers that poll the store for its tasks.
    Activity,
}

/// A machine with every Task state bound to what serves it.
pub(crate) struct Plan {
    pub machine: Arc<Machine>,
    pub invokers: HashMap<(ProgramId, StateIdx), Invoker>,
}

/// Work for the driver.
pub(crate) enum Command {
    /// Call a handler; report the outcome with [`Execution::task_finished`].
    Invoke {
        token: u64,
        handler: Arc<dyn TaskHandler>,
        request: TaskRequest,
    },
    /// Forget an invocation that is no longer wanted (its state failed, timed out or was
    /// cancelled).
    Cancel { token: u64 },
}

/// The final status of an execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Status {
    Running,
    Succeeded(Payload),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    TimedOut {
        error: Option<String>,
        cause: Option<String>,
    },
    Aborted {
        error: Option<String>,
        cause: Option<String>,
    },
}

impl Status {
    /// AWS's status name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded(_) => "SUCCEEDED",
            Status::Failed { .. } => "FAILED",
            Status::TimedOut { .. } => "TIMED_OUT",
            Status::Aborted { .. } => "ABORTED",
        }
    }
}

/// An error raised while running a state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StateError {
    pub error: String,
    pub cause: Option<String>,
    /// `States.Runtime` and `States.DataLimitExceeded` fail the execution at once; nothing
    /// catches or retries them.
    pub terminal: bool,
    /// A JSONata failure: recorded as an `EvaluationFailed` event first.
    pub evaluation: Option<String>,
}

impl StateError {
    fn plain(error: impl Into<String>, cause: Option<String>) -> Self {
        StateError {
            error: error.into(),
            cause,
            terminal: false,
            evaluation: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Frame {
    pub program: ProgramId,
    pub parent: Option<(FrameId, usize)>,
    pub state: StateIdx,
    /// The raw input of the current state.
    pub input: Payload,
    pub entered_event: u64,
    pub entered_time: DateTime<Utc>,
    pub last_event: u64,
    pub phase: Phase,
    pub retry_counts: Vec<u32>,
    pub retry_count: u32,
    pub vars: HashMap<String, Payload>,
    /// Events of this frame are not recorded (children of a distributed Map run as separate
    /// child executions on AWS).
    pub quiet: bool,
    /// Bumped whenever the frame moves on, so that stale timers are ignored.
    pub epoch: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Phase {
    /// About to enter `state` with `input`.
    Enter,
    /// A Map iteration that has not started yet.
    StartIteration {
        index: usize,
    },
    Task(Box<TaskWait>),
    Waiting {
        effective: Payload,
    },
    RetryPending,
    Join(Box<Join>),
    Finished,
    /// The frame failed in its current state; a Parallel or Map state keeps its children so
    /// that a redrive re-runs only the ones that did not succeed.
    Failed {
        join: Option<Box<Join>>,
    },
    /// The frame was stopped because a sibling failed or the execution ended.
    Aborted {
        join: Option<Box<Join>>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TaskWait {
    pub token: u64,
    pub lambda_invoke: bool,
    pub resource_type: String,
    pub resource: String,
    pub events: TaskEvents,
    pub callback_token: Option<String>,
    /// What the handler was (or will be) called with: kept so that an execution restored from
    /// a snapshot can start the task again.
    pub request: Option<TaskRequest>,
    /// The effective parameters (a dynamic `FunctionName` is read from them again).
    pub parameters: Payload,
    pub heartbeat_seconds: Option<u64>,
    pub last_heartbeat: DateTime<Utc>,
    /// For a callback task: the handler that hands out the token has returned
    /// (`TaskSubmitted`), so a restored execution need not call it again.
    #[serde(default)]
    pub submitted: bool,
}

/// Which family of history events a task records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum TaskEvents {
    Task,
    Lambda,
    Activity,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Join {
    pub children: Vec<Option<FrameId>>,
    pub results: Vec<Option<Payload>>,
    pub remaining: usize,
    pub map: Option<MapJoin>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MapJoin {
    pub inputs: Vec<Payload>,
    pub next: usize,
    pub running: usize,
    pub max_concurrency: usize,
    pub failures: usize,
    pub tolerated_count: Option<u64>,
    pub tolerated_percentage: Option<f64>,
    pub distributed: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum TimerKind {
    Wait,
    Retry,
    TaskTimeout { token: u64 },
    Heartbeat { token: u64 },
    ExecutionTimeout,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Timer {
    frame: FrameId,
    epoch: u64,
    kind: TimerKind,
}

/// One execution's whole state.
pub(crate) struct Execution {
    plan: Arc<Plan>,
    clock: Arc<dyn Clock>,
    pub meta: ExecutionMeta,
    frames: Vec<Option<Frame>>,
    free: Vec<FrameId>,
    ready: VecDeque<FrameId>,
    pub history: Vec<HistoryEvent>,
    pub status: Status,
    timers: BTreeMap<(DateTime<Utc>, u64), Timer>,
    timer_seq: u64,
    tasks: HashMap<u64, FrameId>,
    next_token: u64,
    /// Invocations so far of each mocked Task state, by `(program, state)`.
    mock_calls: BTreeMap<(ProgramId, StateIdx), usize>,
    commands: Vec<Command>,
    record_history: bool,
    transitions: u64,
    next_event_id: u64,
    last_event_time: Option<DateTime<Utc>>,
    /// The bytes all live variables hold (AWS allows 10 MiB per execution).
    variables_bytes: usize,
    /// See [`Execution::set_transition_budget`].
    transition_budget: Option<u64>,
    budget_left: Option<u64>,
    /// Callback tokens issued / finished since the driver last asked (it records them).
    new_tokens: Vec<(String, String)>,
    completed_tokens: Vec<String>,
    /// Activity tasks created since the driver last asked: (activity ARN, token, input).
    new_activity_tasks: Vec<(String, String, Payload)>,
    /// The clock read at most every [`CLOCK_REUSE`] events while frames run synchronously.
    now_cache: Option<(DateTime<Utc>, u32)>,
}

/// How many events may share one reading of the clock. A synchronous run of states takes well
/// under a millisecond for this many events, below the resolution of history timestamps.
const CLOCK_REUSE: u32 = 64;

/// The persisted form of an execution: everything but the compiled machine, the clock and the
/// history (which is recorded on its own, event by event).
/// Serialised at a transition and restored later, it continues the execution exactly where it
/// stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    /// The format's version; bumped on any change of shape.
    version: u32,
    meta: ExecutionMeta,
    frames: Vec<Option<Frame>>,
    free: Vec<FrameId>,
    ready: Vec<FrameId>,
    status: Status,
    timers: Vec<((DateTime<Utc>, u64), Timer)>,
    timer_seq: u64,
    tasks: Vec<(u64, FrameId)>,
    next_token: u64,
    mock_calls: Vec<((ProgramId, StateIdx), usize)>,
    record_history: bool,
    transitions: u64,
    next_event_id: u64,
    last_event_time: Option<DateTime<Utc>>,
}

/// The version of [`Snapshot`]'s shape.
pub(crate) const SNAPSHOT_VERSION: u32 = 1;

impl Execution {
    /// The execution's state as plain data.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            meta: self.meta.clone(),
            frames: self.frames.clone(),
            free: self.free.clone(),
            ready: self.ready.iter().copied().collect(),
            status: self.status.clone(),
            timers: self.timers.iter().map(|(k, v)| (*k, *v)).collect(),
            timer_seq: self.timer_seq,
            tasks: self.tasks.iter().map(|(k, v)| (*k, *v)).collect(),
            next_token: self.next_token,
            mock_calls: self.mock_calls.iter().map(|(k, v)| (*k, *v)).collect(),
            record_history: self.record_history,
            transitions: self.transitions,
            next_event_id: self.next_event_id,
            last_event_time: self.last_event_time,
        }
    }

    /// Whether a snapshot has a shape this build reads.
    pub fn snapshot_supported(snapshot: &Snapshot) -> bool {
        snapshot.version == SNAPSHOT_VERSION
    }

    /// An execution continued from a snapshot of an execution of the same machine.
    pub fn restore(plan: Arc<Plan>, clock: Arc<dyn Clock>, snapshot: Snapshot) -> Execution {
        let mut exec = Execution {
            plan,
            clock,
            meta: snapshot.meta,
            frames: snapshot.frames,
            free: snapshot.free,
            ready: snapshot.ready.into_iter().collect(),
            history: Vec::new(),
            status: snapshot.status,
            timers: snapshot.timers.into_iter().collect(),
            timer_seq: snapshot.timer_seq,
            tasks: snapshot.tasks.into_iter().collect(),
            next_token: snapshot.next_token,
            mock_calls: snapshot.mock_calls.into_iter().collect(),
            commands: Vec::new(),
            record_history: snapshot.record_history,
            transitions: snapshot.transitions,
            next_event_id: snapshot.next_event_id,
            last_event_time: snapshot.last_event_time,
            variables_bytes: 0,
            transition_budget: None,
            budget_left: None,
            new_tokens: Vec::new(),
            completed_tokens: Vec::new(),
            new_activity_tasks: Vec::new(),
            now_cache: None,
        };
        exec.variables_bytes = exec
            .frames
            .iter()
            .flatten()
            .flat_map(|f| f.vars.values())
            .map(|v| json_size(v))
            .sum();
        exec
    }
}

impl Execution {
    pub fn new(
        plan: Arc<Plan>,
        clock: Arc<dyn Clock>,
        meta: ExecutionMeta,
        record_history: bool,
    ) -> Execution {
        let mut exec = Execution {
            plan,
            clock,
            meta,
            frames: Vec::new(),
            free: Vec::new(),
            ready: VecDeque::new(),
            history: Vec::new(),
            status: Status::Running,
            timers: BTreeMap::new(),
            timer_seq: 0,
            tasks: HashMap::new(),
            next_token: 1,
            mock_calls: BTreeMap::new(),
            commands: Vec::new(),
            record_history,
            transitions: 0,
            next_event_id: 1,
            last_event_time: None,
            variables_bytes: 0,
            transition_budget: None,
            budget_left: None,
            new_tokens: Vec::new(),
            completed_tokens: Vec::new(),
            new_activity_tasks: Vec::new(),
            now_cache: None,
        };
        let started = exec.push_event(
            0,
            false,
            EventType::ExecutionStarted,
            Details::ExecutionStarted {
                input: exec.meta.input.clone(),
                role_arn: exec.meta.role_arn.clone(),
                state_machine_arn: exec.meta.state_machine_arn.clone(),
            },
        );
        let root = exec.alloc(Frame {
            program: 0,
            parent: None,
            state: exec.plan.machine.programs[0].start,
            input: exec.meta.input.clone(),
            entered_event: 0,
            entered_time: exec.meta.start_time,
            last_event: started,
            phase: Phase::Enter,
            retry_counts: Vec::new(),
            retry_count: 0,
            vars: HashMap::new(),
            quiet: false,
            epoch: 0,
        });
        if let Some(timeout) = exec.plan.machine.timeout_seconds {
            let at = exec.meta.start_time + chrono::Duration::seconds(timeout as i64);
            exec.add_timer(at, root, TimerKind::ExecutionTimeout);
        }
        exec.ready.push_back(root);
        exec
    }

    pub fn machine(&self) -> &Machine {
        &self.plan.machine
    }

    pub fn frame(&self, id: FrameId) -> &Frame {
        self.frames[id]
            .as_ref()
            .expect("frame ids in use always point at live frames")
    }

    fn frame_mut(&mut self, id: FrameId) -> &mut Frame {
        self.frames[id]
            .as_mut()
            .expect("frame ids in use always point at live frames")
    }

    fn alive(&self, id: FrameId) -> bool {
        self.frames.get(id).is_some_and(Option::is_some)
    }

    fn alloc(&mut self, frame: Frame) -> FrameId {
        match self.free.pop() {
            Some(id) => {
                self.frames[id] = Some(frame);
                id
            }
            None => {
                self.frames.push(Some(frame));
                self.frames.len() - 1
            }
        }
    }

    fn release(&mut self, id: FrameId) {
        if let Some(frame) = self.frames[id].take() {
            let bytes: usize = frame.vars.values().map(|v| json_size(v)).sum();
            self.variables_bytes = self.variables_bytes.saturating_sub(bytes);
        }
        self.free.push(id);
    }

    /// The value of a variable as seen from `frame`: its own scope, then the enclosing ones
    /// (a distributed Map's iterations see none of them).
    pub fn variable(&self, frame: FrameId, name: &str) -> Option<&Value> {
        let mut current = Some(frame);
        while let Some(id) = current {
            let f = self.frame(id);
            if let Some(v) = f.vars.get(name) {
                return Some(v);
            }
            if self.plan.machine.programs[f.program].isolated {
                return None;
            }
            current = f.parent.map(|(p, _)| p);
        }
        None
    }

    pub fn is_done(&self) -> bool {
        self.status != Status::Running
    }

    /// State transitions so far (states entered).
    pub fn transitions(&self) -> u64 {
        self.transitions
    }

    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.commands)
    }

    pub fn has_tasks_in_flight(&self) -> bool {
        !self.tasks.is_empty()
    }

    /// The earliest pending timer.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.timers.keys().next().map(|(t, _)| *t)
    }

    fn now(&mut self) -> DateTime<Utc> {
        match &mut self.now_cache {
            Some((t, uses)) if *uses < CLOCK_REUSE => {
                *uses += 1;
                *t
            }
            cache => {
                let t = self.clock.now();
                *cache = Some((t, 1));
                t
            }
        }
    }

    /// The events recorded since the history was last drained.
    pub fn pending_history(&self) -> &[HistoryEvent] {
        &self.history
    }

    /// The history recorded since the last call; events move out, the ids go on.
    pub fn drain_history(&mut self) -> Vec<HistoryEvent> {
        std::mem::take(&mut self.history)
    }

    /// When the last event happened.
    pub fn last_event_time(&self) -> Option<DateTime<Utc>> {
        self.last_event_time
    }

    fn push_event(
        &mut self,
        previous: u64,
        quiet: bool,
        event_type: EventType,
        details: Details,
    ) -> u64 {
        if quiet || !self.record_history {
            return 0;
        }
        let id = self.next_event_id;
        self.next_event_id += 1;
        let timestamp = self.now();
        self.last_event_time = Some(timestamp);
        self.history.push(HistoryEvent {
            id,
            previous_event_id: previous,
            timestamp,
            event_type,
            details,
        });
        id
    }

    /// Records an event in a frame's thread of history. An execution whose history reaches
    /// AWS's limit of 25,000 events fails.
    fn event(&mut self, fid: FrameId, event_type: EventType, details: Details) -> u64 {
        if self.record_history && self.next_event_id >= HISTORY_LIMIT && !self.is_done() {
            self.fail_execution(&StateError {
                error: "States.Runtime".into(),
                cause: Some(format!(
                    "The execution reached the maximum number of history events ({HISTORY_LIMIT})."
                )),
                terminal: true,
                evaluation: None,
            });
        }
        if self.is_done() {
            return 0;
        }
        let (previous, quiet) = {
            let f = self.frame(fid);
            (f.last_event, f.quiet)
        };
        let id = self.push_event(previous, quiet, event_type, details);
        if id != 0 {
            self.frame_mut(fid).last_event = id;
        }
        id
    }

    fn add_timer(&mut self, at: DateTime<Utc>, frame: FrameId, kind: TimerKind) {
        self.timer_seq += 1;
        let epoch = self.frames[frame].as_ref().map_or(0, |f| f.epoch);
        self.timers
            .insert((at, self.timer_seq), Timer { frame, epoch, kind });
    }

    // ----- driving -----

    /// Runs every frame that can make progress until all are blocked or the execution ends.
    pub fn run(&mut self) {
        self.now_cache = None;
        self.budget_left = self.transition_budget;
        while let Some(fid) = self.ready.pop_front() {
            if self.is_done() {
                self.ready.clear();
                break;
            }
            if self.alive(fid) {
                self.run_frame(fid);
            }
            if self.budget_left == Some(0) {
                break;
            }
        }
    }

    /// Makes [`Execution::run`] stop after this many states entered, so that the caller can
    /// commit each transition before the next state begins. `None`: run until blocked.
    pub fn set_transition_budget(&mut self, budget: Option<u64>) {
        self.transition_budget = budget;
    }

    /// Whether frames can make progress without waiting for anything (a run stopped by its
    /// transition budget).
    pub fn has_ready_frames(&self) -> bool {
        !self.ready.is_empty() && !self.is_done()
    }

    fn run_frame(&mut self, fid: FrameId) {
        loop {
            if self.is_done() || !self.alive(fid) {
                return;
            }
            match self.frame(fid).phase {
                Phase::Enter if self.budget_left == Some(0) => {
                    self.ready.push_front(fid);
                    return;
                }
                Phase::Enter => {
                    if let Some(left) = self.budget_left.as_mut() {
                        *left -= 1;
                    }
                    self.enter_state(fid)
                }
                Phase::StartIteration { index } => {
                    if let Some((parent, _)) = self.frame(fid).parent {
                        let name = self.current_state_name(parent);
                        let id = self.event(
                            parent,
                            EventType::MapIterationStarted,
                            Details::MapIteration { name, index },
                        );
                        if id != 0 {
                            self.frame_mut(fid).last_event = id;
                        }
                    }
                    self.frame_mut(fid).phase = Phase::Enter;
                }
                _ => return,
            }
        }
    }

    fn current_state_name(&self, fid: FrameId) -> Arc<str> {
        let f = self.frame(fid);
        self.plan.machine.state(f.program, f.state).name.clone()
    }

    /// Fires every timer due at `now`.
    pub fn fire_due_timers(&mut self, now: DateTime<Utc>) {
        self.now_cache = None;
        while let Some((&key, &timer)) = self.timers.iter().next() {
            if key.0 > now || self.is_done() {
                break;
            }
            self.timers.remove(&key);
            let stale = !self.alive(timer.frame)
                || (self.frame(timer.frame).epoch != timer.epoch
                    && !matches!(timer.kind, TimerKind::ExecutionTimeout));
            if stale {
                continue;
            }
            match timer.kind {
                TimerKind::Wait => self.finish_wait(timer.frame),
                TimerKind::Retry => self.execute_state(timer.frame),
                TimerKind::Heartbeat { token } if self.heartbeat_pending(timer.frame, now) => {
                    // A heartbeat arrived since the timer was set: wait for the next one.
                    if let Some(at) = self.next_heartbeat_deadline(timer.frame) {
                        self.add_timer(at, timer.frame, TimerKind::Heartbeat { token });
                    }
                }
                TimerKind::TaskTimeout { token } | TimerKind::Heartbeat { token } => {
                    if self.tasks.get(&token) == Some(&timer.frame) {
                        let error = if matches!(timer.kind, TimerKind::Heartbeat { .. }) {
                            "States.HeartbeatTimeout"
                        } else {
                            "States.Timeout"
                        };
                        self.task_timed_out(timer.frame, token, error);
                    }
                }
                TimerKind::ExecutionTimeout => {
                    self.finish(
                        EventType::ExecutionTimedOut,
                        Status::TimedOut {
                            error: None,
                            cause: None,
                        },
                    );
                }
            }
            self.run();
        }
        self.run();
    }

    /// Reports the outcome of an invocation started by [`Command::Invoke`].
    pub fn task_finished(&mut self, token: u64, outcome: Result<Value, TaskFailure>) {
        self.now_cache = None;
        let Some(&fid) = self.tasks.get(&token) else {
            return;
        };
        if self.is_done() {
            return;
        }
        let Phase::Task(wait) = &self.frame(fid).phase else {
            return;
        };
        if wait.token != token {
            return;
        }
        if let Some(callback) = wait.callback_token.clone() {
            // The handler only started the work; the answer comes as a callback.
            match outcome {
                Err(failure) => {
                    self.tasks.remove(&token);
                    self.completed_tokens.push(callback);
                    self.task_failed(fid, failure);
                }
                Ok(value) => self.task_submitted(fid, value),
            }
            self.run();
            return;
        }
        self.tasks.remove(&token);
        match outcome {
            Ok(value) => self.task_succeeded(fid, value),
            Err(failure) => self.task_failed(fid, failure),
        }
        self.run();
    }

    /// Completes a `.waitForTaskToken` task.
    pub fn callback(&mut self, task_token: &str, outcome: Result<Value, TaskFailure>) -> bool {
        self.now_cache = None;
        let found = self
            .tasks
            .iter()
            .find_map(|(token, fid)| match &self.frame(*fid).phase {
                Phase::Task(w) if w.callback_token.as_deref() == Some(task_token) => {
                    Some((*token, *fid))
                }
                _ => None,
            });
        let Some((token, fid)) = found else {
            return false;
        };
        self.tasks.remove(&token);
        self.commands.push(Command::Cancel { token });
        self.completed_tokens.push(task_token.to_string());
        // The callback's output is the task result as sent, not a Lambda response.
        match outcome {
            Ok(value) => self.task_succeeded_raw(fid, value),
            Err(failure) => self.task_failed_raw(fid, failure),
        }
        self.run();
        true
    }

    /// Records a heartbeat for a callback task (`SendTaskHeartbeat`); `false` when no task waits
    /// for the token.
    pub fn heartbeat(&mut self, task_token: &str) -> bool {
        self.now_cache = None;
        let now = self.now();
        let found = self.tasks.values().copied().find(|fid| {
            matches!(&self.frame(*fid).phase, Phase::Task(w) if w.callback_token.as_deref() == Some(task_token))
        });
        let Some(fid) = found else { return false };
        if let Phase::Task(wait) = &mut self.frame_mut(fid).phase {
            wait.last_heartbeat = now;
        }
        true
    }

    /// A worker took the activity task of `task_token` (`GetActivityTask`): records
    /// `ActivityStarted` with its name. Returns whether a task of this execution was waiting.
    pub fn activity_started(&mut self, task_token: &str, worker: String) -> bool {
        self.now_cache = None;
        let found = self.tasks.values().copied().find(|fid| {
            matches!(&self.frame(*fid).phase, Phase::Task(w) if w.callback_token.as_deref() == Some(task_token) && matches!(w.events, TaskEvents::Activity))
        });
        let Some(fid) = found else { return false };
        self.event(
            fid,
            EventType::ActivityStarted,
            Details::ActivityStarted {
                worker_name: worker,
            },
        );
        true
    }

    /// Whether the task of `fid` has had a heartbeat recently enough that its heartbeat timer
    /// should not fire at `now`.
    fn heartbeat_pending(&self, fid: FrameId, now: DateTime<Utc>) -> bool {
        self.next_heartbeat_deadline(fid).is_some_and(|at| at > now)
    }

    fn next_heartbeat_deadline(&self, fid: FrameId) -> Option<DateTime<Utc>> {
        match &self.frame(fid).phase {
            Phase::Task(w) => w
                .heartbeat_seconds
                .map(|h| w.last_heartbeat + chrono::Duration::seconds(h as i64)),
            _ => None,
        }
    }

    /// Callback tokens issued since the last call, with their states.
    pub fn take_new_tokens(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.new_tokens)
    }

    /// Callback tokens that stopped waiting since the last call.
    pub fn take_completed_tokens(&mut self) -> Vec<String> {
        std::mem::take(&mut self.completed_tokens)
    }

    /// Activity tasks created since the last call: (activity ARN, task token, input).
    pub fn take_activity_tasks(&mut self) -> Vec<(String, String, Payload)> {
        std::mem::take(&mut self.new_activity_tasks)
    }

    /// After a restore: starts again every task that was running when the snapshot was taken
    /// (tasks run at least once). Callback tasks keep waiting for their token.
    pub fn resume(&mut self) {
        let plan = self.plan.clone();
        let mut in_flight: Vec<(u64, FrameId)> = self.tasks.iter().map(|(t, f)| (*t, *f)).collect();
        in_flight.sort_unstable();
        for (token, fid) in in_flight {
            let f = self.frame(fid);
            let Phase::Task(wait) = &f.phase else {
                continue;
            };
            // A callback task whose handler returned waits for its token; one whose handler
            // had not returned may never have handed the token out, so it runs again.
            if wait.callback_token.is_some() && wait.submitted {
                continue;
            }
            let Some(request) = wait.request.clone() else {
                continue;
            };
            let handler = plan
                .invokers
                .get(&(f.program, f.state))
                .and_then(|invoker| handler_for(invoker, &wait.parameters));
            match handler {
                Some(handler) => self.commands.push(Command::Invoke {
                    token,
                    handler,
                    request,
                }),
                None => {
                    self.tasks.remove(&token);
                    self.task_failed_raw(
                        fid,
                        TaskFailure::new(
                            "States.TaskFailed",
                            format!(
                                "no handler serves the resource '{}' any more",
                                request.resource
                            ),
                        ),
                    );
                }
            }
        }
        self.run();
    }

    /// Redrives a FAILED, TIMED_OUT or ABORTED execution (AWS's `RedriveExecution`): it runs
    /// again from the states that did not succeed. States that succeeded are not run again; in a
    /// Parallel or Map state only the branches and iterations that did not succeed run again.
    pub fn redrive(&mut self) -> bool {
        self.now_cache = None;
        if matches!(self.status, Status::Running | Status::Succeeded(_)) || !self.alive(0) {
            return false;
        }
        self.status = Status::Running;
        self.meta.redrive_count += 1;
        let last = self.next_event_id - 1;
        self.push_event(
            last,
            false,
            EventType::ExecutionRedriven,
            Details::Redriven {
                redrive_count: self.meta.redrive_count,
            },
        );
        if let Some(timeout) = self.plan.machine.timeout_seconds {
            let at = self.now() + chrono::Duration::seconds(timeout as i64);
            self.add_timer(at, 0, TimerKind::ExecutionTimeout);
        }
        self.revive(0, None);
        self.run();
        true
    }

    /// Makes a failed or stopped frame run again: a frame in a Parallel or Map state gets its
    /// unsuccessful children revived; any other frame enters its current state again.
    fn revive(&mut self, fid: FrameId, map_index: Option<usize>) {
        let frame = self.frame_mut(fid);
        frame.epoch += 1;
        let join = match std::mem::replace(&mut frame.phase, Phase::Finished) {
            Phase::Join(join)
            | Phase::Failed { join: Some(join) }
            | Phase::Aborted { join: Some(join) } => Some(join),
            _ => None,
        };
        let Some(mut join) = join else {
            self.frame_mut(fid).phase = match map_index {
                Some(index) => Phase::StartIteration { index },
                None => Phase::Enter,
            };
            self.ready.push_back(fid);
            return;
        };
        let iterations = join.map.as_ref().is_some_and(|m| !m.distributed);
        let mut revived = Vec::new();
        for (slot, child) in join.children.iter().enumerate() {
            if let Some(child) = child
                && join.results[slot].is_none()
            {
                revived.push((slot, *child));
            }
        }
        join.remaining = join.results.iter().filter(|r| r.is_none()).count();
        if let Some(map) = join.map.as_mut() {
            // Tolerated failures keep counting; the iterations revived run again.
            map.running = revived.len();
        }
        self.frame_mut(fid).phase = Phase::Join(join);
        if matches!(
            self.state_of(&self.plan.clone(), fid).kind,
            Kind::Parallel { .. }
        ) {
            self.event(fid, EventType::ParallelStateStarted, Details::None);
        }
        for (slot, child) in revived {
            self.revive(child, iterations.then_some(slot));
        }
        self.launch_iterations(fid);
    }

    /// Stops the execution: ABORTED.
    pub fn abort(&mut self, error: Option<String>, cause: Option<String>) {
        self.now_cache = None;
        if self.is_done() {
            return;
        }
        self.finish(
            EventType::ExecutionAborted,
            Status::Aborted { error, cause },
        );
    }

    // ----- states -----

    fn enter_state(&mut self, fid: FrameId) {
        let plan = self.plan.clone();
        let (program, state, input) = {
            let f = self.frame(fid);
            (f.program, f.state, f.input.clone())
        };
        let st = plan.machine.state(program, state);
        self.transitions += 1;
        let now = self.now();
        let entered = self.event(
            fid,
            st.entered,
            Details::StateEntered {
                name: st.name.clone(),
                input,
            },
        );
        let f = self.frame_mut(fid);
        f.entered_event = entered;
        f.entered_time = now;
        f.retry_counts.clear();
        f.retry_counts.resize(st.retriers.len(), 0);
        f.retry_count = 0;
        self.execute_state(fid);
    }

    /// Runs the body of the frame's current state (again, for a retry).
    fn execute_state(&mut self, fid: FrameId) {
        let plan = self.plan.clone();
        let (program, state) = {
            let f = self.frame_mut(fid);
            f.epoch += 1;
            (f.program, f.state)
        };
        let st = plan.machine.state(program, state);
        let result = match &st.kind {
            Kind::Pass { result } => self.run_pass(fid, result.as_ref()),
            Kind::Task(spec) => self.run_task(fid, spec),
            Kind::Choice { rules, default } => self.run_choice(fid, rules, *default),
            Kind::Wait(spec) => self.run_wait(fid, spec),
            Kind::Succeed => self.run_succeed(fid),
            Kind::Fail(spec) => self.run_fail(fid, spec),
            Kind::Parallel { branches } => self.run_parallel(fid, branches),
            Kind::Map(spec) => self.run_map(fid, spec),
        };
        if let Err(err) = result {
            self.handle_error(fid, err);
        }
    }

    fn run_pass(&mut self, fid: FrameId, result: Option<&Payload>) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let input = self.frame(fid).input.clone();
        match st.lang {
            QueryLanguage::JsonPath => {
                let effective = self.input_path(fid, &input)?;
                let effective = match &st.io.parameters {
                    Some(t) => Arc::new(self.template(fid, t, &effective)?),
                    None => effective,
                };
                let result = result.cloned().unwrap_or(effective);
                self.finish_jsonpath(fid, &input, result, None)
            }
            QueryLanguage::Jsonata => {
                let output = match &st.io.output {
                    Some(out) => self.jvalue(fid, out, Some(&input), None, None)?,
                    None => input.clone(),
                };
                let assigned = self.assign_jsonata(fid, Some(&input), None, None)?;
                self.exit_state(fid, output, assigned, st.next)
            }
        }
    }

    fn run_succeed(&mut self, fid: FrameId) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let input = self.frame(fid).input.clone();
        let output = match st.lang {
            QueryLanguage::JsonPath => {
                let effective = self.input_path(fid, &input)?;
                self.output_path(fid, effective)?
            }
            QueryLanguage::Jsonata => match &st.io.output {
                Some(out) => self.jvalue(fid, out, Some(&input), None, None)?,
                None => input,
            },
        };
        self.exit_state(fid, output, None, None)
    }

    fn run_fail(
        &mut self,
        fid: FrameId,
        spec: &super::compile::FailSpec,
    ) -> Result<(), StateError> {
        let input = self.frame(fid).input.clone();
        let error = self.fail_field(fid, spec.error.as_ref(), &input, "ErrorPath")?;
        let cause = self.fail_field(fid, spec.cause.as_ref(), &input, "CausePath")?;
        self.frame_mut(fid).phase = Phase::Failed { join: None };
        self.frame_failed(
            fid,
            StateError {
                error: error.unwrap_or_default(),
                cause,
                terminal: false,
                evaluation: None,
            },
            error_is_absent(spec),
        );
        Ok(())
    }

    fn fail_field(
        &mut self,
        fid: FrameId,
        field: Option<&FailField>,
        input: &Payload,
        path_field: &str,
    ) -> Result<Option<String>, StateError> {
        let Some(field) = field else {
            return Ok(None);
        };
        let value = match field {
            FailField::Literal(s) => return Ok(Some(s.clone())),
            FailField::Path(expr) => {
                let scope = EvalScope::new(self, fid);
                expr.eval_field(path_field, input, &scope)
                    .map_err(|e| self.eval_error(fid, e))?
            }
            FailField::Jsonata(jv) => {
                Arc::unwrap_or_clone(self.jvalue(fid, jv, Some(input), None, None)?)
            }
        };
        Ok(Some(match value {
            Value::String(s) => s,
            other => other.to_string(),
        }))
    }

    fn run_choice(
        &mut self,
        fid: FrameId,
        rules: &[super::compile::ChoiceRule],
        default: Option<StateIdx>,
    ) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let input = self.frame(fid).input.clone();
        let effective = match st.lang {
            QueryLanguage::JsonPath => self.input_path(fid, &input)?,
            QueryLanguage::Jsonata => input.clone(),
        };
        let mut chosen = None;
        for rule in rules {
            let matched = match &rule.test {
                ChoiceTest::JsonPath(r) => {
                    let scope = EvalScope::new(self, fid);
                    r.matches(&effective, &scope)
                        .map_err(|e| self.eval_error(fid, e))?
                }
                ChoiceTest::Jsonata(jv) => {
                    let v = self.jvalue(fid, jv, Some(&input), None, None)?;
                    match &*v {
                        Value::Bool(b) => *b,
                        other => {
                            return Err(self.query_error(
                                fid,
                                format!(
                                    "The JSONata expression '{}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                                    jvalue_source(jv),
                                    json_type(other),
                                    other
                                ),
                                Some("Condition".into()),
                            ));
                        }
                    }
                }
            };
            if matched {
                chosen = Some(rule);
                break;
            }
        }
        let (next, rule_assign, rule_output) = match chosen {
            Some(rule) => (rule.next, rule.assign.as_ref(), rule.output.as_ref()),
            None => match default {
                Some(d) => (d, None, None),
                None => {
                    return Err(StateError::plain(
                        "States.NoChoiceMatched",
                        Some(format!(
                            "No Matches! for state '{}' with input {}",
                            st.name, effective
                        )),
                    ));
                }
            },
        };
        let assign = match chosen {
            Some(_) => rule_assign,
            None => st.io.assign.as_ref(),
        };
        match st.lang {
            QueryLanguage::JsonPath => {
                let assigned = match assign {
                    Some(Assign::JsonPath(t)) => Some(self.assign_template(fid, t, &effective)?),
                    _ => None,
                };
                let output = self.output_path(fid, effective)?;
                self.exit_state(fid, output, assigned, Some(next))
            }
            QueryLanguage::Jsonata => {
                let output_expr = rule_output.or(st.io.output.as_ref());
                let output = match output_expr {
                    Some(out) => self.jvalue(fid, out, Some(&input), None, None)?,
                    None => input.clone(),
                };
                let assigned = match assign {
                    Some(Assign::Jsonata(fields)) => {
                        Some(self.jsonata_fields(fid, fields, Some(&input), None, None)?)
                    }
                    _ => None,
                };
                self.exit_state(fid, output, assigned, Some(next))
            }
        }
    }

    fn run_wait(&mut self, fid: FrameId, spec: &WaitSpec) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let input = self.frame(fid).input.clone();
        let effective = match st.lang {
            QueryLanguage::JsonPath => self.input_path(fid, &input)?,
            QueryLanguage::Jsonata => input.clone(),
        };
        let now = self.now();
        let deadline = match spec {
            WaitSpec::Seconds(seconds) => {
                let secs = match seconds {
                    Seconds::Literal(v) => v.as_f64().unwrap_or(0.0),
                    Seconds::Path(path) => {
                        let scope = EvalScope::new(self, fid);
                        let value = path
                            .select(&effective, &scope)
                            .map_err(|e| self.eval_error(fid, e))?
                            .map(|v| v.into_owned());
                        let Some(value) = value else {
                            return Err(self.eval_error(fid, path.no_results_error()));
                        };
                        match value.as_i64() {
                            Some(n) if n < 0 => {
                                return Err(self.runtime(
                                    fid,
                                    format!(
                                        "The SecondsPath parameter references a negative value: {} == {}",
                                        path.source(),
                                        value
                                    ),
                                ));
                            }
                            Some(n) => n as f64,
                            None => {
                                return Err(self.runtime(
                                    fid,
                                    format!(
                                        "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                                        path.source(),
                                        value
                                    ),
                                ));
                            }
                        }
                    }
                    Seconds::Jsonata(jv) => {
                        let v = self.jvalue(fid, jv, Some(&input), None, None)?;
                        match v.as_f64() {
                            Some(n) if n >= 0.0 && n.fract() == 0.0 => n,
                            _ => {
                                return Err(self.query_error(
                                    fid,
                                    format!(
                                        "The JSONata expression '{}' specified for the field 'Seconds' returned an unexpected result type. Expected 'integer', but was '{}' for value: {}",
                                        jvalue_source(jv),
                                        json_type(&v),
                                        v
                                    ),
                                    Some("Seconds".into()),
                                ));
                            }
                        }
                    }
                };
                if secs > i32::MAX as f64 {
                    return Err(self.runtime(fid, "Wait state delay is too long.".into()));
                }
                now + chrono::Duration::milliseconds((secs * 1000.0) as i64)
            }
            WaitSpec::Timestamp(ts) => {
                let (text, source) = match ts {
                    Seconds::Literal(v) => (v.as_str().unwrap_or_default().to_string(), None),
                    Seconds::Path(path) => {
                        let scope = EvalScope::new(self, fid);
                        let value = path
                            .select(&effective, &scope)
                            .map_err(|e| self.eval_error(fid, e))?
                            .map(|v| v.into_owned());
                        match value {
                            Some(Value::String(s)) => (s, Some(path.source().to_string())),
                            Some(other) => (other.to_string(), Some(path.source().to_string())),
                            None => {
                                return Err(self.eval_error(fid, path.no_results_error()));
                            }
                        }
                    }
                    Seconds::Jsonata(jv) => {
                        let v = self.jvalue(fid, jv, Some(&input), None, None)?;
                        match &*v {
                            Value::String(s) => (s.clone(), None),
                            other => (other.to_string(), None),
                        }
                    }
                };
                let Some(at) = parse_timestamp(&text) else {
                    return Err(match (ts, source) {
                        (Seconds::Jsonata(_), _) => self.query_error(
                            fid,
                            format!(
                                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
                            ),
                            Some("Timestamp".into()),
                        ),
                        (_, Some(path)) => self.runtime(
                            fid,
                            format!(
                                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {path} == {text}"
                            ),
                        ),
                        _ => self.runtime(
                            fid,
                            format!(
                                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
                            ),
                        ),
                    });
                };
                if (at - now).num_seconds() > i32::MAX as i64 {
                    return Err(self.runtime(fid, "Wait state delay is too long.".into()));
                }
                at
            }
        };
        self.frame_mut(fid).phase = Phase::Waiting { effective };
        if deadline <= now {
            self.finish_wait(fid);
        } else {
            self.add_timer(deadline, fid, TimerKind::Wait);
        }
        Ok(())
    }

    fn finish_wait(&mut self, fid: FrameId) {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let phase = std::mem::replace(&mut self.frame_mut(fid).phase, Phase::Enter);
        let Phase::Waiting { effective } = phase else {
            return;
        };
        let input = self.frame(fid).input.clone();
        let result = match st.lang {
            QueryLanguage::JsonPath => self.finish_simple_jsonpath(fid, effective),
            QueryLanguage::Jsonata => (|| {
                let output = match &st.io.output {
                    Some(out) => self.jvalue(fid, out, Some(&input), None, None)?,
                    None => input.clone(),
                };
                let assigned = self.assign_jsonata(fid, Some(&input), None, None)?;
                self.exit_state(fid, output, assigned, st.next)
            })(),
        };
        if let Err(err) = result {
            self.handle_error(fid, err);
        }
        if self.alive(fid) && matches!(self.frame(fid).phase, Phase::Enter) {
            self.ready.push_back(fid);
        }
    }

    /// Wait and similar states in JSONPath mode: `Assign` on the effective input, then
    /// `OutputPath`.
    fn finish_simple_jsonpath(
        &mut self,
        fid: FrameId,
        effective: Payload,
    ) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let assigned = match &st.io.assign {
            Some(Assign::JsonPath(t)) => Some(self.assign_template(fid, t, &effective)?),
            _ => None,
        };
        let output = self.output_path(fid, effective)?;
        self.exit_state(fid, output, assigned, st.next)
    }

    fn run_task(&mut self, fid: FrameId, spec: &TaskSpec) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let (program, state) = {
            let f = self.frame(fid);
            (f.program, f.state)
        };
        let st = plan.machine.state(program, state);
        let input = self.frame(fid).input.clone();
        let parameters = match st.lang {
            QueryLanguage::JsonPath => {
                let effective = self.input_path(fid, &input)?;
                match &st.io.parameters {
                    Some(t) => Arc::new(self.template_with_token(fid, t, &effective, spec)?),
                    None => effective,
                }
            }
            QueryLanguage::Jsonata => match &st.io.arguments {
                Some(JValue::Literal(v)) => v.clone(),
                Some(args) => {
                    // `$states.context.Task.Token` is there for `.waitForTaskToken` resources.
                    let token = spec
                        .resource
                        .ends_with(".waitForTaskToken")
                        .then(|| self.task_token_string(self.next_token));
                    let mut scope = EvalScope::new(self, fid);
                    scope.states_input = Some(&input);
                    scope.task_token = token.as_deref();
                    self.eval_jvalue_in(fid, args, &scope)?
                }
                None => input.clone(),
            },
        };
        let timeout = self.seconds_value(fid, spec.timeout.as_ref(), &input, "TimeoutSeconds")?;
        let heartbeat =
            self.seconds_value(fid, spec.heartbeat.as_ref(), &input, "HeartbeatSeconds")?;
        let kind = classify(&spec.resource);
        let (events, resource_type, resource, lambda_invoke, wait_for_token) = match &kind {
            ResourceKind::Service {
                service,
                action,
                wait_for_token,
                lambda_invoke,
            } => (
                TaskEvents::Task,
                service.clone(),
                action.clone(),
                *lambda_invoke,
                *wait_for_token,
            ),
            ResourceKind::LambdaFunction { .. } => (
                TaskEvents::Lambda,
                "lambda".to_string(),
                spec.resource.clone(),
                false,
                false,
            ),
            ResourceKind::Activity => (
                TaskEvents::Activity,
                "activity".to_string(),
                spec.resource.clone(),
                false,
                false,
            ),
            ResourceKind::Other => (
                TaskEvents::Task,
                "task".to_string(),
                spec.resource.clone(),
                false,
                false,
            ),
        };
        let invoker = plan.invokers.get(&(program, state)).cloned();
        let activity = matches!(invoker, Some(Invoker::Activity));
        match events {
            TaskEvents::Task => {
                self.event(
                    fid,
                    EventType::TaskScheduled,
                    Details::TaskScheduled {
                        resource_type: resource_type.clone(),
                        resource: resource.clone(),
                        region: self.meta.region.clone(),
                        parameters: parameters.clone(),
                        timeout_seconds: timeout,
                        heartbeat_seconds: heartbeat,
                    },
                );
                self.event(
                    fid,
                    EventType::TaskStarted,
                    Details::TaskStarted {
                        resource_type: resource_type.clone(),
                        resource: resource.clone(),
                    },
                );
            }
            TaskEvents::Lambda => {
                self.event(
                    fid,
                    EventType::LambdaFunctionScheduled,
                    Details::LambdaFunctionScheduled {
                        resource: resource.clone(),
                        input: parameters.clone(),
                        timeout_seconds: timeout,
                    },
                );
                self.event(fid, EventType::LambdaFunctionStarted, Details::None);
            }
            TaskEvents::Activity => {
                self.event(
                    fid,
                    EventType::ActivityScheduled,
                    Details::ActivityScheduled {
                        resource: resource.clone(),
                        input: parameters.clone(),
                        timeout_seconds: timeout,
                        heartbeat_seconds: heartbeat,
                    },
                );
                // Activities that workers poll for start when one takes the task
                // (`activity_started`); one served by a handler starts at once.
                if !activity {
                    self.event(
                        fid,
                        EventType::ActivityStarted,
                        Details::ActivityStarted {
                            worker_name: "workflow".into(),
                        },
                    );
                }
            }
        }
        let token = self.next_token;
        self.next_token += 1;
        let callback_token = (wait_for_token || activity).then(|| self.task_token_string(token));
        let now = self.now();
        self.frame_mut(fid).phase = Phase::Task(Box::new(TaskWait {
            token,
            lambda_invoke,
            resource_type,
            resource,
            events,
            callback_token: callback_token.clone(),
            request: None,
            parameters: parameters.clone(),
            heartbeat_seconds: heartbeat,
            last_heartbeat: now,
            submitted: false,
        }));
        self.tasks.insert(token, fid);
        if let Some(cb) = &callback_token {
            self.new_tokens.push((cb.clone(), st.name.to_string()));
        }
        if let Some(t) = timeout {
            self.add_timer(
                now + chrono::Duration::seconds(t as i64),
                fid,
                TimerKind::TaskTimeout { token },
            );
        }
        if let Some(h) = heartbeat {
            self.add_timer(
                now + chrono::Duration::seconds(h as i64),
                fid,
                TimerKind::Heartbeat { token },
            );
        }
        let attempt = self.frame(fid).retry_count;
        match invoker {
            Some(Invoker::Activity) => {
                let token_string = callback_token.unwrap_or_default();
                self.new_activity_tasks
                    .push((spec.resource.clone(), token_string, parameters));
                Ok(())
            }
            Some(Invoker::Mock(responses)) => {
                let call = self.mock_calls.entry((program, state)).or_insert(0);
                let response = responses.get(*call).or_else(|| responses.last()).cloned();
                *call += 1;
                self.tasks.remove(&token);
                match response {
                    Some(MockResponse::Return(value)) => self.task_succeeded_raw(fid, value),
                    Some(MockResponse::Throw(failure)) => self.task_failed_raw(fid, failure),
                    None => self.task_failed_raw(
                        fid,
                        TaskFailure::new(
                            "States.TaskFailed",
                            format!("the mock for state '{}' has no responses", st.name),
                        ),
                    ),
                }
                Ok(())
            }
            Some(invoker) => {
                let handler = handler_for(&invoker, &parameters);
                let Some(handler) = handler else {
                    self.tasks.remove(&token);
                    let name = parameters
                        .get("FunctionName")
                        .map(|v| v.to_string())
                        .unwrap_or_default();
                    self.task_failed_raw(
                        fid,
                        TaskFailure::new(
                            "Lambda.ResourceNotFoundException",
                            format!("Function not found: {name} (no handler is registered for it)"),
                        ),
                    );
                    return Ok(());
                };
                let payload = if lambda_invoke {
                    parameters.get("Payload").cloned().unwrap_or(Value::Null)
                } else {
                    (*parameters).clone()
                };
                let request = TaskRequest {
                    resource: spec.resource.clone(),
                    state_name: st.name.to_string(),
                    payload,
                    token: callback_token,
                    execution_arn: self.meta.execution_arn.clone(),
                    attempt,
                };
                if let Phase::Task(wait) = &mut self.frame_mut(fid).phase {
                    wait.request = Some(request.clone());
                }
                self.commands.push(Command::Invoke {
                    token,
                    handler,
                    request,
                });
                Ok(())
            }
            None => {
                self.tasks.remove(&token);
                self.task_failed_raw(
                    fid,
                    TaskFailure::new(
                        "States.TaskFailed",
                        format!("no handler serves the resource '{}'", spec.resource),
                    ),
                );
                Ok(())
            }
        }
    }

    fn task_token_string(&self, token: u64) -> String {
        format!("{}#{token}", self.meta.execution_arn)
    }

    /// A `Parameters` template for a task, with `$$.Task.Token` when the resource waits for one.
    fn template_with_token(
        &self,
        fid: FrameId,
        template: &crate::expr::template::Template,
        effective: &Value,
        spec: &TaskSpec,
    ) -> Result<Value, StateError> {
        let token = spec
            .resource
            .ends_with(".waitForTaskToken")
            .then(|| self.task_token_string(self.next_token));
        let mut scope = EvalScope::new(self, fid);
        scope.task_token = token.as_deref();
        template
            .eval(effective, &scope)
            .map_err(|e| self.eval_error(fid, e))
    }

    fn seconds_value(
        &self,
        fid: FrameId,
        seconds: Option<&Seconds>,
        input: &Payload,
        field: &str,
    ) -> Result<Option<u64>, StateError> {
        let Some(seconds) = seconds else {
            return Ok(None);
        };
        let value = match seconds {
            Seconds::Literal(v) => v.clone(),
            Seconds::Path(path) => {
                let scope = EvalScope::new(self, fid);
                let effective = self.input_path(fid, input)?;
                path.select(&effective, &scope)
                    .map_err(|e| self.eval_error(fid, e))?
                    .map(|v| v.into_owned())
                    .ok_or_else(|| self.eval_error(fid, path.no_results_error()))?
            }
            Seconds::Jsonata(jv) => {
                Arc::unwrap_or_clone(self.jvalue(fid, jv, Some(input), None, None)?)
            }
        };
        match value.as_u64() {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(self.runtime(
                fid,
                format!("The {field} value {value} is not a positive integer"),
            )),
        }
    }

    fn task_succeeded(&mut self, fid: FrameId, value: Value) {
        let lambda_invoke = match &self.frame(fid).phase {
            Phase::Task(w) => w.lambda_invoke,
            _ => return,
        };
        let value = if lambda_invoke {
            let request_id = format!("{:08x}-0000-4000-8000-{:012x}", fid, self.next_token);
            lambda_invoke_result(value, &request_id)
        } else {
            value
        };
        self.task_succeeded_raw(fid, value);
    }

    fn task_failed(&mut self, fid: FrameId, failure: TaskFailure) {
        let lambda_invoke = match &self.frame(fid).phase {
            Phase::Task(w) => w.lambda_invoke,
            _ => return,
        };
        let failure = if lambda_invoke && !failure.error.starts_with("States.") {
            TaskFailure {
                cause: Some(lambda_error_cause(&failure)),
                error: failure.error,
            }
        } else {
            failure
        };
        self.task_failed_raw(fid, failure);
    }

    /// A task result, already in the resource's result shape.
    fn task_succeeded_raw(&mut self, fid: FrameId, value: Value) {
        let (events, resource_type, resource) = match &self.frame(fid).phase {
            Phase::Task(w) => (w.events, w.resource_type.clone(), w.resource.clone()),
            _ => return,
        };
        let output = Arc::new(value);
        match events {
            TaskEvents::Task => self.event(
                fid,
                EventType::TaskSucceeded,
                Details::TaskSucceeded {
                    resource_type,
                    resource,
                    output: output.clone(),
                },
            ),
            TaskEvents::Lambda => self.event(
                fid,
                EventType::LambdaFunctionSucceeded,
                Details::Output {
                    output: output.clone(),
                },
            ),
            TaskEvents::Activity => self.event(
                fid,
                EventType::ActivitySucceeded,
                Details::Output {
                    output: output.clone(),
                },
            ),
        };
        self.frame_mut(fid).epoch += 1;
        if json_size_exceeds(&output, PAYLOAD_LIMIT) {
            let name = self.current_state_name(fid);
            self.handle_error(fid, data_limit(&name));
            return;
        }
        if let Err(err) = self.complete_with_result(fid, output) {
            self.handle_error(fid, err);
        }
        if self.alive(fid) && matches!(self.frame(fid).phase, Phase::Enter) {
            self.ready.push_back(fid);
        }
    }

    fn task_failed_raw(&mut self, fid: FrameId, failure: TaskFailure) {
        let (events, resource_type, resource) = match &self.frame(fid).phase {
            Phase::Task(w) => (w.events, w.resource_type.clone(), w.resource.clone()),
            _ => return,
        };
        match events {
            TaskEvents::Task => self.event(
                fid,
                EventType::TaskFailed,
                Details::TaskError {
                    resource_type,
                    resource,
                    error: Some(failure.error.clone()),
                    cause: failure.cause.clone(),
                },
            ),
            TaskEvents::Lambda => self.event(
                fid,
                EventType::LambdaFunctionFailed,
                Details::Error {
                    error: Some(failure.error.clone()),
                    cause: failure.cause.clone(),
                },
            ),
            TaskEvents::Activity => self.event(
                fid,
                EventType::ActivityFailed,
                Details::Error {
                    error: Some(failure.error.clone()),
                    cause: failure.cause.clone(),
                },
            ),
        };
        self.frame_mut(fid).epoch += 1;
        self.handle_error(fid, StateError::plain(failure.error, failure.cause));
        if self.alive(fid) && matches!(self.frame(fid).phase, Phase::Enter) {
            self.ready.push_back(fid);
        }
    }

    /// A callback task's handler returned: the work is handed out and the task now waits for
    /// its token (AWS records `TaskSubmitted`).
    fn task_submitted(&mut self, fid: FrameId, value: Value) {
        let next_token = self.next_token;
        let (events, resource_type, resource, lambda_invoke) = match &mut self.frame_mut(fid).phase
        {
            Phase::Task(w) => {
                w.submitted = true;
                (
                    w.events,
                    w.resource_type.clone(),
                    w.resource.clone(),
                    w.lambda_invoke,
                )
            }
            _ => return,
        };
        if events != TaskEvents::Task {
            return;
        }
        let output = if lambda_invoke {
            lambda_invoke_result(
                value,
                &format!("{fid:08x}-0000-4000-8000-{next_token:012x}"),
            )
        } else {
            value
        };
        self.event(
            fid,
            EventType::TaskSubmitted,
            Details::TaskSubmitted {
                resource_type,
                resource,
                output: Arc::new(output),
            },
        );
    }

    fn task_timed_out(&mut self, fid: FrameId, token: u64, error: &str) {
        self.tasks.remove(&token);
        self.commands.push(Command::Cancel { token });
        if let Phase::Task(wait) = &self.frame(fid).phase
            && let Some(callback) = wait.callback_token.clone()
        {
            self.completed_tokens.push(callback);
        }
        let (events, resource_type, resource) = match &self.frame(fid).phase {
            Phase::Task(w) => (w.events, w.resource_type.clone(), w.resource.clone()),
            _ => return,
        };
        let event_type = match events {
            TaskEvents::Task => EventType::TaskTimedOut,
            TaskEvents::Lambda => EventType::LambdaFunctionTimedOut,
            TaskEvents::Activity => EventType::ActivityTimedOut,
        };
        let details = match events {
            TaskEvents::Task => Details::TaskError {
                resource_type,
                resource,
                error: Some(error.to_string()),
                cause: None,
            },
            _ => Details::Error {
                error: Some(error.to_string()),
                cause: None,
            },
        };
        self.event(fid, event_type, details);
        self.frame_mut(fid).epoch += 1;
        self.handle_error(fid, StateError::plain(error, None));
        if self.alive(fid) && matches!(self.frame(fid).phase, Phase::Enter) {
            self.ready.push_back(fid);
        }
    }

    fn run_parallel(&mut self, fid: FrameId, branches: &[ProgramId]) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let input = self.frame(fid).input.clone();
        let effective = match st.lang {
            QueryLanguage::JsonPath => {
                let effective = self.input_path(fid, &input)?;
                match &st.io.parameters {
                    Some(t) => Arc::new(self.template(fid, t, &effective)?),
                    None => effective,
                }
            }
            QueryLanguage::Jsonata => match &st.io.arguments {
                Some(args) => self.jvalue(fid, args, Some(&input), None, None)?,
                None => input.clone(),
            },
        };
        let started = self.event(fid, EventType::ParallelStateStarted, Details::None);
        let quiet = self.frame(fid).quiet;
        let mut children = Vec::with_capacity(branches.len());
        for (slot, program) in branches.iter().enumerate() {
            let child = self.spawn_child(
                *program,
                (fid, slot),
                effective.clone(),
                started,
                Phase::Enter,
                quiet,
            );
            children.push(Some(child));
            self.ready.push_back(child);
        }
        let n = children.len();
        self.frame_mut(fid).phase = Phase::Join(Box::new(Join {
            children,
            results: vec![None; n],
            remaining: n,
            map: None,
        }));
        if n == 0 {
            self.join_complete(fid);
        }
        Ok(())
    }

    fn run_map(&mut self, fid: FrameId, spec: &MapSpec) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let input = self.frame(fid).input.clone();
        let effective = match st.lang {
            QueryLanguage::JsonPath => self.input_path(fid, &input)?,
            QueryLanguage::Jsonata => input.clone(),
        };
        // The items.
        let items: Payload = match st.lang {
            QueryLanguage::JsonPath => match &spec.items_path {
                Some(path) => {
                    let scope = EvalScope::new(self, fid);
                    let found = path
                        .select(&effective, &scope)
                        .map_err(|e| self.eval_error(fid, e))?
                        .map(|v| v.into_owned());
                    match found {
                        Some(v) => Arc::new(v),
                        None => {
                            return Err(self.eval_error(fid, path.no_results_error()));
                        }
                    }
                }
                None => effective.clone(),
            },
            QueryLanguage::Jsonata => match &spec.items {
                Some(items) => {
                    let v = self.jvalue(fid, items, Some(&input), None, None)?;
                    if !v.is_array() {
                        let source = jvalue_source(items);
                        return Err(self.query_error(
                            fid,
                            format!(
                                "The JSONata expression '{source}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {}",
                                json_type(&v),
                                v
                            ),
                            Some("Items".into()),
                        ));
                    }
                    v
                }
                None => input.clone(),
            },
        };
        let Value::Array(item_values) = &*items else {
            return Err(match st.lang {
                QueryLanguage::Jsonata => self.query_error(
                    fid,
                    format!("Map state input must be an array but was: {}", items),
                    None,
                ),
                QueryLanguage::JsonPath => self.runtime(
                    fid,
                    format!(
                        "Items of the Map state input must be an array, but was {}: {}",
                        json_type(&items),
                        items
                    ),
                ),
            });
        };
        let max_concurrency = match &spec.max_concurrency {
            None => 0,
            Some(mc) => {
                self.map_number(fid, mc, &effective, &input, "MaxConcurrency", true)? as usize
            }
        };
        // Item inputs (ItemSelector / Parameters).
        let mut inputs = Vec::with_capacity(item_values.len());
        for (index, item) in item_values.iter().enumerate() {
            let value = if let Some(selector) = &spec.item_selector {
                let mut scope = EvalScope::new(self, fid);
                scope.map_item = Some((index, item));
                Arc::new(
                    selector
                        .eval(&effective, &scope)
                        .map_err(|e| self.eval_error(fid, e))?,
                )
            } else if let Some(selector) = &spec.item_selector_jsonata {
                let mut scope = EvalScope::new(self, fid);
                scope.map_item = Some((index, item));
                scope.states_input = Some(&input);
                self.eval_jvalue_in(fid, selector, &scope)?
            } else {
                Arc::new(item.clone())
            };
            inputs.push(value);
        }
        if let Some(batcher) = &spec.batcher {
            inputs = self.batch(fid, batcher, inputs, &effective, &input)?;
        }
        let n = inputs.len();
        self.event(
            fid,
            EventType::MapStateStarted,
            Details::MapStateStarted { length: n },
        );
        let tolerated_percentage = match &spec.tolerated_percentage {
            None => None,
            Some(p) => {
                let v = self.map_number(
                    fid,
                    p,
                    &effective,
                    &input,
                    "ToleratedFailurePercentage",
                    false,
                )?;
                if !(0.0..=100.0).contains(&v) {
                    return Err(self.runtime(
                        fid,
                        "ToleratedFailurePercentage must be between 0 and 100.".into(),
                    ));
                }
                Some(v)
            }
        };
        let tolerated_count = match &spec.tolerated_count {
            None => None,
            Some(c) => {
                let v =
                    self.map_number(fid, c, &effective, &input, "ToleratedFailureCount", true)?;
                if v < 0.0 {
                    return Err(
                        self.runtime(fid, "ToleratedFailureCount cannot be negative.".into())
                    );
                }
                Some(v as u64)
            }
        };
        if spec.distributed {
            let map_run_arn = format!(
                "{}/{}:{}",
                self.meta
                    .state_machine_arn
                    .replacen(":stateMachine:", ":mapRun:", 1),
                spec.label.as_deref().unwrap_or(&st.name),
                self.meta.name
            );
            self.event(
                fid,
                EventType::MapRunStarted,
                Details::MapRunStarted { map_run_arn },
            );
        }
        self.frame_mut(fid).phase = Phase::Join(Box::new(Join {
            children: vec![None; n],
            results: vec![None; n],
            remaining: n,
            map: Some(MapJoin {
                inputs,
                next: 0,
                running: 0,
                max_concurrency,
                failures: 0,
                tolerated_count,
                tolerated_percentage,
                distributed: spec.distributed,
            }),
        }));
        if n == 0 {
            self.join_complete(fid);
        } else {
            self.launch_iterations(fid);
        }
        Ok(())
    }

    /// Groups item inputs into batches (`ItemBatcher`).
    fn batch(
        &mut self,
        fid: FrameId,
        batcher: &super::compile::BatcherSpec,
        inputs: Vec<Payload>,
        effective: &Payload,
        input: &Payload,
    ) -> Result<Vec<Payload>, StateError> {
        let max_items = match &batcher.max_items {
            Some(m) => {
                Some(self.map_number(fid, m, effective, input, "MaxItemsPerBatch", true)? as usize)
            }
            None => None,
        };
        let max_bytes = match &batcher.max_bytes {
            Some(m) => {
                Some(
                    self.map_number(fid, m, effective, input, "MaxInputBytesPerBatch", true)?
                        as usize,
                )
            }
            None => None,
        };
        let max_items = max_items.filter(|n| *n > 0).unwrap_or(usize::MAX);
        let max_bytes = max_bytes.filter(|n| *n > 0).unwrap_or(PAYLOAD_LIMIT);
        let mut batches = Vec::new();
        let mut current: Vec<Value> = Vec::new();
        let mut current_bytes = 2;
        for item in inputs {
            let size = json_size(&item) + 1;
            if !current.is_empty()
                && (current.len() >= max_items || current_bytes + size > max_bytes)
            {
                batches.push(std::mem::take(&mut current));
                current_bytes = 2;
            }
            current_bytes += size;
            current.push(Arc::unwrap_or_clone(item));
        }
        if !current.is_empty() {
            batches.push(current);
        }
        Ok(batches
            .into_iter()
            .map(|items| {
                let mut obj = Map::new();
                if let Some(Value::Object(extra)) = &batcher.batch_input {
                    obj.insert("BatchInput".into(), Value::Object(extra.clone()));
                }
                obj.insert("Items".into(), Value::Array(items));
                Arc::new(Value::Object(obj))
            })
            .collect())
    }

    /// Reads a Map number field (`MaxConcurrency`, tolerated failures, batch limits).
    fn map_number(
        &self,
        fid: FrameId,
        field: &Seconds,
        effective: &Payload,
        input: &Payload,
        name: &str,
        integer: bool,
    ) -> Result<f64, StateError> {
        match field {
            Seconds::Literal(v) => Ok(v.as_f64().unwrap_or(0.0)),
            Seconds::Path(path) => {
                let scope = EvalScope::new(self, fid);
                let value = path
                    .select(effective, &scope)
                    .map_err(|e| self.eval_error(fid, e))?
                    .map(|v| v.into_owned());
                let kind = if integer { "integer" } else { "float" };
                let invalid = |v: &Value| {
                    let shown = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    self.runtime(
                        fid,
                        format!(
                            "The {name}Path field refers to value \"{shown}\" which is not a valid {kind}: {}",
                            path.source()
                        ),
                    )
                };
                let Some(value) = value else {
                    return Err(invalid(&Value::Null));
                };
                let parsed = match &value {
                    Value::Number(n) if integer => n.as_i64().map(|i| i as f64),
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) if integer => s.trim().parse::<i64>().ok().map(|i| i as f64),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                parsed.ok_or_else(|| invalid(&value))
            }
            Seconds::Jsonata(jv) => {
                let v = self.jvalue(fid, jv, Some(input), None, None)?;
                v.as_f64().ok_or_else(|| {
                    self.query_error(
                        fid,
                        format!(
                            "The JSONata expression '{}' specified for the field '{name}' returned an unexpected result type. Expected 'number', but was '{}' for value: {}",
                            jvalue_source(jv),
                            json_type(&v),
                            v
                        ),
                        Some(name.to_string()),
                    )
                })
            }
        }
    }

    /// A new frame running `program` for slot `slot` of a Parallel or Map state's frame.
    fn spawn_child(
        &mut self,
        program: ProgramId,
        parent: (FrameId, usize),
        input: Payload,
        last_event: u64,
        phase: Phase,
        quiet: bool,
    ) -> FrameId {
        let entered_time = self.now();
        let state = self.plan.machine.programs[program].start;
        self.alloc(Frame {
            program,
            parent: Some(parent),
            state,
            input,
            entered_event: 0,
            entered_time,
            last_event,
            phase,
            retry_counts: Vec::new(),
            retry_count: 0,
            vars: HashMap::new(),
            quiet,
            epoch: 0,
        })
    }

    /// Starts Map iterations up to the concurrency limit.
    fn launch_iterations(&mut self, fid: FrameId) {
        let plan = self.plan.clone();
        let (program, quiet, last_event) = {
            let f = self.frame(fid);
            let st = plan.machine.state(f.program, f.state);
            let Kind::Map(spec) = &st.kind else { return };
            (spec.processor, f.quiet, f.last_event)
        };
        loop {
            let (index, input, distributed) = {
                let Phase::Join(join) = &mut self.frame_mut(fid).phase else {
                    return;
                };
                let Some(map) = join.map.as_mut() else { return };
                if map.next >= map.inputs.len()
                    || (map.max_concurrency > 0 && map.running >= map.max_concurrency)
                {
                    return;
                }
                let index = map.next;
                map.next += 1;
                map.running += 1;
                (index, map.inputs[index].clone(), map.distributed)
            };
            let phase = if distributed {
                Phase::Enter
            } else {
                Phase::StartIteration { index }
            };
            let child = self.spawn_child(
                program,
                (fid, index),
                input,
                last_event,
                phase,
                quiet || distributed,
            );
            if let Phase::Join(join) = &mut self.frame_mut(fid).phase {
                join.children[index] = Some(child);
            }
            self.ready.push_back(child);
        }
    }

    /// A Parallel branch or Map iteration ended with `output`.
    fn child_succeeded(&mut self, child: FrameId, parent: FrameId, slot: usize, output: Payload) {
        self.release(child);
        let is_map = matches!(&self.frame(parent).phase, Phase::Join(j) if j.map.is_some());
        if is_map {
            let name = self.current_state_name(parent);
            let quiet_iteration = matches!(&self.frame(parent).phase, Phase::Join(j) if j.map.as_ref().is_some_and(|m| m.distributed));
            if !quiet_iteration {
                self.event(
                    parent,
                    EventType::MapIterationSucceeded,
                    Details::MapIteration { name, index: slot },
                );
            }
        }
        let done = {
            let Phase::Join(join) = &mut self.frame_mut(parent).phase else {
                return;
            };
            join.children[slot] = None;
            join.results[slot] = Some(output);
            join.remaining -= 1;
            if let Some(map) = join.map.as_mut() {
                map.running -= 1;
            }
            join.remaining == 0
        };
        if done {
            self.join_complete(parent);
        } else if is_map {
            self.launch_iterations(parent);
        }
    }

    /// A Parallel branch or Map iteration failed.
    fn child_failed(&mut self, child: FrameId, parent: FrameId, slot: usize, err: StateError) {
        // The failed child stays attached (in `Phase::Failed`) for a redrive.
        if !matches!(self.frame(child).phase, Phase::Failed { .. }) {
            self.mark_failed(child);
        }
        if err.terminal {
            self.fail_execution(&err);
            return;
        }
        let map_info = match &self.frame(parent).phase {
            Phase::Join(j) => j.map.as_ref().map(|m| {
                (
                    m.distributed,
                    m.tolerated_count,
                    m.tolerated_percentage,
                    m.failures + 1,
                    m.inputs.len(),
                )
            }),
            _ => return,
        };
        if let Some((distributed, tolerated_count, tolerated_percentage, failures, total)) =
            map_info
        {
            let name = self.current_state_name(parent);
            if !distributed {
                self.event(
                    parent,
                    EventType::MapIterationFailed,
                    Details::MapIteration { name, index: slot },
                );
            }
            let has_tolerance = tolerated_count.is_some() || tolerated_percentage.is_some();
            let within = has_tolerance
                && tolerated_count.is_none_or(|c| failures as u64 <= c)
                && tolerated_percentage
                    .is_none_or(|p| (failures as f64) * 100.0 / (total as f64) <= p);
            if within {
                self.release_tree(child);
                let done = {
                    let Phase::Join(join) = &mut self.frame_mut(parent).phase else {
                        return;
                    };
                    join.children[slot] = None;
                    join.results[slot] = Some(Arc::new(error_output(&err)));
                    join.remaining -= 1;
                    if let Some(map) = join.map.as_mut() {
                        map.running -= 1;
                        map.failures += 1;
                    }
                    join.remaining == 0
                };
                if done {
                    self.join_complete(parent);
                } else {
                    self.launch_iterations(parent);
                }
                return;
            }
            self.cancel_children(parent);
            let err = if has_tolerance {
                StateError::plain(
                    "States.ExceedToleratedFailureThreshold",
                    Some("The specified tolerated failure threshold was exceeded".into()),
                )
            } else {
                err
            };
            if distributed {
                self.event(
                    parent,
                    EventType::MapRunFailed,
                    Details::Error {
                        error: Some(err.error.clone()),
                        cause: err.cause.clone(),
                    },
                );
            }
            self.handle_error(parent, err);
        } else {
            self.cancel_children(parent);
            self.handle_error(parent, err);
        }
        if self.alive(parent) && matches!(self.frame(parent).phase, Phase::Enter) {
            self.ready.push_back(parent);
        }
    }

    fn join_complete(&mut self, fid: FrameId) {
        let phase = std::mem::replace(&mut self.frame_mut(fid).phase, Phase::Enter);
        let Phase::Join(join) = phase else { return };
        let results: Vec<Value> = join
            .results
            .into_iter()
            .map(|r| r.map(Arc::unwrap_or_clone).unwrap_or(Value::Null))
            .collect();
        match &join.map {
            Some(map) => {
                if map.distributed {
                    self.event(fid, EventType::MapRunSucceeded, Details::None);
                }
                self.event(fid, EventType::MapStateSucceeded, Details::None);
            }
            // AWS's event model and LocalStack's interpreter both record it; the corpus's
            // Parallel recordings lost it when upstream normalised them (see
            // tests/conformance/known-failures.txt).
            None => {
                self.event(fid, EventType::ParallelStateSucceeded, Details::None);
            }
        }
        let result = Arc::new(Value::Array(results));
        if let Err(err) = self.complete_with_result(fid, result) {
            self.handle_error(fid, err);
        }
        if self.alive(fid) && matches!(self.frame(fid).phase, Phase::Enter) {
            self.ready.push_back(fid);
        }
    }

    fn cancel_children(&mut self, fid: FrameId) {
        let children: Vec<(usize, FrameId)> = match &self.frame(fid).phase {
            Phase::Join(j) => j
                .children
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.map(|c| (i, c)))
                .collect(),
            _ => Vec::new(),
        };
        let map_iterations = matches!(&self.frame(fid).phase, Phase::Join(j) if j.map.as_ref().is_some_and(|m| !m.distributed));
        for (slot, child) in children {
            if matches!(
                self.frame(child).phase,
                Phase::Failed { .. } | Phase::Aborted { .. }
            ) {
                continue;
            }
            self.cancel_frame(child);
            if map_iterations {
                let name = self.current_state_name(fid);
                self.event(
                    fid,
                    EventType::MapIterationAborted,
                    Details::MapIteration { name, index: slot },
                );
            }
        }
    }

    /// Stops a frame and everything under it. The frames stay, marked aborted, so that a
    /// redrive can run them again.
    fn cancel_frame(&mut self, fid: FrameId) {
        if !self.alive(fid)
            || matches!(
                self.frame(fid).phase,
                Phase::Failed { .. } | Phase::Aborted { .. }
            )
        {
            return;
        }
        self.cancel_children(fid);
        let task = match &self.frame(fid).phase {
            Phase::Task(wait) => Some((wait.token, wait.callback_token.clone())),
            _ => None,
        };
        if let Some((token, callback)) = task {
            if self.tasks.remove(&token).is_some() {
                self.commands.push(Command::Cancel { token });
            }
            if let Some(callback) = callback {
                self.completed_tokens.push(callback);
            }
        }
        let frame = self.frame_mut(fid);
        frame.epoch += 1;
        let join = match std::mem::replace(&mut frame.phase, Phase::Finished) {
            Phase::Join(join) => Some(join),
            _ => None,
        };
        frame.phase = Phase::Aborted { join };
    }

    /// Marks a frame failed in its current state, keeping a Parallel's or Map's children.
    fn mark_failed(&mut self, fid: FrameId) {
        let frame = self.frame_mut(fid);
        frame.epoch += 1;
        let join = match std::mem::replace(&mut frame.phase, Phase::Finished) {
            Phase::Join(join) | Phase::Failed { join: Some(join) } => Some(join),
            _ => None,
        };
        frame.phase = Phase::Failed { join };
    }

    /// Drops a Parallel's or Map's children (after a retry or a catch they are of no use).
    fn discard_children(&mut self, fid: FrameId) {
        let children: Vec<FrameId> = match &self.frame(fid).phase {
            Phase::Join(j) => j.children.iter().flatten().copied().collect(),
            _ => Vec::new(),
        };
        for child in children {
            self.cancel_frame(child);
            self.release_tree(child);
        }
        if let Phase::Join(j) = &mut self.frame_mut(fid).phase {
            j.children.iter_mut().for_each(|c| *c = None);
        }
    }

    /// Releases a frame and every frame under it.
    fn release_tree(&mut self, fid: FrameId) {
        if !self.alive(fid) {
            return;
        }
        let children: Vec<FrameId> = match &self.frame(fid).phase {
            Phase::Join(j) | Phase::Failed { join: Some(j) } | Phase::Aborted { join: Some(j) } => {
                j.children.iter().flatten().copied().collect()
            }
            _ => Vec::new(),
        };
        for child in children {
            self.release_tree(child);
        }
        self.release(fid);
    }

    // ----- results, errors, transitions -----

    /// The shared tail of Task, Parallel and Map: `ResultSelector`, `Assign`, `ResultPath`,
    /// `OutputPath` (or JSONata `Output` and `Assign`), then the transition.
    fn complete_with_result(&mut self, fid: FrameId, result: Payload) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let input = self.frame(fid).input.clone();
        match st.lang {
            QueryLanguage::JsonPath => {
                let result = match &st.io.result_selector {
                    Some(t) => Arc::new(self.template(fid, t, &result)?),
                    None => result,
                };
                self.finish_jsonpath(fid, &input, result, None)
            }
            QueryLanguage::Jsonata => {
                let output = match &st.io.output {
                    Some(out) => self.jvalue(fid, out, Some(&input), Some(&result), None)?,
                    None => result.clone(),
                };
                let assigned = self.assign_jsonata(fid, Some(&input), Some(&result), None)?;
                self.exit_state(fid, output, assigned, st.next)
            }
        }
    }

    /// JSONPath tail: `Assign` (on the result), `ResultPath`, `OutputPath`, transition.
    fn finish_jsonpath(
        &mut self,
        fid: FrameId,
        input: &Payload,
        result: Payload,
        next_override: Option<StateIdx>,
    ) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let assigned = match &st.io.assign {
            Some(Assign::JsonPath(t)) => Some(self.assign_template(fid, t, &result)?),
            _ => None,
        };
        let combined = self.result_path(fid, st.io.result_path.as_ref(), input, result)?;
        let output = self.output_path(fid, combined)?;
        self.exit_state(fid, output, assigned, next_override.or(st.next))
    }

    fn exit_state(
        &mut self,
        fid: FrameId,
        output: Payload,
        assigned: Option<Vec<(String, Payload)>>,
        next: Option<StateIdx>,
    ) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        if json_size_exceeds(&output, PAYLOAD_LIMIT) {
            return Err(data_limit(&st.name));
        }
        if let Some(vars) = &assigned {
            self.variables_bytes = self.check_assignment(fid, vars)?;
            let frame = self.frame_mut(fid);
            for (name, value) in vars {
                frame.vars.insert(name.clone(), value.clone());
            }
        }
        self.event(
            fid,
            st.exited,
            Details::StateExited {
                name: st.name.clone(),
                output: output.clone(),
                assigned_variables: assigned,
            },
        );
        let frame = self.frame_mut(fid);
        frame.epoch += 1;
        match next {
            Some(next) => {
                frame.state = next;
                frame.input = output;
                frame.phase = Phase::Enter;
            }
            None => {
                frame.phase = Phase::Finished;
                self.frame_succeeded(fid, output);
            }
        }
        Ok(())
    }

    /// AWS's rules for an `Assign`: an inner scope (a Parallel branch, a Map iteration) may
    /// read the variables of the scopes around it but not assign them, and sizes are limited
    /// (256 KiB per variable and per `Assign`, 10 MiB for all the variables of an execution).
    ///
    /// Returns the execution's variable bytes once the assignment is made.
    fn check_assignment(
        &self,
        fid: FrameId,
        vars: &[(String, Payload)],
    ) -> Result<usize, StateError> {
        let frame = self.frame(fid);
        let isolated = self.plan.machine.programs[frame.program].isolated;
        if let (Some((parent, _)), false) = (frame.parent, isolated) {
            for (name, _) in vars {
                if self.variable(parent, name).is_some() {
                    return Err(self.runtime(
                        fid,
                        format!(
                            "The variable '${name}' is assigned in an enclosing scope; a Parallel branch or a Map iteration can read it but not assign it."
                        ),
                    ));
                }
            }
        }
        let mut total = 0;
        for (name, value) in vars {
            let size = json_size(value);
            if size > VARIABLE_LIMIT {
                return Err(self.runtime(
                    fid,
                    format!(
                        "The value assigned to the variable '${name}' is {size} bytes; a variable holds at most {VARIABLE_LIMIT} bytes."
                    ),
                ));
            }
            total += size;
        }
        if total > VARIABLE_LIMIT {
            return Err(self.runtime(
                fid,
                format!(
                    "The Assign field assigns {total} bytes; one Assign assigns at most {VARIABLE_LIMIT} bytes."
                ),
            ));
        }
        let replaced: usize = vars
            .iter()
            .filter_map(|(name, _)| frame.vars.get(name))
            .map(|v| json_size(v))
            .sum();
        let all = (self.variables_bytes + total).saturating_sub(replaced);
        if all > EXECUTION_VARIABLES_LIMIT {
            return Err(self.runtime(
                fid,
                format!(
                    "The variables of the execution would hold {all} bytes; an execution holds at most {EXECUTION_VARIABLES_LIMIT} bytes of variables."
                ),
            ));
        }
        Ok(all)
    }

    fn frame_succeeded(&mut self, fid: FrameId, output: Payload) {
        match self.frame(fid).parent {
            None => {
                let last = self.frame(fid).last_event;
                self.push_event(
                    last,
                    false,
                    EventType::ExecutionSucceeded,
                    Details::ExecutionSucceeded {
                        output: output.clone(),
                    },
                );
                self.status = Status::Succeeded(output);
                self.end();
            }
            Some((parent, slot)) => self.child_succeeded(fid, parent, slot, output),
        }
    }

    /// Retry, catch, or fail the frame.
    fn handle_error(&mut self, fid: FrameId, err: StateError) {
        if !self.alive(fid) || self.is_done() {
            return;
        }
        if let Some(location) = &err.evaluation {
            let state = self.current_state_name(fid);
            self.event(
                fid,
                EventType::EvaluationFailed,
                Details::EvaluationFailed {
                    state,
                    error: err.error.clone(),
                    cause: err.cause.clone().unwrap_or_default(),
                    location: if location.is_empty() {
                        None
                    } else {
                        Some(location.clone())
                    },
                },
            );
        }
        if err.terminal {
            self.fail_execution(&err);
            return;
        }
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        // Retry.
        if let Some(i) = st
            .retriers
            .iter()
            .position(|r| r.errors.matches(&err.error))
        {
            let r = &st.retriers[i];
            let count = self.frame(fid).retry_counts.get(i).copied().unwrap_or(0);
            if count < r.max_attempts {
                let mut delay = r.interval_seconds * r.backoff_rate.powi(count as i32);
                if let Some(max) = r.max_delay_seconds {
                    delay = delay.min(max);
                }
                if r.jitter {
                    delay *= jitter_fraction(self.next_token.wrapping_add(count as u64));
                }
                self.discard_children(fid);
                let f = self.frame_mut(fid);
                f.retry_counts[i] += 1;
                f.retry_count += 1;
                f.phase = Phase::RetryPending;
                f.epoch += 1;
                let at = self.now() + chrono::Duration::milliseconds((delay * 1000.0) as i64);
                self.add_timer(at, fid, TimerKind::Retry);
                return;
            }
        }
        match st.kind {
            Kind::Parallel { .. } => {
                self.event(fid, EventType::ParallelStateFailed, Details::None);
            }
            Kind::Map(_) => {
                self.event(fid, EventType::MapStateFailed, Details::None);
            }
            _ => {}
        }
        // Catch.
        if let Some(catcher) = st.catchers.iter().find(|c| c.errors.matches(&err.error)) {
            self.discard_children(fid);
            if let Err(e) = self.catch(fid, catcher, &err) {
                self.frame_mut(fid).phase = Phase::Failed { join: None };
                self.frame_failed(fid, e, false);
            }
            return;
        }
        self.mark_failed(fid);
        self.frame_failed(fid, err, false);
    }

    fn catch(
        &mut self,
        fid: FrameId,
        catcher: &Catcher,
        err: &StateError,
    ) -> Result<(), StateError> {
        let plan = self.plan.clone();
        let st = self.state_of(&plan, fid);
        let input = self.frame(fid).input.clone();
        let error_output: Payload = Arc::new(error_output(err));
        match st.lang {
            QueryLanguage::JsonPath => {
                let assigned = match &catcher.assign {
                    Some(Assign::JsonPath(t)) => {
                        Some(self.assign_template(fid, t, &error_output)?)
                    }
                    _ => None,
                };
                let output =
                    self.result_path(fid, Some(&catcher.result_path), &input, error_output)?;
                self.exit_state(fid, output, assigned, Some(catcher.next))
            }
            QueryLanguage::Jsonata => {
                let output = match &catcher.output {
                    Some(out) => self.jvalue(fid, out, Some(&input), None, Some(&error_output))?,
                    None => error_output.clone(),
                };
                let assigned = match &catcher.assign {
                    Some(Assign::Jsonata(fields)) => Some(self.jsonata_fields(
                        fid,
                        fields,
                        Some(&input),
                        None,
                        Some(&error_output),
                    )?),
                    _ => None,
                };
                self.exit_state(fid, output, assigned, Some(catcher.next))
            }
        }
    }

    /// The frame ended in failure.
    fn frame_failed(&mut self, fid: FrameId, err: StateError, _fail_state: bool) {
        match self.frame(fid).parent {
            None => self.fail_execution(&err),
            Some((parent, slot)) => self.child_failed(fid, parent, slot, err),
        }
    }

    fn fail_execution(&mut self, err: &StateError) {
        self.finish(
            EventType::ExecutionFailed,
            Status::Failed {
                error: if err.error.is_empty() {
                    None
                } else {
                    Some(err.error.clone())
                },
                cause: err.cause.clone(),
            },
        );
    }

    fn finish(&mut self, event_type: EventType, status: Status) {
        if self.is_done() {
            return;
        }
        let (error, cause) = match &status {
            Status::Failed { error, cause }
            | Status::TimedOut { error, cause }
            | Status::Aborted { error, cause } => (error.clone(), cause.clone()),
            _ => (None, None),
        };
        let last = self.next_event_id - 1;
        self.push_event(last, false, event_type, Details::Error { error, cause });
        self.status = status;
        self.end();
    }

    /// Releases everything once the execution has a final status.
    fn end(&mut self) {
        for token in self.tasks.keys().copied().collect::<Vec<_>>() {
            self.commands.push(Command::Cancel { token });
        }
        self.tasks.clear();
        self.timers.clear();
        self.ready.clear();
    }

    // ----- expression helpers -----

    fn state_of<'p>(&self, plan: &'p Plan, fid: FrameId) -> &'p super::compile::CState {
        let f = self.frame(fid);
        plan.machine.state(f.program, f.state)
    }

    fn runtime(&self, fid: FrameId, message: String) -> StateError {
        StateError {
            error: "States.Runtime".into(),
            cause: Some(self.prefixed(fid, &message)),
            terminal: true,
            evaluation: None,
        }
    }

    fn query_error(&self, fid: FrameId, message: String, location: Option<String>) -> StateError {
        StateError {
            error: ErrorName::QueryEvaluationError.as_str().into(),
            cause: Some(self.prefixed(fid, &message)),
            terminal: false,
            evaluation: Some(location.unwrap_or_default()),
        }
    }

    fn prefixed(&self, fid: FrameId, message: &str) -> String {
        let f = self.frame(fid);
        let name = &self.plan.machine.state(f.program, f.state).name;
        format!(
            "An error occurred while executing the state '{name}' (entered at the event id #{}). {message}",
            f.entered_event
        )
    }

    fn eval_error(&self, fid: FrameId, e: EvalError) -> StateError {
        match e.name {
            ErrorName::Runtime => self.runtime(fid, e.message),
            ErrorName::QueryEvaluationError => self.query_error(fid, e.message, None),
            // AWS gives this one without the state prefix.
            ErrorName::ReferencePathConflict => StateError {
                error: e.name.as_str().into(),
                cause: Some(e.message),
                terminal: false,
                evaluation: None,
            },
            ErrorName::IntrinsicFailure | ErrorName::ResultPathMatchFailure => StateError {
                error: e.name.as_str().into(),
                cause: Some(self.prefixed(fid, &e.message)),
                terminal: false,
                evaluation: None,
            },
        }
    }

    fn input_path(&self, fid: FrameId, input: &Payload) -> Result<Payload, StateError> {
        let plan = &self.plan;
        let st = self.state_of(plan, fid);
        match &st.io.input_path {
            None => Ok(input.clone()),
            Some(PathSel::Null) => Ok(Arc::new(Value::Object(Map::new()))),
            Some(PathSel::Path(p)) if p.is_identity() => Ok(input.clone()),
            Some(PathSel::Path(p)) => {
                let scope = EvalScope::new(self, fid);
                match p
                    .select(input, &scope)
                    .map_err(|e| self.eval_error(fid, e))?
                {
                    Some(v) => Ok(Arc::new(v.into_owned())),
                    None => Err(self.eval_error(fid, p.invalid_path_error(input, &scope))),
                }
            }
        }
    }

    fn output_path(&self, fid: FrameId, output: Payload) -> Result<Payload, StateError> {
        let plan = &self.plan;
        let st = self.state_of(plan, fid);
        match &st.io.output_path {
            None => Ok(output),
            Some(PathSel::Null) => Ok(Arc::new(Value::Object(Map::new()))),
            Some(PathSel::Path(p)) if p.is_identity() => Ok(output),
            Some(PathSel::Path(p)) => {
                let scope = EvalScope::new(self, fid);
                match p
                    .select(&output, &scope)
                    .map_err(|e| self.eval_error(fid, e))?
                {
                    Some(v) => Ok(Arc::new(v.into_owned())),
                    None => Err(self.eval_error(fid, p.invalid_path_error(&output, &scope))),
                }
            }
        }
    }

    fn result_path(
        &self,
        fid: FrameId,
        result_path: Option<&ResultPath>,
        input: &Payload,
        result: Payload,
    ) -> Result<Payload, StateError> {
        match result_path {
            None | Some(ResultPath::Replace) => Ok(result),
            Some(ResultPath::Discard) => Ok(input.clone()),
            Some(ResultPath::Path(p)) => {
                let target = (**input).clone();
                p.apply(target, Arc::unwrap_or_clone(result))
                    .map(Arc::new)
                    .map_err(|e| self.eval_error(fid, e))
            }
        }
    }

    fn template(
        &self,
        fid: FrameId,
        template: &crate::expr::template::Template,
        input: &Value,
    ) -> Result<Value, StateError> {
        let scope = EvalScope::new(self, fid);
        template
            .eval(input, &scope)
            .map_err(|e| self.eval_error(fid, e))
    }

    fn assign_template(
        &self,
        fid: FrameId,
        template: &crate::expr::template::Template,
        input: &Value,
    ) -> Result<Vec<(String, Payload)>, StateError> {
        let value = self.template(fid, template, input)?;
        Ok(match value {
            Value::Object(map) => map.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
            _ => Vec::new(),
        })
    }

    fn assign_jsonata(
        &self,
        fid: FrameId,
        input: Option<&Payload>,
        result: Option<&Payload>,
        error_output: Option<&Payload>,
    ) -> Result<Option<Vec<(String, Payload)>>, StateError> {
        let plan = &self.plan;
        let st = self.state_of(plan, fid);
        match &st.io.assign {
            Some(Assign::Jsonata(fields)) => self
                .jsonata_fields(fid, fields, input, result, error_output)
                .map(Some),
            _ => Ok(None),
        }
    }

    fn jsonata_fields(
        &self,
        fid: FrameId,
        fields: &[(String, JValue)],
        input: Option<&Payload>,
        result: Option<&Payload>,
        error_output: Option<&Payload>,
    ) -> Result<Vec<(String, Payload)>, StateError> {
        let mut scope = EvalScope::new(self, fid);
        scope.states_input = input.map(|v| &**v);
        scope.states_result = result.map(|v| &**v);
        scope.states_error_output = error_output.map(|v| &**v);
        fields
            .iter()
            .map(|(name, jv)| Ok((name.clone(), self.eval_jvalue_in(fid, jv, &scope)?)))
            .collect()
    }

    fn jvalue(
        &self,
        fid: FrameId,
        jv: &JValue,
        input: Option<&Payload>,
        result: Option<&Payload>,
        error_output: Option<&Payload>,
    ) -> Result<Payload, StateError> {
        if let JValue::Literal(v) = jv {
            return Ok(v.clone());
        }
        let mut scope = EvalScope::new(self, fid);
        scope.states_input = input.map(|v| &**v);
        scope.states_result = result.map(|v| &**v);
        scope.states_error_output = error_output.map(|v| &**v);
        self.eval_jvalue_in(fid, jv, &scope)
    }

    fn eval_jvalue_in(
        &self,
        fid: FrameId,
        jv: &JValue,
        scope: &EvalScope<'_>,
    ) -> Result<Payload, StateError> {
        Ok(match jv {
            JValue::Literal(v) => v.clone(),
            JValue::Expr { expr, field } => {
                let input = scope.states_input.unwrap_or(&Value::Null);
                match expr.evaluate(input, scope) {
                    Ok(Some(v)) => Arc::new(v),
                    Ok(None) => {
                        return Err(self.query_error(
                            fid,
                            format!(
                                "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
                                expr.source()
                            ),
                            Some(field.clone()),
                        ));
                    }
                    Err(e) if e.code == jsonata::UNSUPPORTED_RESULT => {
                        return Err(self.query_error(
                            fid,
                            format!(
                                "The JSONata expression '{}' specified for the field '{field}' returned an unsupported result type.",
                                expr.source()
                            ),
                            Some(field.clone()),
                        ));
                    }
                    Err(e) => {
                        return Err(self.query_error(
                            fid,
                            format!(
                                "The JSONata expression '{}' specified for the field '{field}' threw an error during evaluation. {}",
                                expr.source(),
                                e.message
                            ),
                            Some(field.clone()),
                        ));
                    }
                }
            }
            JValue::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (k, v) in fields {
                    out.insert(
                        k.clone(),
                        Arc::unwrap_or_clone(self.eval_jvalue_in(fid, v, scope)?),
                    );
                }
                Arc::new(Value::Object(out))
            }
            JValue::Array(items) => Arc::new(Value::Array(
                items
                    .iter()
                    .map(|v| self.eval_jvalue_in(fid, v, scope).map(Arc::unwrap_or_clone))
                    .collect::<Result<_, _>>()?,
            )),
        })
    }
}

/// The handler that serves a task, given its binding and its effective parameters.
fn handler_for(invoker: &Invoker, parameters: &Value) -> Option<Arc<dyn TaskHandler>> {
    match invoker {
        Invoker::Handler(h) => Some(h.clone()),
        Invoker::DynamicLambda(registry) => parameters
            .get("FunctionName")
            .and_then(Value::as_str)
            .and_then(|name| registry.lookup_function(name)),
        Invoker::Mock(_) | Invoker::Activity => None,
    }
}

fn error_is_absent(spec: &super::compile::FailSpec) -> bool {
    spec.error.is_none()
}

/// `{"Error": ..., "Cause": ...}`, as catchers and tolerated Map failures see an error.
fn error_output(err: &StateError) -> Value {
    let mut m = Map::new();
    m.insert("Error".into(), Value::String(err.error.clone()));
    if let Some(cause) = &err.cause {
        m.insert("Cause".into(), Value::String(cause.clone()));
    }
    Value::Object(m)
}

fn data_limit(state: &str) -> StateError {
    StateError {
        error: "States.DataLimitExceeded".into(),
        cause: Some(format!(
            "The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."
        )),
        terminal: true,
        evaluation: None,
    }
}

/// The source text of a JSONata value, for messages.
fn jvalue_source(jv: &JValue) -> String {
    match jv {
        JValue::Expr { expr, .. } => expr.source().to_string(),
        JValue::Literal(v) => v.to_string(),
        _ => String::new(),
    }
}

/// JSONata's names for JSON types, as AWS's messages use them.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A deterministic fraction in (0, 1] for full jitter.
fn jitter_fraction(seed: u64) -> f64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    ((x >> 11) as f64 + 1.0) / ((1u64 << 53) as f64)
}

/// Parses an ISO-8601 extended offset date-time as AWS accepts it
/// (`2016-03-14T01:59:00Z`, `2016-03-14T01:59:00.123+01:00`).
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let bytes = s.as_bytes();
    if bytes.len() < 20 || bytes.get(10) != Some(&b'T') {
        return None;
    }
    let last = *bytes.last()?;
    if last != b'Z' && !s[19..].contains(['+', '-']) {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The compact JSON size of a value, in bytes.
pub(crate) fn json_size(v: &Value) -> usize {
    let mut total = 0;
    size_into(v, &mut total, usize::MAX);
    total
}

/// Whether the compact JSON text of `v` is longer than `limit` bytes; stops counting early.
pub(crate) fn json_size_exceeds(v: &Value, limit: usize) -> bool {
    let mut total = 0;
    size_into(v, &mut total, limit);
    total > limit
}

fn size_into(v: &Value, total: &mut usize, limit: usize) {
    if *total > limit {
        return;
    }
    match v {
        Value::Null => *total += 4,
        Value::Bool(b) => *total += if *b { 4 } else { 5 },
        Value::Number(n) => {
            *total += if let Some(i) = n.as_i64() {
                let mut digits = if i < 0 { 2 } else { 1 };
                let mut x = i.unsigned_abs();
                while x >= 10 {
                    x /= 10;
                    digits += 1;
                }
                digits
            } else {
                n.to_string().len()
            }
        }
        Value::String(s) => *total += string_size(s),
        Value::Array(items) => {
            *total += 2 + items.len().saturating_sub(1);
            for item in items {
                size_into(item, total, limit);
            }
        }
        Value::Object(map) => {
            *total += 2 + map.len().saturating_sub(1) + map.len();
            for (k, item) in map {
                *total += string_size(k);
                size_into(item, total, limit);
            }
        }
    }
}

fn string_size(s: &str) -> usize {
    let mut n = 2 + s.len();
    for b in s.bytes() {
        match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => n += 1,
            0..=0x1f => n += 5,
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::exec::clock::VirtualClock;
    use crate::exec::compile::compile;

    /// Runs an execution to its end on a virtual clock, optionally sending it through a JSON
    /// snapshot after every step; returns the outcome and the history event types.
    fn drive(plan: Arc<Plan>, input: Value, through_snapshots: bool) -> (Status, Vec<String>) {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Arc::new(VirtualClock::new(start));
        let meta = ExecutionMeta {
            execution_arn: "arn:aws:states:us-east-1:1:execution:M:e".into(),
            name: "e".into(),
            state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:M".into(),
            state_machine_name: "M".into(),
            role_arn: "r".into(),
            region: "us-east-1".into(),
            start_time: start,
            input: Arc::new(input),
            express: false,
            redrive_count: 0,
        };
        let mut exec = Execution::new(plan.clone(), clock.clone(), meta, true);
        let mut history = Vec::new();
        let mut steps = 0;
        loop {
            exec.run();
            assert!(exec.take_commands().is_empty(), "only mocked tasks here");
            history.extend(exec.drain_history());
            if through_snapshots {
                let text = serde_json::to_string(&exec.snapshot()).unwrap();
                let snapshot: Snapshot = serde_json::from_str(&text).unwrap();
                exec = Execution::restore(plan.clone(), clock.clone(), snapshot);
            }
            if exec.is_done() {
                break;
            }
            let deadline = exec
                .next_deadline()
                .expect("a running execution waits on a timer");
            clock.advance_to(deadline);
            exec.fire_due_timers(clock.now());
            steps += 1;
            assert!(steps < 1000, "the execution does not end");
        }
        history.extend(exec.drain_history());
        let types = history
            .iter()
            .map(|e| e.event_type.as_str().to_string())
            .collect();
        (exec.status.clone(), types)
    }

    #[test]
    fn an_execution_survives_a_snapshot_at_every_step() {
        let definition = crate::asl::parse_value(&json!({
            "StartAt": "Setup",
            "States": {
                "Setup": {"Type": "Pass", "Assign": {"n": 2}, "Next": "Charge"},
                "Charge": {
                    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
                    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 5, "MaxAttempts": 2}],
                    "ResultSelector": {"receipt.$": "$.Payload"},
                    "Next": "Pause"
                },
                "Pause": {"Type": "Wait", "Seconds": 3600, "Next": "Fan"},
                "Fan": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 10, "End": true}}},
                        {"StartAt": "B", "States": {"B": {
                            "Type": "Map", "ItemsPath": "$$.Execution.Input.items", "MaxConcurrency": 1,
                            "ItemProcessor": {"StartAt": "W", "States": {
                                "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                                "P": {"Type": "Pass", "Parameters": {"x.$": "$", "n.$": "$n"}, "End": true}}},
                            "End": true}}}
                    ],
                    "End": true
                }
            }
        }))
        .unwrap();
        let machine = Arc::new(compile(definition).unwrap());
        let mut invokers = HashMap::new();
        invokers.insert(
            (0, 1),
            Invoker::Mock(
                vec![
                    MockResponse::Throw(TaskFailure::new("Busy", "later")),
                    MockResponse::Return(json!({"Payload": "R-1"})),
                ]
                .into(),
            ),
        );
        let plan = Arc::new(Plan { machine, invokers });
        let input = json!({"items": [1, 2, 3]});
        let straight = drive(plan.clone(), input.clone(), false);
        let restored = drive(plan, input, true);
        assert!(
            matches!(&straight.0, Status::Succeeded(v) if v[1] == json!([{"x": 1, "n": 2}, {"x": 2, "n": 2}, {"x": 3, "n": 2}])),
            "{:?}",
            straight.0
        );
        assert_eq!(straight, restored);
    }

    #[test]
    fn json_size_matches_serde_json() {
        for v in [
            json!(null),
            json!({"a": [1, -20, 3.5, "x\"y\n\u{1}"], "b": {}, "c": []}),
            json!("héllo"),
            json!([true, false, {"k": null}]),
        ] {
            assert_eq!(json_size(&v), v.to_string().len(), "{v}");
        }
    }

    #[test]
    fn timestamps_need_t_and_an_offset() {
        assert!(parse_timestamp("2016-03-14T01:59:00Z").is_some());
        assert!(parse_timestamp("2016-03-14T01:59:00.5+01:00").is_some());
        for bad in [
            "2016-12-05 21:29:29Z",
            "2016-12-05T21:29:29",
            "2016-13-05T21:29:29Z",
            "05-12-2016T21:29:29Z",
            "2026-11-23T18:33:02.000000",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn jitter_stays_in_range() {
        for seed in 0..1000 {
            let f = jitter_fraction(seed);
            assert!(f > 0.0 && f <= 1.0);
        }
    }
}
