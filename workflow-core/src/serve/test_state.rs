//! `TestState`: runs one state on its own, as AWS's TestState does, and reports its output, the
//! next state, and at DEBUG/TRACE what its data flow did.
//!
//! The state runs on the real engine (in memory, on a virtual clock, so a Wait does not wait):
//! it is put in a small machine of its own, after a Pass state that assigns the given variables,
//! with a Succeed state standing for each state it may go to. Retriers are taken out, because
//! TestState does not retry; a matching retrier makes the answer `RETRIABLE` instead.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::api::{Api, ApiError};
use crate::exec::{EngineConfig, LoadOptions, Mocks, StartOptions, Status, VirtualClock};
use crate::expr::jsonpath::{Path, ReferencePath};
use crate::expr::template::Template;
use crate::expr::{Scope, SimpleScope};

/// The name the tested state runs under when the request does not name it.
const DEFAULT_NAME: &str = "TestState";
/// The Pass state that assigns the request's variables first.
const SETUP: &str = "__TestStateSetup";

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::validation(message)
}

fn parse_json(text: Option<&Value>, field: &str) -> Result<Option<Value>, ApiError> {
    match text {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| validation(format!("the field '{field}' is not valid JSON: {e}"))),
        Some(_) => Err(ApiError::new(
            "SerializationException",
            format!("the field '{field}' must be a string of JSON"),
        )),
    }
}

/// The states a state may go to next.
fn targets(state: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(name) = v.and_then(Value::as_str)
            && !out.iter().any(|n| n == name)
        {
            out.push(name.to_string());
        }
    };
    push(state.get("Next"));
    push(state.get("Default"));
    for list in ["Choices", "Catch"] {
        if let Some(items) = state.get(list).and_then(Value::as_array) {
            for item in items {
                push(item.get("Next"));
            }
        }
    }
    out
}

/// Whether an error name is matched by a retrier's or catcher's `ErrorEquals`.
fn matches(error_equals: &Value, error: &str) -> bool {
    error_equals.as_array().is_some_and(|names| {
        names.iter().filter_map(Value::as_str).any(|n| {
            n == error
                || (n == "States.ALL" && error != "States.Runtime")
                || (n == "States.TaskFailed"
                    && error != "States.Timeout"
                    && error != "States.Runtime")
        })
    })
}

