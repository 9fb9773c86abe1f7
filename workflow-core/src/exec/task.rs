//! Task resources: Rust handlers registered by function name or ARN, mocked responses in the
//! AWS Step Functions Local `MockConfigFile` format, and the shapes Lambda gives results and
//! errors.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Value, json};

/// What a task handler receives.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskRequest {
    /// The Task state's `Resource`.
    pub resource: String,
    /// The Task state's name.
    pub state_name: String,
    /// The payload: for `lambda:invoke`, the `Payload` argument; otherwise the effective
    /// parameters.
    pub payload: Value,
    /// The task token (`$$.Task.Token`), for `.waitForTaskToken` resources.
    pub token: Option<String>,
    /// The execution's ARN.
    pub execution_arn: String,
    /// 0 for the first attempt, then 1, 2, ... for retries.
    pub attempt: u32,
}

/// A task's failure: an error name that `Retry` and `Catch` match on, and a cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    pub error: String,
    pub cause: Option<String>,
}

impl TaskFailure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        TaskFailure {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {}", self.error, cause),
            None => f.write_str(&self.error),
        }
    }
}

impl std::error::Error for TaskFailure {}

/// The future a handler returns.
pub type TaskFuture = Pin<Box<dyn Future<Output = Result<Value, TaskFailure>> + Send>>;

/// An async task implementation.
pub trait TaskHandler: Send + Sync + 'static {
    fn invoke(&self, request: TaskRequest) -> TaskFuture;
}

