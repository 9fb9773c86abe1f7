//! A built-in adapter for child executions: Task states whose resource is
//! `arn:aws:states:::states:startExecution.sync:2` start a state machine loaded into the same
//! engine, wait for it, and return what AWS returns (`Output` parsed as JSON, `Status`,
//! `ExecutionArn`, ...). A child that does not succeed fails the task with `States.TaskFailed`
//! and the child's description as the cause, as on AWS.
//!
//! `StateMachineArn` names the child by the state machine's name, either as a definition
//! substitution (`${Name}`) or as an ARN ending in `:stateMachine:Name`.

use std::sync::{Arc, Weak};

use serde_json::{Value, json};

use super::{Engine, Inner, LoadedMachine, StartOptions, Status, TaskFailure, TaskFuture};
use super::{TaskHandler, TaskRequest, format_timestamp};

/// The resource of a synchronous child execution with a JSON output.
pub const START_EXECUTION_SYNC2: &str = "arn:aws:states:::states:startExecution.sync:2";

impl Engine {
    /// Makes `machine` startable as a child execution by Task states with the resource
    /// [`START_EXECUTION_SYNC2`] whose `StateMachineArn` names it.
    pub fn register_state_machine(&self, machine: LoadedMachine) {
        let first = {
            let mut children = self
                .inner
                .children
                .write()
                .unwrap_or_else(|e| e.into_inner());
            let first = children.is_empty();
            children.insert(machine.name().to_string(), machine);
            first
        };
        if first {
            self.register_resource(
                START_EXECUTION_SYNC2,
                ChildAdapter {
                    inner: Arc::downgrade(&self.inner),
                },
            );
        }
    }
}

/// The name of the state machine that a `StateMachineArn` argument names.
fn machine_name(arn: &str) -> &str {
    if let Some(name) = arn.strip_prefix("${").and_then(|n| n.strip_suffix('}')) {
        return name;
    }
    match arn.find(":stateMachine:") {
        Some(pos) => {
            let rest = &arn[pos + ":stateMachine:".len()..];
            rest.split(':').next().unwrap_or(rest)
        }
        None => arn,
    }
}

struct ChildAdapter {
    // Weak: the adapter lives in the engine's registry, and must not keep the engine alive.
    inner: Weak<Inner>,
}

impl TaskHandler for ChildAdapter {
    fn invoke(&self, request: TaskRequest) -> TaskFuture {
        let inner = self.inner.upgrade();
        Box::pin(async move {
            let engine = Engine {
                inner: inner.ok_or_else(|| {
                    TaskFailure::new("States.Runtime", "the engine has been dropped")
                })?,
            };
            let arn = request
                .payload
                .get("StateMachineArn")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let name = machine_name(&arn);
            let machine = engine
                .inner
                .children
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(name)
                .cloned()
                .ok_or_else(|| {
                    TaskFailure::new(
                        "StateMachineDoesNotExist",
                        format!("no state machine named '{name}' is registered with the engine"),
                    )
                })?;
            let input = request.payload.get("Input").cloned().unwrap_or(json!({}));
            let handle = engine
                .start_async(&machine, input.clone(), StartOptions::default())
                .await
                .map_err(|err| TaskFailure::new("States.TaskFailed", err.to_string()))?;
            let outcome = handle.result().await;
            let mut description = json!({
                "ExecutionArn": outcome.execution_arn,
                "Input": input,
                "InputDetails": {"Included": true},
                "Name": outcome.execution_arn.rsplit(':').next().unwrap_or_default(),
                "StartDate": format_timestamp(outcome.start_date),
                "StateMachineArn": machine.arn(),
                "Status": outcome.status.as_str(),
                "StopDate": outcome.stop_date.map(format_timestamp),
            });
            match &outcome.status {
                Status::Succeeded(output) => {
                    description["Output"] = Value::clone(output);
                    description["OutputDetails"] = json!({"Included": true});
                    Ok(description)
                }
                _ => {
                    if let Some(error) = outcome.error() {
                        description["Error"] = json!(error);
                    }
                    if let Some(cause) = outcome.cause() {
                        description["Cause"] = json!(cause);
                    }
                    Err(TaskFailure::new(
                        "States.TaskFailed",
                        description.to_string(),
                    ))
                }
            }
        })
    }
}