pub(crate) async fn test_state(api: &Api, request: &Map<String, Value>) -> Result<Value, ApiError> {
    let text = match request.get("definition") {
        Some(Value::String(s)) => s,
        _ => {
            return Err(validation(
                "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null",
            ));
        }
    };
    let level = match request.get("inspectionLevel").and_then(Value::as_str) {
        None => "INFO",
        Some(l @ ("INFO" | "DEBUG" | "TRACE")) => l,
        Some(other) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"
            )));
        }
    };
    if request.get("context").is_some_and(|c| !c.is_null()) {
        return Err(validation(
            "this server's TestState builds the context object itself; the `context` field is not supported",
        ));
    }
    let input = parse_json(request.get("input"), "input")?.unwrap_or_else(|| json!({}));
    let variables = parse_json(request.get("variables"), "variables")?;
    let variables = match variables {
        None => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(validation("the field 'variables' must be a JSON object")),
    };
    let definition: Value = serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            "InvalidDefinition",
            format!("Invalid State Machine Definition: 'the definition is not valid JSON: {e}'"),
        )
    })?;
    // A whole state machine with `stateName`, or one state.
    let state_name = request.get("stateName").and_then(Value::as_str);
    let (name, mut state, machine_language) = match state_name {
        Some(name) => {
            let state = definition
                .get("States")
                .and_then(|s| s.get(name))
                .and_then(Value::as_object)
                .cloned()
                .ok_or_else(|| validation(format!("the definition has no state named '{name}'")))?;
            let language = definition.get("QueryLanguage").cloned();
            (name.to_string(), state, language)
        }
        None => {
            let state = definition.as_object().cloned().ok_or_else(|| {
                ApiError::new(
                    "InvalidDefinition",
                    "Invalid State Machine Definition: 'a state must be a JSON object'",
                )
            })?;
            (DEFAULT_NAME.to_string(), state, None)
        }
    };
    let state_type = state
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let retriers = state.remove("Retry").unwrap_or(Value::Null);
    let catchers = state.get("Catch").cloned().unwrap_or(Value::Null);
    let jsonata = state
        .get("QueryLanguage")
        .or(machine_language.as_ref())
        .and_then(Value::as_str)
        == Some("JSONata");

    // The machine around the state.
    let mut states = Map::new();
    let mut setup = json!({"Type": "Pass", "Next": name});
    if !variables.is_empty() {
        setup["Assign"] = Value::Object(variables.clone());
    }
    states.insert(SETUP.into(), setup);
    for target in targets(&state) {
        states.insert(target, json!({"Type": "Succeed"}));
    }
    states.insert(name.clone(), Value::Object(state.clone()));
    let mut machine = json!({"StartAt": SETUP, "States": states});
    if let Some(language) = &machine_language {
        machine["QueryLanguage"] = language.clone();
    }

    // The mock, if any, answers the Task.
    let mock = request.get("mock").filter(|m| !m.is_null());
    let mocks = match mock {
        None => None,
        Some(mock) => {
            if state_type != "Task" {
                return Err(validation("a mock can only answer a Task state"));
            }
            let response = if let Some(result) = mock.get("result") {
                let text = result
                    .as_str()
                    .ok_or_else(|| validation("mock.result must be a string of JSON"))?;
                let value: Value = serde_json::from_str(text)
                    .map_err(|e| validation(format!("mock.result is not valid JSON: {e}")))?;
                json!({"Return": value})
            } else if let Some(error) = mock.get("errorOutput") {
                json!({"Throw": {
                    "Error": error.get("error").and_then(Value::as_str).unwrap_or(""),
                    "Cause": error.get("cause").and_then(Value::as_str).unwrap_or(""),
                }})
            } else {
                return Err(validation(
                    "the mock needs either `result` or `errorOutput`",
                ));
            };
            let mut short = Map::new();
            short.insert(name.clone(), json!([response]));
            Some(
                Mocks::from_json(&Value::Object(short), None, None)
                    .map_err(|e| validation(format!("bad mock: {}", e.0)))?,
            )
        }
    };

    let engine = api.engine().in_memory(EngineConfig {
        clock: Arc::new(VirtualClock::starting_now()),
        store: None,
        ..api.engine().config().clone()
    });
    let loaded = engine
        .load_str(
            &machine.to_string(),
            LoadOptions {
                name: Some("TestState".into()),
                mocks,
                express: true,
            },
        )
        .map_err(|e| {
            let detail: Vec<String> = e
                .diagnostics
                .iter()
                .map(|d| {
                    let location = d
                        .location
                        .replace(&format!("/States/{name}"), "")
                        .to_string();
                    format!(
                        "{}: {} at /{}",
                        d.code.as_str(),
                        d.message,
                        location.trim_start_matches('/')
                    )
                })
                .collect();
            ApiError::new(
                "InvalidDefinition",
                format!("Invalid State Machine Definition: '{}'", detail.join(", ")),
            )
        })?;
    let handle = engine
        .start_async(&loaded, input.clone(), StartOptions::default())
        .await
        .map_err(|e| validation(e.to_string()))?;
    let outcome = handle.result().await;
    let history: Vec<Value> = handle.history().iter().map(|e| e.to_json()).collect();

    // What the state did, from the history.
    let detail = |event: &Value, key: &str| -> Option<Value> {
        event
            .as_object()?
            .iter()
            .find(|(k, _)| k.ends_with("EventDetails"))
            .and_then(|(_, d)| d.get(key))
            .and_then(Value::as_str)
            .and_then(|s| serde_json::from_str(s).ok())
    };
    let event_type = |event: &Value| event["type"].as_str().unwrap_or_default().to_string();
    let entered_name = |event: &Value| {
        event
            .get("stateEnteredEventDetails")
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut next_state = None;
    let mut output = None;
    let mut after_parameters: Option<Value> = None;
    let mut result = None;
    let mut failure: Option<(String, String)> = None;
    let mut in_state = false;
    for event in &history {
        let ty = event_type(event);
        if ty.ends_with("StateEntered") {
            let entered = entered_name(event);
            if entered.as_deref() == Some(name.as_str()) {
                in_state = true;
            } else if in_state {
                next_state = entered;
                in_state = false;
            }
            continue;
        }
        if !in_state {
            continue;
        }
        if ty == "TaskScheduled" {
            after_parameters = event
                .get("taskScheduledEventDetails")
                .and_then(|d| d.get("parameters"))
                .and_then(Value::as_str)
                .and_then(|s| serde_json::from_str(s).ok());
        } else if ty == "TaskSucceeded" {
            result = detail(event, "output");
        } else if ty.ends_with("StateExited") {
            output = detail(event, "output");
        } else if ty.ends_with("Failed") || ty.ends_with("TimedOut") {
            let details = event
                .as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.ends_with("EventDetails")))
                .map(|(_, d)| d.clone())
                .unwrap_or(Value::Null);
            failure = Some((
                details["error"].as_str().unwrap_or_default().to_string(),
                details["cause"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    let (mut status, mut error, mut cause) = match &outcome.status {
        Status::Succeeded(_) if failure.is_some() => ("CAUGHT_ERROR", None, None),
        Status::Succeeded(_) => ("SUCCEEDED", None, None),
        Status::Failed { error, cause }
        | Status::TimedOut { error, cause }
        | Status::Aborted { error, cause } => ("FAILED", error.clone(), cause.clone()),
        Status::Running => ("FAILED", Some("States.Runtime".into()), None),
    };
    if status == "FAILED" {
        output = None;
        next_state = None;
    }
    if let Some((e, c)) = &failure {
        error = Some(e.clone());
        cause = Some(c.clone());
    }
    let mut error_details = Map::new();
    // A failure a retrier would retry: AWS answers RETRIABLE and does not go on.
    if let (Some(e), Some(list)) = (&error, retriers.as_array())
        && let Some((index, retrier)) = list
            .iter()
            .enumerate()
            .find(|(_, r)| matches(&r["ErrorEquals"], e))
        && retrier["MaxAttempts"].as_u64().unwrap_or(3) > 0
    {
        status = "RETRIABLE";
        output = None;
        next_state = None;
        error_details.insert("retryIndex".into(), json!(index));
        error_details.insert(
            "retryBackoffIntervalSeconds".into(),
            json!(retrier["IntervalSeconds"].as_u64().unwrap_or(1)),
        );
    }
    if status == "CAUGHT_ERROR"
        && let (Some(e), Some(list)) = (&error, catchers.as_array())
        && let Some(index) = list.iter().position(|c| matches(&c["ErrorEquals"], e))
    {
        error_details.insert("catchIndex".into(), json!(index));
    }

    let mut out = json!({ "status": status });
    if let Some(output) = &output {
        out["output"] = json!(output.to_string());
    }
    if let Some(next) = &next_state {
        out["nextState"] = json!(next);
    }
    if let Some(error) = &error {
        out["error"] = json!(error);
    }
    if let Some(cause) = &cause {
        out["cause"] = json!(cause);
    }
    if level != "INFO" {
        let mut data = Map::new();
        data.insert("input".into(), json!(input.to_string()));
        let scope = SimpleScope {
            variables: variables.clone(),
            ..SimpleScope::default()
        };
        if jsonata {
            if let Some(arguments) = &after_parameters {
                data.insert("afterArguments".into(), json!(arguments.to_string()));
            }
        } else {
            let after_input =
                jsonpath_step(&state, "InputPath", &input, &scope).unwrap_or_else(|| input.clone());
            data.insert("afterInputPath".into(), json!(after_input.to_string()));
            let after_params = after_parameters
                .clone()
                .or_else(|| template_step(&state, "Parameters", &after_input, &scope));
            let after_params = after_params.unwrap_or(after_input.clone());
            data.insert("afterParameters".into(), json!(after_params.to_string()));
            let raw = result.clone().or_else(|| {
                (state_type == "Pass").then(|| {
                    state
                        .get("Result")
                        .cloned()
                        .unwrap_or_else(|| after_params.clone())
                })
            });
            if let Some(raw) = raw.filter(|_| failure.is_none()) {
                data.insert("result".into(), json!(raw.to_string()));
                let selected = template_step(&state, "ResultSelector", &raw, &scope).unwrap_or(raw);
                data.insert("afterResultSelector".into(), json!(selected.to_string()));
                if let Some(after_result) = result_path(&state, &input, selected) {
                    data.insert("afterResultPath".into(), json!(after_result.to_string()));
                }
            }
        }
        if let Some(raw) = result.as_ref().filter(|_| jsonata) {
            data.insert("result".into(), json!(raw.to_string()));
        }
        if !variables.is_empty() {
            data.insert(
                "variables".into(),
                json!(Value::Object(variables).to_string()),
            );
        }
        if !error_details.is_empty() {
            data.insert("errorDetails".into(), Value::Object(error_details.clone()));
        }
        out["inspectionData"] = Value::Object(data);
    }
    Ok(out)
}

/// `InputPath` / `OutputPath` of a JSONPath state applied to `value`.
fn jsonpath_step(
    state: &Map<String, Value>,
    field: &str,
    value: &Value,
    scope: &dyn Scope,
) -> Option<Value> {
    let source = state.get(field)?;
    if source.is_null() {
        return Some(json!({}));
    }
    let path = Path::parse(source.as_str()?).ok()?;
    path.select(value, scope).ok()?.map(|v| v.into_owned())
}

/// `Parameters` / `ResultSelector` of a JSONPath state applied to `value`.
fn template_step(
    state: &Map<String, Value>,
    field: &str,
    value: &Value,
    scope: &dyn Scope,
) -> Option<Value> {
    let source = state.get(field)?;
    let template = Template::compile(source).ok()?;
    template.eval(value, scope).ok()
}

/// `ResultPath` of a JSONPath state: where `result` goes in `input`.
fn result_path(state: &Map<String, Value>, input: &Value, result: Value) -> Option<Value> {
    match state.get("ResultPath") {
        None => Some(result),
        Some(Value::Null) => Some(input.clone()),
        Some(Value::String(path)) => ReferencePath::parse(path)
            .ok()?
            .apply(input.clone(), result)
            .ok(),
        Some(_) => None,
    }
}