impl<F, Fut> TaskHandler for F
where
    F: Fn(TaskRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, TaskFailure>> + Send + 'static,
{
    fn invoke(&self, request: TaskRequest) -> TaskFuture {
        Box::pin(self(request))
    }
}

/// Handlers by Lambda function name and by exact resource ARN.
#[derive(Clone, Default)]
pub struct Registry {
    functions: HashMap<String, Arc<dyn TaskHandler>>,
    resources: HashMap<String, Arc<dyn TaskHandler>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .field("resources", &self.resources.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// Registers a Lambda function by name: `lambda:invoke` tasks whose `FunctionName` is this
    /// name (or an ARN ending in `:function:NAME`, or the `${NAME}` placeholder), and direct
    /// `arn:aws:lambda:...:function:NAME` resources, call it.
    pub fn function(&mut self, name: impl Into<String>, handler: impl TaskHandler) {
        self.functions.insert(name.into(), Arc::new(handler));
    }

    /// Registers a handler for an exact `Resource` ARN (an activity, a service integration).
    pub fn resource(&mut self, arn: impl Into<String>, handler: impl TaskHandler) {
        self.resources.insert(arn.into(), Arc::new(handler));
    }

    pub(crate) fn lookup_function(&self, function_name: &str) -> Option<Arc<dyn TaskHandler>> {
        self.functions.get(function_key(function_name)).cloned()
    }

    pub(crate) fn lookup_resource(&self, resource: &str) -> Option<Arc<dyn TaskHandler>> {
        self.resources.get(resource).cloned()
    }
}

/// The function name inside a `FunctionName` value: `name`, `name:alias`, `${name}`,
/// `function:name`, or a full ARN.
pub(crate) fn function_key(function_name: &str) -> &str {
    let name = function_name
        .strip_prefix("${")
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(function_name);
    if let Some(pos) = name.find("function:") {
        let rest = &name[pos + "function:".len()..];
        return rest.split(':').next().unwrap_or(rest);
    }
    name.split(':').next().unwrap_or(name)
}

/// How a resource is named in history events (`resourceType`, `resource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    /// `arn:aws:states:::SERVICE:ACTION[.sync|.waitForTaskToken]`.
    Service {
        service: String,
        action: String,
        wait_for_token: bool,
        lambda_invoke: bool,
    },
    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME`.
    LambdaFunction { name: String },
    /// `arn:aws:states:REGION:ACCOUNT:activity:NAME`.
    Activity,
    /// Anything else (handled only by a handler registered for the exact string).
    Other,
}

pub(crate) fn classify(resource: &str) -> ResourceKind {
    if let Some(rest) = resource.strip_prefix("arn:aws:states:::") {
        let (service, action) = rest.split_once(':').unwrap_or((rest, ""));
        let wait_for_token = action.ends_with(".waitForTaskToken");
        let base_action = action.split('.').next().unwrap_or(action);
        return ResourceKind::Service {
            lambda_invoke: service == "lambda" && base_action == "invoke",
            service: service.to_string(),
            action: action.to_string(),
            wait_for_token,
        };
    }
    let parts: Vec<&str> = resource.split(':').collect();
    if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
        return ResourceKind::LambdaFunction {
            name: parts[6].to_string(),
        };
    }
    if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "states" && parts[5] == "activity" {
        return ResourceKind::Activity;
    }
    ResourceKind::Other
}

/// Wraps a function's return value as `lambda:invoke` returns it.
pub(crate) fn lambda_invoke_result(payload: Value, request_id: &str) -> Value {
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"],
                "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": [request_id],
                "Content-Length": ["0"],
                "Date": [""],
                "X-Amzn-Trace-Id": [""],
                "Content-Type": ["application/json"]
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": "0",
                "Content-Type": "application/json",
                "X-Amz-Executed-Version": "$LATEST",
                "x-amzn-RequestId": request_id
            },
            "HttpStatusCode": 200
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200
    })
}

/// The cause Lambda reports when a function fails: its error object as JSON text.
pub(crate) fn lambda_error_cause(failure: &TaskFailure) -> String {
    json!({
        "errorMessage": failure.cause.clone().unwrap_or_default(),
        "errorType": failure.error,
        "trace": []
    })
    .to_string()
}

/// One mocked answer.
#[derive(Debug, Clone, PartialEq)]
pub enum MockResponse {
    Return(Value),
    Throw(TaskFailure),
}

/// Mocked answers for the Task states of one state machine in one test case: for each state,
/// the answer to its 1st, 2nd, ... invocation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mocks {
    states: HashMap<String, Vec<MockResponse>>,
}

/// A problem with a mock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockError(pub String);

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MockError {}

impl Mocks {
    /// The answers for a state, if it is mocked.
    pub fn for_state(&self, state: &str) -> Option<&[MockResponse]> {
        self.states.get(state).map(|v| v.as_slice())
    }

    /// Whether `state` is mocked.
    pub fn contains(&self, state: &str) -> bool {
        self.states.contains_key(state)
    }

    /// Reads mocks from JSON: the AWS Step Functions Local `MockConfigFile` format
    /// (`StateMachines.<machine>.TestCases.<case>` naming responses in `MockedResponses`, whose
    /// keys are invocation numbers `"0"` or ranges `"1-2"`), or the short form
    /// `{"StateName": [{"Return": ...}, {"Throw": {"Error", "Cause"}}]}`.
    ///
    /// `machine` and `test_case` pick the test case in the AWS format: `machine` may be left out
    /// when the file has one state machine, `test_case` when that machine has one test case.
    pub fn from_json(
        value: &Value,
        machine: Option<&str>,
        test_case: Option<&str>,
    ) -> Result<Mocks, MockError> {
        let Value::Object(root) = value else {
            return Err(MockError("the mock file must be a JSON object".into()));
        };
        if root.contains_key("StateMachines") || root.contains_key("MockedResponses") {
            return Self::from_mock_config(root, machine, test_case);
        }
        let mut states = HashMap::new();
        for (state, responses) in root {
            let Value::Array(items) = responses else {
                return Err(MockError(format!(
                    "the mocked responses of state '{state}' must be an array"
                )));
            };
            let responses = items
                .iter()
                .enumerate()
                .map(|(i, r)| parse_response(r, &format!("{state}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            states.insert(state.clone(), responses);
        }
        Ok(Mocks { states })
    }

    fn from_mock_config(
        root: &serde_json::Map<String, Value>,
        machine: Option<&str>,
        test_case: Option<&str>,
    ) -> Result<Mocks, MockError> {
        let machines = root
            .get("StateMachines")
            .and_then(Value::as_object)
            .ok_or_else(|| MockError("the mock file has no `StateMachines` object".into()))?;
        let (machine_name, machine_value) = match machine {
            Some(name) if machines.contains_key(name) => (name.to_string(), &machines[name]),
            Some(name) if machines.len() == 1 => {
                let (k, v) = machines
                    .iter()
                    .next()
                    .ok_or_else(|| MockError("the mock file has no state machines".into()))?;
                let _ = name;
                (k.clone(), v)
            }
            Some(name) => {
                return Err(MockError(format!(
                    "the mock file has no state machine '{name}'; it has {}",
                    list(machines.keys())
                )));
            }
            None if machines.len() == 1 => {
                let (k, v) = machines
                    .iter()
                    .next()
                    .ok_or_else(|| MockError("the mock file has no state machines".into()))?;
                (k.clone(), v)
            }
            None => {
                return Err(MockError(format!(
                    "the mock file has several state machines ({}); say which one",
                    list(machines.keys())
                )));
            }
        };
        let cases = machine_value
            .get("TestCases")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                MockError(format!(
                    "state machine '{machine_name}' in the mock file has no `TestCases` object"
                ))
            })?;
        let (case_name, case) = match test_case {
            Some(name) => (
                name.to_string(),
                cases.get(name).ok_or_else(|| {
                    MockError(format!(
                        "state machine '{machine_name}' has no test case '{name}'; it has {}",
                        list(cases.keys())
                    ))
                })?,
            ),
            None if cases.len() == 1 => {
                let (k, v) = cases
                    .iter()
                    .next()
                    .ok_or_else(|| MockError("no test cases".into()))?;
                (k.clone(), v)
            }
            None => {
                return Err(MockError(format!(
                    "state machine '{machine_name}' has several test cases ({}); pick one with --test-case",
                    list(cases.keys())
                )));
            }
        };
        let case = case.as_object().ok_or_else(|| {
            MockError(format!(
                "test case '{case_name}' must map state names to mocked responses"
            ))
        })?;
        let responses = root
            .get("MockedResponses")
            .and_then(Value::as_object)
            .ok_or_else(|| MockError("the mock file has no `MockedResponses` object".into()))?;
        let mut states = HashMap::new();
        for (state, response_name) in case {
            let response_name = response_name.as_str().ok_or_else(|| {
                MockError(format!(
                    "test case '{case_name}': the mocked response for state '{state}' must be a name"
                ))
            })?;
            let response = responses.get(response_name).and_then(Value::as_object).ok_or_else(|| {
                MockError(format!(
                    "test case '{case_name}' names the mocked response '{response_name}', which is not in `MockedResponses`"
                ))
            })?;
            states.insert(state.clone(), expand_numbered(response, response_name)?);
        }
        Ok(Mocks { states })
    }
}

fn list<'a>(keys: impl Iterator<Item = &'a String>) -> String {
    keys.map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Expands `{"0": r0, "1-2": r1}` into `[r0, r1, r1]`.
fn expand_numbered(
    response: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Vec<MockResponse>, MockError> {
    let mut slots: Vec<(u32, u32, MockResponse)> = Vec::new();
    for (key, value) in response {
        let (from, to) = match key.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>(), b.trim().parse::<u32>()),
            None => (key.trim().parse::<u32>(), key.trim().parse::<u32>()),
        };
        let (Ok(from), Ok(to)) = (from, to) else {
            return Err(MockError(format!(
                "mocked response '{name}': the key '{key}' must be an invocation number like \"0\" or a range like \"1-2\""
            )));
        };
        if to < from {
            return Err(MockError(format!(
                "mocked response '{name}': the range '{key}' is empty"
            )));
        }
        slots.push((from, to, parse_response(value, &format!("{name}.{key}"))?));
    }
    slots.sort_by_key(|(from, _, _)| *from);
    let mut out = Vec::new();
    for (from, to, response) in slots {
        if from as usize != out.len() {
            return Err(MockError(format!(
                "mocked response '{name}': invocation {} has no response",
                out.len()
            )));
        }
        for _ in from..=to {
            out.push(response.clone());
        }
    }
    Ok(out)
}

fn parse_response(value: &Value, at: &str) -> Result<MockResponse, MockError> {
    let obj = value
        .as_object()
        .ok_or_else(|| MockError(format!("mocked response {at} must be an object")))?;
    if let Some(ret) = obj.get("Return") {
        return Ok(MockResponse::Return(ret.clone()));
    }
    if let Some(throw) = obj.get("Throw") {
        let error = throw.get("Error").and_then(Value::as_str).ok_or_else(|| {
            MockError(format!(
                "mocked response {at}: `Throw` needs an `Error` string"
            ))
        })?;
        let cause = throw
            .get("Cause")
            .and_then(Value::as_str)
            .map(str::to_string);
        return Ok(MockResponse::Throw(TaskFailure {
            error: error.to_string(),
            cause,
        }));
    }
    Err(MockError(format!(
        "mocked response {at} must have `Return` or `Throw`"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_resolve_from_every_spelling() {
        for spelling in [
            "charge",
            "charge:prod",
            "${charge}",
            "function:charge",
            "arn:aws:lambda:us-east-1:123456789012:function:charge",
            "arn:aws:lambda:us-east-1:123456789012:function:charge:3",
        ] {
            assert_eq!(function_key(spelling), "charge", "{spelling}");
        }
    }

    #[test]
    fn aws_mock_config_expands_ranges() {
        let file = json!({
            "StateMachines": {"M": {"TestCases": {"Happy": {"Charge": "Retry"}}}},
            "MockedResponses": {"Retry": {
                "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow"}},
                "1-2": {"Throw": {"Error": "Lambda.ServiceException"}},
                "3": {"Return": {"StatusCode": 200, "Payload": {"ok": true}}}
            }}
        });
        let mocks = Mocks::from_json(&file, Some("M"), None).unwrap();
        let responses = mocks.for_state("Charge").unwrap();
        assert_eq!(responses.len(), 4);
        assert!(
            matches!(&responses[2], MockResponse::Throw(f) if f.error == "Lambda.ServiceException")
        );
        assert!(matches!(&responses[3], MockResponse::Return(_)));
    }

    #[test]
    fn mock_config_errors_name_what_is_missing() {
        let file = json!({
            "StateMachines": {"M": {"TestCases": {"Happy": {"Charge": "Nope"}}}},
            "MockedResponses": {}
        });
        let err = Mocks::from_json(&file, None, None).unwrap_err();
        assert!(err.0.contains("'Nope'"), "{err}");
        let gap = json!({
            "StateMachines": {"M": {"TestCases": {"Happy": {"Charge": "R"}}}},
            "MockedResponses": {"R": {"1": {"Return": 1}}}
        });
        let err = Mocks::from_json(&gap, None, None).unwrap_err();
        assert!(err.0.contains("invocation 0"), "{err}");
    }

    #[test]
    fn short_mock_form_is_a_list_per_state() {
        let file = json!({"T": [{"Throw": {"Error": "E", "Cause": "c"}}, {"Return": 5}]});
        let mocks = Mocks::from_json(&file, None, None).unwrap();
        assert_eq!(mocks.for_state("T").unwrap().len(), 2);
    }

    #[test]
    fn resources_are_classified_for_history() {
        assert_eq!(
            classify("arn:aws:states:::lambda:invoke.waitForTaskToken"),
            ResourceKind::Service {
                service: "lambda".into(),
                action: "invoke.waitForTaskToken".into(),
                wait_for_token: true,
                lambda_invoke: true
            }
        );
        assert_eq!(
            classify("arn:aws:lambda:us-east-1:1:function:f"),
            ResourceKind::LambdaFunction { name: "f".into() }
        );
        assert_eq!(
            classify("arn:aws:states:us-east-1:1:activity:a"),
            ResourceKind::Activity
        );
    }
}
