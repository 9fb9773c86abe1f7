//! The driver: one tokio task per execution that advances the interpreter and performs what it
//! asks for. With a store, every step is committed before any of its effects leave the
//! process: task handlers are invoked, and history is published, only once the transition that
//! scheduled them is durable.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;
use tokio::sync::mpsc;

use super::clock::Clock;
use super::run::{Command, Execution, Status};
use super::{Answer, Msg, Shared, TaskFailure, lock};
use crate::store::{
    EventRecord, ExecutionEnd, ExecutionStatus, InboxMessage, Message, NewActivityTask,
    NewTaskToken, Store, Transition,
};

/// What a durable execution needs besides the interpreter.
pub(crate) struct Durable {
    pub store: Arc<dyn Store>,
    /// Inbox messages applied since the last commit.
    consumed: Vec<u64>,
    /// Every message ever applied by this driver, so that one delivered twice by the poller
    /// before its commit is applied once.
    seen: HashSet<u64>,
    /// Set when the step being committed redrives the execution.
    pub redrive: Option<chrono::DateTime<Utc>>,
    /// The execution's end is in the store.
    end_committed: bool,
    /// Woken when a commit has put activity tasks in the store (see
    /// `Engine::activity_scheduled`).
    pub activities: Option<Arc<tokio::sync::Notify>>,
}

impl Durable {
    pub fn new(store: Arc<dyn Store>) -> Durable {
        Durable {
            store,
            consumed: Vec::new(),
            seen: HashSet::new(),
            redrive: None,
            end_committed: false,
            activities: None,
        }
    }
}

/// Advances one execution and performs its commands until it ends.
pub(crate) async fn drive(
    mut exec: Execution,
    shared: Arc<Shared>,
    mut rx: mpsc::UnboundedReceiver<Msg>,
    tx: mpsc::UnboundedSender<Msg>,
    clock: Arc<dyn Clock>,
    mut durable: Option<Durable>,
) {
    let mut running: HashMap<u64, tokio::task::AbortHandle> = HashMap::new();
    loop {
        exec.run();
        let commands = exec.take_commands();
        if let Some(durable) = durable.as_mut()
            && let Err(error) = commit(&mut exec, durable).await
        {
            // The step is not durable, so none of its effects may happen. The execution stays
            // RUNNING in the store at its last commit and is recovered from there.
            let mut outcome = lock(&shared.outcome);
            outcome.status = Status::Failed {
                error: Some("Workflow.StoreError".into()),
                cause: Some(format!(
                    "the execution could not be persisted and stopped here; it resumes from its last committed step when the store is opened again: {error}"
                )),
            };
            outcome.stop_date = Some(Utc::now());
            drop(outcome);
            break;
        }
        for command in commands {
            perform(command, &mut running, &tx);
        }
        publish(&mut exec, &shared);
        if exec.is_done() {
            break;
        }
        // Messages that already arrived happen before any jump of a virtual clock.
        if let Ok(msg) = rx.try_recv() {
            handle_msg(&mut exec, &mut running, durable.as_mut(), msg);
            continue;
        }
        // A run stopped after one transition so that it could be committed: go on.
        if exec.has_ready_frames() {
            continue;
        }
        let deadline = exec.next_deadline();
        if let Some(deadline) = deadline
            && !exec.has_tasks_in_flight()
            && clock.advance_to(deadline)
        {
            exec.fire_due_timers(clock.now());
            continue;
        }
        let msg = match deadline {
            Some(deadline) => {
                let wait = (deadline - clock.now()).to_std().unwrap_or_default();
                tokio::select! {
                    msg = rx.recv() => msg,
                    _ = tokio::time::sleep(wait) => {
                        clock.advance_to(deadline);
                        exec.fire_due_timers(clock.now());
                        continue;
                    }
                }
            }
            None => rx.recv().await,
        };
        let Some(msg) = msg else { break };
        handle_msg(&mut exec, &mut running, durable.as_mut(), msg);
    }
    for (_, work) in running {
        work.abort();
    }
    publish(&mut exec, &shared);
    let _ = shared.done.send(true);
}

/// Starts or cancels a task invocation.
fn perform(
    command: Command,
    running: &mut HashMap<u64, tokio::task::AbortHandle>,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    match command {
        Command::Invoke {
            token,
            handler,
            request,
        } => {
            let work = tokio::spawn(handler.invoke(request));
            running.insert(token, work.abort_handle());
            let tx = tx.clone();
            tokio::spawn(async move {
                let outcome = match work.await {
                    Ok(outcome) => outcome,
                    Err(e) if e.is_panic() => Err(TaskFailure::new(
                        "States.TaskFailed",
                        format!(
                            "the task handler panicked: {}",
                            panic_message(e.into_panic())
                        ),
                    )),
                    Err(_) => return,
                };
                let _ = tx.send(Msg::TaskDone { token, outcome });
            });
        }
        Command::Cancel { token } => {
            if let Some(work) = running.remove(&token) {
                work.abort();
            }
        }
    }
}

