//! History events with AWS Step Functions' names and detail shapes.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// A JSON payload shared between the execution state and its history without copying.
pub type Payload = Arc<Value>;

macro_rules! event_types {
    ($($name:ident),* $(,)?) => {
        /// The `type` of a history event, named exactly as AWS names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum EventType {
            $($name,)*
        }

        impl EventType {
            /// The AWS name, e.g. `"TaskStateEntered"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$name => stringify!($name),)*
                }
            }

            /// Parses an AWS event type name.
            pub fn from_name(name: &str) -> Option<EventType> {
                match name {
                    $(stringify!($name) => Some(EventType::$name),)*
                    _ => None,
                }
            }
        }
    };
}

event_types!(
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionTimedOut,
    ExecutionAborted,
    ExecutionRedriven,
    PassStateEntered,
    PassStateExited,
    TaskStateEntered,
    TaskStateExited,
    TaskStateAborted,
    ChoiceStateEntered,
    ChoiceStateExited,
    WaitStateEntered,
    WaitStateExited,
    WaitStateAborted,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
    ParallelStateEntered,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    ParallelStateExited,
    MapStateEntered,
    MapStateStarted,
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapStateExited,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
    MapIterationAborted,
    MapRunStarted,
    MapRunSucceeded,
    MapRunFailed,
    MapRunAborted,
    TaskScheduled,
    TaskStarted,
    TaskStartFailed,
    TaskSubmitted,
    TaskSubmitFailed,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    LambdaFunctionScheduled,
    LambdaFunctionScheduleFailed,
    LambdaFunctionStarted,
    LambdaFunctionStartFailed,
    LambdaFunctionSucceeded,
    LambdaFunctionFailed,
    LambdaFunctionTimedOut,
    ActivityScheduled,
    ActivityScheduleFailed,
    ActivityStarted,
    ActivitySucceeded,
    ActivityFailed,
    ActivityTimedOut,
    EvaluationFailed,
);

impl EventType {
    /// The `<Type>StateEntered` event of a state type.
    pub fn state_entered(state_type: &str) -> EventType {
        match state_type {
            "Pass" => EventType::PassStateEntered,
            "Task" => EventType::TaskStateEntered,
            "Choice" => EventType::ChoiceStateEntered,
            "Wait" => EventType::WaitStateEntered,
            "Succeed" => EventType::SucceedStateEntered,
            "Fail" => EventType::FailStateEntered,
            "Parallel" => EventType::ParallelStateEntered,
            _ => EventType::MapStateEntered,
        }
    }

    /// The `<Type>StateExited` event of a state type (Fail has none; it never exits).
    pub fn state_exited(state_type: &str) -> EventType {
        match state_type {
            "Pass" => EventType::PassStateExited,
            "Task" => EventType::TaskStateExited,
            "Choice" => EventType::ChoiceStateExited,
            "Wait" => EventType::WaitStateExited,
            "Succeed" => EventType::SucceedStateExited,
            "Parallel" => EventType::ParallelStateExited,
            _ => EventType::MapStateExited,
        }
    }
}

/// The details of an event. Payloads are kept as JSON values and rendered to the JSON strings
/// AWS uses only when the history is read.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Details {
    None,
    ExecutionStarted {
        input: Payload,
        role_arn: String,
        state_machine_arn: String,
    },
    ExecutionSucceeded {
        output: Payload,
    },
    /// `ExecutionFailed`, `ExecutionTimedOut`, `ExecutionAborted`, `*Failed`, `*TimedOut`
    /// events that carry only an error and a cause.
    Error {
        error: Option<String>,
        cause: Option<String>,
    },
    StateEntered {
        name: Arc<str>,
        input: Payload,
    },
    StateExited {
        name: Arc<str>,
        output: Payload,
        assigned_variables: Option<Vec<(String, Payload)>>,
    },
    TaskScheduled {
        resource_type: String,
        resource: String,
        region: String,
        parameters: Payload,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
    },
    TaskStarted {
        resource_type: String,
        resource: String,
    },
    TaskSubmitted {
        resource_type: String,
        resource: String,
        output: Payload,
    },
    TaskSucceeded {
        resource_type: String,
        resource: String,
        output: Payload,
    },
    /// `TaskFailed`, `TaskTimedOut`, `TaskStartFailed`, `TaskSubmitFailed`.
    TaskError {
        resource_type: String,
        resource: String,
        error: Option<String>,
        cause: Option<String>,
    },
    LambdaFunctionScheduled {
        resource: String,
        input: Payload,
        timeout_seconds: Option<u64>,
    },
    ActivityScheduled {
        resource: String,
        input: Payload,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
    },
    ActivityStarted {
        worker_name: String,
    },
    /// `LambdaFunctionSucceeded`, `ActivitySucceeded`.
    Output {
        output: Payload,
    },
    MapStateStarted {
        length: usize,
    },
    MapIteration {
        name: Arc<str>,
        index: usize,
    },
    MapRunStarted {
        map_run_arn: String,
    },
    /// `ExecutionRedriven`.
    Redriven {
        redrive_count: u32,
    },
    EvaluationFailed {
        state: Arc<str>,
        error: String,
        cause: String,
        location: Option<String>,
    },
}