/// Commits the step just taken: its events, the new snapshot, tokens, activity tasks, the
/// inbox messages it applied and, at the end, the final status. Waits until it is durable.
pub(crate) async fn commit(exec: &mut Execution, durable: &mut Durable) -> Result<(), String> {
    let tokens_waiting = exec.take_new_tokens();
    let tokens_completed = exec.take_completed_tokens();
    let activity_tasks = exec.take_activity_tasks();
    let events = exec.pending_history();
    let ending = exec.is_done() && !durable.end_committed;
    if !ending
        && events.is_empty()
        && tokens_waiting.is_empty()
        && tokens_completed.is_empty()
        && activity_tasks.is_empty()
        && durable.consumed.is_empty()
    {
        return Ok(());
    }
    let arn = exec.meta.execution_arn.clone();
    let mut transition = Transition::new(&arn);
    transition.events = events
        .iter()
        .map(EventRecord::from_event)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    transition.snapshot = Some(serde_json::to_vec(&exec.snapshot()).map_err(|e| e.to_string())?);
    transition.end = end_of(exec);
    transition.wake_at = exec.next_deadline();
    let now = Utc::now();
    transition.tokens_waiting = tokens_waiting
        .into_iter()
        .map(|(token, state_name)| NewTaskToken { token, state_name })
        .collect();
    transition.tokens_completed = tokens_completed;
    transition.activity_tasks = activity_tasks
        .into_iter()
        .map(|(activity_arn, task_token, input)| NewActivityTask {
            activity_arn,
            task_token,
            input: input.to_string(),
            created: now,
        })
        .collect();
    transition.consumed_messages = std::mem::take(&mut durable.consumed);
    transition.redrive = durable.redrive.take();
    let store = durable.store.clone();
    let ends = transition.end.is_some();
    let scheduled = !transition.activity_tasks.is_empty();
    let (sent, done) = tokio::sync::oneshot::channel();
    store.commit_then(
        transition,
        Box::new(move |result| {
            let _ = sent.send(result);
        }),
    );
    done.await
        .map_err(|_| "the store stopped before the commit ended".to_string())?
        .map_err(|e| e.to_string())?;
    durable.end_committed |= ends;
    if scheduled && let Some(activities) = &durable.activities {
        activities.notify_waiters();
    }
    Ok(())
}

/// Runs blocking store work: in place on a multi-threaded runtime (the scheduler moves other
/// tasks off this thread meanwhile, without the hand-off to the blocking pool), on the blocking
/// pool otherwise.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    if tokio::runtime::Handle::current().runtime_flavor()
        == tokio::runtime::RuntimeFlavor::MultiThread
    {
        Ok(tokio::task::block_in_place(work))
    } else {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The store's record of how an execution ended, if it has.
pub(crate) fn end_of(exec: &Execution) -> Option<ExecutionEnd> {
    let stop = exec.last_event_time().unwrap_or_else(Utc::now);
    match &exec.status {
        Status::Running => None,
        Status::Succeeded(output) => Some(ExecutionEnd::succeeded(output.to_string(), stop)),
        Status::Failed { error, cause } => Some(ExecutionEnd::failed(
            ExecutionStatus::Failed,
            error.clone(),
            cause.clone(),
            stop,
        )),
        Status::TimedOut { error, cause } => Some(ExecutionEnd::failed(
            ExecutionStatus::TimedOut,
            error.clone(),
            cause.clone(),
            stop,
        )),
        Status::Aborted { error, cause } => Some(ExecutionEnd::failed(
            ExecutionStatus::Aborted,
            error.clone(),
            cause.clone(),
            stop,
        )),
    }
}

fn handle_msg(
    exec: &mut Execution,
    running: &mut HashMap<u64, tokio::task::AbortHandle>,
    durable: Option<&mut Durable>,
    msg: Msg,
) {
    match msg {
        Msg::TaskDone { token, outcome } => {
            running.remove(&token);
            exec.task_finished(token, outcome);
        }
        Msg::Callback {
            token,
            answer,
            reply,
        } => {
            let found = match answer {
                Answer::Done(outcome) => exec.callback(&token, outcome),
                Answer::Heartbeat => exec.heartbeat(&token),
            };
            let _ = reply.send(found);
        }
        Msg::Stop { error, cause } => exec.abort(error, cause),
        Msg::Inbox(messages) => {
            let Some(durable) = durable else { return };
            for message in messages {
                if durable.seen.insert(message.id) {
                    durable.consumed.push(message.id);
                    apply_message(exec, message);
                }
            }
        }
    }
}

/// Applies a message another process posted to the execution's inbox.
fn apply_message(exec: &mut Execution, message: InboxMessage) {
    match message.message {
        Message::TaskSuccess { token, output } => {
            let value = serde_json::from_str(&output).unwrap_or(Value::String(output));
            exec.callback(&token, Ok(value));
        }
        Message::TaskFailure {
            token,
            error,
            cause,
        } => {
            exec.callback(
                &token,
                Err(TaskFailure {
                    error: error.unwrap_or_default(),
                    cause,
                }),
            );
        }
        Message::TaskHeartbeat { token } => {
            exec.heartbeat(&token);
        }
        Message::ActivityStarted { token, worker } => {
            exec.activity_started(&token, worker);
        }
        Message::Stop { error, cause } => exec.abort(error, cause),
        // A redrive reaches a closed execution, which no driver hosts; the engine handles it.
        Message::Redrive => {}
    }
}

/// Copies new history events and the status where handles can read them.
fn publish(exec: &mut Execution, shared: &Shared) {
    let new = exec.drain_history();
    if !new.is_empty() {
        lock(&shared.history).extend(new);
    }
    let mut outcome = lock(&shared.outcome);
    outcome.transitions = exec.transitions();
    if exec.is_done() && outcome.status == Status::Running {
        outcome.status = exec.status.clone();
        outcome.stop_date = Some(exec.last_event_time().unwrap_or_else(Utc::now));
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}