/// One event of an execution's history.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: DateTime<Utc>,
    pub event_type: EventType,
    pub details: Details,
}

/// The JSON text AWS puts in a detail field for a payload.
fn text(value: &Value) -> Value {
    Value::String(value.to_string())
}

fn truncated() -> Value {
    json!({"truncated": false})
}

impl HistoryEvent {
    /// The event as AWS's `GetExecutionHistory` returns it.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert(
            "timestamp".into(),
            Value::String(crate::exec::clock::format_timestamp(self.timestamp)),
        );
        out.insert(
            "type".into(),
            Value::String(self.event_type.as_str().into()),
        );
        out.insert("id".into(), Value::from(self.id));
        out.insert(
            "previousEventId".into(),
            Value::from(self.previous_event_id),
        );
        if let Some((key, details)) = self.details_json() {
            out.insert(key.into(), details);
        }
        Value::Object(out)
    }

    fn details_json(&self) -> Option<(&'static str, Value)> {
        use EventType as T;
        let key = match self.event_type {
            T::ExecutionStarted => "executionStartedEventDetails",
            T::ExecutionSucceeded => "executionSucceededEventDetails",
            T::ExecutionFailed => "executionFailedEventDetails",
            T::ExecutionTimedOut => "executionTimedOutEventDetails",
            T::ExecutionAborted => "executionAbortedEventDetails",
            T::ExecutionRedriven => "executionRedrivenEventDetails",
            T::TaskScheduled => "taskScheduledEventDetails",
            T::TaskStarted => "taskStartedEventDetails",
            T::TaskStartFailed => "taskStartFailedEventDetails",
            T::TaskSubmitted => "taskSubmittedEventDetails",
            T::TaskSubmitFailed => "taskSubmitFailedEventDetails",
            T::TaskSucceeded => "taskSucceededEventDetails",
            T::TaskFailed => "taskFailedEventDetails",
            T::TaskTimedOut => "taskTimedOutEventDetails",
            T::LambdaFunctionScheduled => "lambdaFunctionScheduledEventDetails",
            T::LambdaFunctionScheduleFailed => "lambdaFunctionScheduleFailedEventDetails",
            T::LambdaFunctionStartFailed => "lambdaFunctionStartFailedEventDetails",
            T::LambdaFunctionSucceeded => "lambdaFunctionSucceededEventDetails",
            T::LambdaFunctionFailed => "lambdaFunctionFailedEventDetails",
            T::LambdaFunctionTimedOut => "lambdaFunctionTimedOutEventDetails",
            T::ActivityScheduled => "activityScheduledEventDetails",
            T::ActivityScheduleFailed => "activityScheduleFailedEventDetails",
            T::ActivityStarted => "activityStartedEventDetails",
            T::ActivitySucceeded => "activitySucceededEventDetails",
            T::ActivityFailed => "activityFailedEventDetails",
            T::ActivityTimedOut => "activityTimedOutEventDetails",
            T::MapStateStarted => "mapStateStartedEventDetails",
            T::MapIterationStarted => "mapIterationStartedEventDetails",
            T::MapIterationSucceeded => "mapIterationSucceededEventDetails",
            T::MapIterationFailed => "mapIterationFailedEventDetails",
            T::MapIterationAborted => "mapIterationAbortedEventDetails",
            T::MapRunStarted => "mapRunStartedEventDetails",
            T::MapRunFailed => "mapRunFailedEventDetails",
            T::EvaluationFailed => "evaluationFailedEventDetails",
            _ => match self.details {
                Details::StateEntered { .. } => "stateEnteredEventDetails",
                Details::StateExited { .. } => "stateExitedEventDetails",
                _ => return None,
            },
        };
        let value = match &self.details {
            Details::None => return None,
            Details::ExecutionStarted {
                input,
                role_arn,
                state_machine_arn: _,
            } => json!({
                "input": text(input),
                "inputDetails": truncated(),
                "roleArn": role_arn,
            }),
            Details::ExecutionSucceeded { output } | Details::Output { output } => json!({
                "output": text(output),
                "outputDetails": truncated(),
            }),
            Details::Error { error, cause } => {
                let mut m = Map::new();
                if let Some(error) = error {
                    m.insert("error".into(), Value::String(error.clone()));
                }
                if let Some(cause) = cause {
                    m.insert("cause".into(), Value::String(cause.clone()));
                }
                Value::Object(m)
            }
            Details::StateEntered { name, input } => json!({
                "name": &**name,
                "input": text(input),
                "inputDetails": truncated(),
            }),
            Details::StateExited {
                name,
                output,
                assigned_variables,
            } => {
                let mut m = Map::new();
                m.insert("name".into(), Value::String(name.to_string()));
                m.insert("output".into(), text(output));
                m.insert("outputDetails".into(), truncated());
                if let Some(vars) = assigned_variables {
                    let vars: Map<String, Value> =
                        vars.iter().map(|(k, v)| (k.clone(), text(v))).collect();
                    m.insert("assignedVariables".into(), Value::Object(vars));
                    m.insert("assignedVariablesDetails".into(), truncated());
                }
                Value::Object(m)
            }
            Details::TaskScheduled {
                resource_type,
                resource,
                region,
                parameters,
                timeout_seconds,
                heartbeat_seconds,
            } => {
                let mut m = Map::new();
                m.insert("resourceType".into(), Value::String(resource_type.clone()));
                m.insert("resource".into(), Value::String(resource.clone()));
                m.insert("region".into(), Value::String(region.clone()));
                m.insert("parameters".into(), text(parameters));
                if let Some(t) = timeout_seconds {
                    m.insert("timeoutInSeconds".into(), Value::from(*t));
                }
                if let Some(h) = heartbeat_seconds {
                    m.insert("heartbeatInSeconds".into(), Value::from(*h));
                }
                Value::Object(m)
            }
            Details::TaskStarted {
                resource_type,
                resource,
            } => json!({"resourceType": resource_type, "resource": resource}),
            Details::TaskSubmitted {
                resource_type,
                resource,
                output,
            }
            | Details::TaskSucceeded {
                resource_type,
                resource,
                output,
            } => json!({
                "resourceType": resource_type,
                "resource": resource,
                "output": text(output),
                "outputDetails": truncated(),
            }),
            Details::TaskError {
                resource_type,
                resource,
                error,
                cause,
            } => {
                let mut m = Map::new();
                m.insert("resourceType".into(), Value::String(resource_type.clone()));
                m.insert("resource".into(), Value::String(resource.clone()));
                if let Some(error) = error {
                    m.insert("error".into(), Value::String(error.clone()));
                }
                if let Some(cause) = cause {
                    m.insert("cause".into(), Value::String(cause.clone()));
                }
                Value::Object(m)
            }
            Details::LambdaFunctionScheduled {
                resource,
                input,
                timeout_seconds,
            } => {
                let mut m = Map::new();
                m.insert("resource".into(), Value::String(resource.clone()));
                m.insert("input".into(), text(input));
                m.insert("inputDetails".into(), truncated());
                if let Some(t) = timeout_seconds {
                    m.insert("timeoutInSeconds".into(), Value::from(*t));
                }
                Value::Object(m)
            }
            Details::ActivityScheduled {
                resource,
                input,
                timeout_seconds,
                heartbeat_seconds,
            } => {
                let mut m = Map::new();
                m.insert("resource".into(), Value::String(resource.clone()));
                m.insert("input".into(), text(input));
                m.insert("inputDetails".into(), truncated());
                if let Some(t) = timeout_seconds {
                    m.insert("timeoutInSeconds".into(), Value::from(*t));
                }
                if let Some(h) = heartbeat_seconds {
                    m.insert("heartbeatInSeconds".into(), Value::from(*h));
                }
                Value::Object(m)
            }
            Details::ActivityStarted { worker_name } => json!({"workerName": worker_name}),
            Details::MapStateStarted { length } => json!({"length": length}),
            Details::MapIteration { name, index } => json!({"name": &**name, "index": index}),
            Details::MapRunStarted { map_run_arn } => json!({"mapRunArn": map_run_arn}),
            Details::Redriven { redrive_count } => json!({"redriveCount": redrive_count}),
            Details::EvaluationFailed {
                state,
                error,
                cause,
                location,
            } => {
                let mut m = Map::new();
                m.insert("error".into(), Value::String(error.clone()));
                m.insert("cause".into(), Value::String(cause.clone()));
                if let Some(location) = location {
                    m.insert("location".into(), Value::String(location.clone()));
                }
                m.insert("state".into(), Value::String(state.to_string()));
                Value::Object(m)
            }
        };
        Some((key, value))
    }
}
