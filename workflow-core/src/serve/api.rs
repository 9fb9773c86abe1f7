//! The Step Functions operations: each takes AWS's JSON request and gives AWS's JSON response or
//! an [`ApiError`] with AWS's error code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::asl;
use crate::exec::{
    CallbackError, DurableError, Engine, LoadOptions, LoadedMachine, Mocks, StartError,
    StartOptions, Status,
};
use crate::store::{
    ActivityRecord, ExecutionFilter, ExecutionRecord, ExecutionStatus, HistoryQuery, MachineType,
    MachineUpdate, Message, StateMachineRecord, Store, StoreError, TokenStatus,
};

/// AWS's limit on a state machine definition, in characters.
const DEFINITION_LIMIT: usize = 1_048_576;
/// AWS's limits on tags per resource and on a tag's key and value.
const TAGS_LIMIT: usize = 50;
/// How long `GetActivityTask` waits for a task (AWS: 60 seconds).
const ACTIVITY_POLL: Duration = Duration::from_secs(60);
/// How often a waiting `GetActivityTask` looks for a task that another process scheduled (it is
/// woken at once for this process's own).
const ACTIVITY_TICK: Duration = Duration::from_millis(250);
/// The prefix AWS puts on every error type of the service.
const ERROR_NAMESPACE: &str = "com.amazonaws.swf.service.v2.model";

/// An error answer: HTTP status, AWS's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// AWS's `ValidationException` for a field.
    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new("ValidationException", message)
    }

    fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 500,
            code: "InternalServerError".into(),
            message: message.into(),
        }
    }

    /// The JSON body AWS sends with the error.
    pub fn body(&self) -> Value {
        let namespace = if self.code.ends_with("Exception") && self.code != "ValidationException" {
            "com.amazon.coral.service"
        } else {
            ERROR_NAMESPACE
        };
        json!({"__type": format!("{namespace}#{}", self.code), "message": self.message})
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::InvalidPageToken { token } => {
                ApiError::new("InvalidToken", format!("Invalid Token: '{token}'"))
            }
            other => ApiError::internal(format!("the store failed: {other}")),
        }
    }
}

type Answer = Result<Value, ApiError>;

/// The operations and what they share: the engine hosting executions, its store, and the
/// machines loaded from it.
pub struct Api {
    engine: Engine,
    store: Arc<dyn Store>,
    /// Mocked Task responses for machines, by machine name (`--mocks`).
    mocks: HashMap<String, Mocks>,
    /// Machines loaded from the store, by ARN, with the definition text they were loaded from.
    loaded: Mutex<HashMap<String, (String, LoadedMachine)>>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

/// Epoch seconds with milliseconds, as AWS's JSON protocol sends timestamps.
pub fn epoch(time: DateTime<Utc>) -> Value {
    json!(time.timestamp_millis() as f64 / 1000.0)
}

/// A request's fields, read with AWS's validation errors.
struct Request<'a>(&'a Map<String, Value>);

impl<'a> Request<'a> {
    fn opt_str(&self, field: &str) -> Result<Option<&'a str>, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(ApiError::new(
                "SerializationException",
                format!("field '{field}' must be a string, not {other}"),
            )),
        }
    }

    fn str(&self, field: &str) -> Result<&'a str, ApiError> {
        self.opt_str(field)?.ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
            ))
        })
    }

    fn opt_bool(&self, field: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(ApiError::new(
                "SerializationException",
                format!("field '{field}' must be a boolean, not {other}"),
            )),
        }
    }

    /// `maxResults`: 0 (or absent) means the default; AWS allows up to 1000.
    fn max_results(&self, default: usize) -> Result<usize, ApiError> {
        match self.0.get("maxResults") {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(0) => Ok(default),
                Some(n) if n <= 1000 => Ok(n as usize),
                _ => Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"
                ))),
            },
            Some(other) => Err(ApiError::new(
                "SerializationException",
                format!("field 'maxResults' must be a number, not {other}"),
            )),
        }
    }

    /// `tags`: `[{"key": ..., "value": ...}]`.
    fn tags(&self, field: &str) -> Result<Vec<(String, String)>, ApiError> {
        let Some(tags) = self.0.get(field).filter(|v| !v.is_null()) else {
            return Ok(Vec::new());
        };
        let Some(tags) = tags.as_array() else {
            return Err(ApiError::new(
                "SerializationException",
                format!("field '{field}' must be a list of {{key, value}}"),
            ));
        };
        let mut out = Vec::new();
        for tag in tags {
            let key = tag.get("key").and_then(Value::as_str);
            let value = tag.get("value").and_then(Value::as_str).unwrap_or("");
            let Some(key) = key else {
                return Err(ApiError::validation(
                    "1 validation error detected: Value null at 'tags.member.key' failed to satisfy constraint: Member must not be null",
                ));
            };
            if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
                return Err(ApiError::validation(format!(
                    "the tag '{key}' is invalid: keys have 1 to 128 characters, values up to 256"
                )));
            }
            out.push((key.to_string(), value.to_string()));
        }
        Ok(out)
    }
}

/// The kinds of ARN the API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArnKind {
    StateMachine,
    Execution,
    Activity,
}

impl ArnKind {
    fn resource(self) -> &'static str {
        match self {
            ArnKind::StateMachine => "stateMachine",
            ArnKind::Execution => "execution",
            ArnKind::Activity => "activity",
        }
    }
}

/// Checks that `arn` is a Step Functions ARN of `kind` (`InvalidArn` otherwise).
fn check_arn(arn: &str, kinds: &[ArnKind]) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.split(':').collect();
    let ok = parts.len() >= 7
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "states"
        && !parts[3].is_empty()
        && !parts[4].is_empty()
        && kinds.iter().any(|k| {
            parts[5] == k.resource() || (*k == ArnKind::Execution && parts[5] == "express")
        })
        && parts[6..].iter().all(|p| !p.is_empty());
    if ok {
        Ok(())
    } else {
        Err(ApiError::new("InvalidArn", format!("Invalid Arn: '{arn}'")))
    }
}

fn invalid_name(name: &str) -> ApiError {
    ApiError::new("InvalidName", format!("Invalid Name: '{name}'"))
}

/// A page of an in-memory list: `nextToken` is the offset, checked against the list's length.
fn page<T: Clone>(
    items: &[T],
    max: usize,
    token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match token {
        None => 0,
        Some(t) => t
            .strip_prefix("o")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| ApiError::new("InvalidToken", format!("Invalid Token: '{t}'")))?,
    };
    let end = (start + max).min(items.len());
    let next = (end < items.len()).then(|| format!("o{end}"));
    Ok((items[start..end].to_vec(), next))
}

fn machine_missing(arn: &str) -> ApiError {
    ApiError::new(
        "StateMachineDoesNotExist",
        format!("State Machine Does Not Exist: '{arn}'"),
    )
}

fn execution_missing(arn: &str) -> ApiError {
    ApiError::new(
        "ExecutionDoesNotExist",
        format!("Execution Does Not Exist: '{arn}'"),
    )
}

fn activity_missing(arn: &str) -> ApiError {
    ApiError::new(
        "ActivityDoesNotExist",
        format!("Activity Does Not Exist: '{arn}'"),
    )
}

/// Parses a JSON payload field (`input`, `output`); `code` names AWS's error for bad JSON.
fn payload(text: Option<&str>, code: &str, what: &str) -> Result<Value, ApiError> {
    let Some(text) = text else {
        return Ok(json!({}));
    };
    serde_json::from_str(text).map_err(|e| ApiError::new(code, format!("Invalid {what}: '{e}'")))
}

fn invalid_definition(diagnostics: &[asl::Diagnostic]) -> ApiError {
    let detail: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.severity == asl::Severity::Error)
        .map(|d| {
            let at = if d.location.is_empty() {
                "/".to_string()
            } else {
                d.location.clone()
            };
            format!("{}: {} at {at}", d.code.as_str(), d.message)
        })
        .collect();
    ApiError::new(
        "InvalidDefinition",
        format!("Invalid State Machine Definition: '{}'", detail.join(", ")),
    )
}

impl Api {
    pub fn new(engine: Engine, store: Arc<dyn Store>, mocks: HashMap<String, Mocks>) -> Api {
        Api {
            engine,
            store,
            mocks,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs a store call off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || op(store.as_ref()))
            .await
            .map_err(|e| ApiError::internal(format!("a store call failed: {e}")))?
            .map_err(ApiError::from)
    }

    fn config_arn(&self, resource: &str, name: &str) -> String {
        let config = self.engine.config();
        format!(
            "arn:{}:states:{}:{}:{resource}:{name}",
            config.partition, config.region, config.account_id
        )
    }

    /// Answers one operation.
    pub async fn call(&self, operation: &str, body: &Value) -> Answer {
        let Some(fields) = body.as_object() else {
            return Err(ApiError::new(
                "SerializationException",
                "the request body must be a JSON object",
            ));
        };
        let r = Request(fields);
        match operation {
            "CreateStateMachine" => self.create_state_machine(&r).await,
            "DescribeStateMachine" => self.describe_state_machine(&r).await,
            "UpdateStateMachine" => self.update_state_machine(&r).await,
            "DeleteStateMachine" => self.delete_state_machine(&r).await,
            "ListStateMachines" => self.list_state_machines(&r).await,
            "ValidateStateMachineDefinition" => validate_definition(&r),
            "StartExecution" => self.start_execution(&r).await,
            "StartSyncExecution" => self.start_sync_execution(&r).await,
            "DescribeExecution" => self.describe_execution(&r).await,
            "DescribeStateMachineForExecution" => self.machine_for_execution(&r).await,
            "StopExecution" => self.stop_execution(&r).await,
            "ListExecutions" => self.list_executions(&r).await,
            "GetExecutionHistory" => self.history(&r).await,
            "RedriveExecution" => self.redrive(&r).await,
            "SendTaskSuccess" => self.send_task_success(&r).await,
            "SendTaskFailure" => self.send_task_failure(&r).await,
            "SendTaskHeartbeat" => self.send_task_heartbeat(&r).await,
            "CreateActivity" => self.create_activity(&r).await,
            "DescribeActivity" => self.describe_activity(&r).await,
            "ListActivities" => self.list_activities(&r).await,
            "DeleteActivity" => self.delete_activity(&r).await,
            "GetActivityTask" => self.get_activity_task(&r).await,
            "TestState" => super::test_state::test_state(self, &r.0.clone()).await,
            "TagResource" => self.tag_resource(&r).await,
            "UntagResource" => self.untag_resource(&r).await,
            "ListTagsForResource" => self.list_tags(&r).await,
            other => Err(ApiError::new(
                "UnknownOperationException",
                format!("the operation '{other}' is not supported by this server"),
            )),
        }
    }

    /// The console's own operations (`X-Amz-Target: WorkflowConsole.<Operation>`).
    pub async fn console_call(&self, operation: &str, body: &Value) -> Answer {
        let empty = Map::new();
        let r = Request(body.as_object().unwrap_or(&empty));
        match operation {
            "ListWaitingTasks" => {
                let arn = r.str("executionArn")?.to_string();
                check_arn(&arn, &[ArnKind::Execution])?;
                let tasks = self.blocking(move |s| s.waiting_tasks(&arn)).await?;
                let tasks: Vec<Value> = tasks
                    .iter()
                    .map(|t| {
                        json!({
                            "taskToken": t.token,
                            "stateName": t.state_name,
                            "status": t.status.as_str(),
                        })
                    })
                    .collect();
                Ok(json!({ "tasks": tasks }))
            }
            other => Err(ApiError::new(
                "UnknownOperationException",
                format!("the console has no operation '{other}'"),
            )),
        }
    }

    // State machines.

    /// A live (not deleted) state machine of the store.
    async fn live_machine(&self, arn: &str) -> Result<StateMachineRecord, ApiError> {
        check_arn(arn, &[ArnKind::StateMachine])?;
        let key = arn.to_string();
        self.blocking(move |s| s.state_machine(&key))
            .await?
            .filter(|m| !m.deleted && m.arn == arn)
            .ok_or_else(|| machine_missing(arn))
    }

    /// Loads a definition as the engine runs it, with the machine's mocks.
    fn load(&self, name: &str, definition: &str, express: bool) -> Result<LoadedMachine, ApiError> {
        self.engine
            .load_str(
                definition,
                LoadOptions {
                    name: Some(name.to_string()),
                    mocks: self.mocks.get(name).cloned(),
                    express,
                },
            )
            .map_err(|e| invalid_definition(&e.diagnostics))
    }

    /// The loaded machine of a stored record (loaded again when its definition changed).
    fn loaded(&self, record: &StateMachineRecord) -> Result<LoadedMachine, ApiError> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((definition, machine)) = loaded.get(&record.arn)
            && *definition == record.definition
        {
            return Ok(machine.clone());
        }
        let machine = self
            .load(
                &record.name,
                &record.definition,
                record.machine_type == MachineType::Express,
            )?
            .stored_as(&record.arn, &record.definition)
            .with_role(&record.role_arn);
        self.engine.register_machine(&machine);
        loaded.insert(
            record.arn.clone(),
            (record.definition.clone(), machine.clone()),
        );
        Ok(machine)
    }

    /// Saves a machine that a workflow binary brings, so the API lists and starts it.
    pub fn adopt(&self, machine: &LoadedMachine) -> Result<(), ApiError> {
        let definition = machine.definition().to_json().to_string();
        let record = StateMachineRecord {
            arn: machine.arn().to_string(),
            name: machine.name().to_string(),
            definition: definition.clone(),
            machine_type: if machine.is_express() {
                MachineType::Express
            } else {
                MachineType::Standard
            },
            role_arn: self.engine.config().role_arn.clone(),
            creation_date: Utc::now(),
            update_date: None,
            deleted: false,
        };
        let stored = match self.store.put_state_machine(record.clone()) {
            Ok(stored) => stored,
            // A new build changed the workflow: the store follows the code.
            Err(StoreError::StateMachineAlreadyExists { .. }) => self.store.update_state_machine(
                machine.arn(),
                MachineUpdate {
                    definition: Some(definition.clone()),
                    role_arn: None,
                    update_date: Utc::now(),
                },
            )?,
            Err(other) => return Err(other.into()),
        };
        let machine = machine.clone().stored_as(&stored.arn, &stored.definition);
        self.engine.register_machine(&machine);
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(stored.arn.clone(), (stored.definition, machine));
        Ok(())
    }

    async fn create_state_machine(&self, r: &Request<'_>) -> Answer {
        let name = r.str("name")?;
        let definition = r.str("definition")?;
        let role_arn = r.str("roleArn")?;
        let machine_type = match r.opt_str("type")? {
            None => MachineType::Standard,
            Some(t) => MachineType::from_name(t).ok_or_else(|| {
                ApiError::validation(format!(
                    "1 validation error detected: Value '{t}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
                ))
            })?,
        };
        if !crate::exec::valid_name(name) {
            return Err(invalid_name(name));
        }
        if !role_arn.starts_with("arn:") {
            return Err(ApiError::new(
                "InvalidArn",
                format!("Invalid Arn: 'Role ARN is not valid: {role_arn}'"),
            ));
        }
        if definition.chars().count() > DEFINITION_LIMIT {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to {DEFINITION_LIMIT}"
            )));
        }
        let tags = r.tags("tags")?;
        if tags.len() > TAGS_LIMIT {
            return Err(too_many_tags(name));
        }
        let express = machine_type == MachineType::Express;
        // Checked as AWS checks it, then as this engine must run it (every Task served).
        asl::load_str(definition).map_err(|d| invalid_definition(&d.0))?;
        self.load(name, definition, express)?;
        let arn = self.config_arn("stateMachine", name);
        let record = StateMachineRecord {
            arn: arn.clone(),
            name: name.to_string(),
            definition: definition.to_string(),
            machine_type,
            role_arn: role_arn.to_string(),
            creation_date: Utc::now(),
            update_date: None,
            deleted: false,
        };
        let stored = match self
            .blocking(move |s| Ok(s.put_state_machine(record)))
            .await?
        {
            Ok(stored) => stored,
            Err(StoreError::StateMachineAlreadyExists { .. }) => {
                return Err(ApiError::new(
                    "StateMachineAlreadyExists",
                    format!("State Machine Already Exists: '{arn}'"),
                ));
            }
            Err(other) => return Err(other.into()),
        };
        if !tags.is_empty() {
            let key = stored.arn.clone();
            self.blocking(move |s| s.change_tags(&key, tags, Vec::new()))
                .await?;
        }
        Ok(json!({
            "stateMachineArn": stored.arn,
            "creationDate": epoch(stored.creation_date),
        }))
    }

    async fn describe_state_machine(&self, r: &Request<'_>) -> Answer {
        let m = self.live_machine(r.str("stateMachineArn")?).await?;
        Ok(describe_machine(&m))
    }

    async fn update_state_machine(&self, r: &Request<'_>) -> Answer {
        let m = self.live_machine(r.str("stateMachineArn")?).await?;
        let definition = r.opt_str("definition")?;
        let role_arn = r.opt_str("roleArn")?;
        let other = ["loggingConfiguration", "tracingConfiguration", "publish"]
            .iter()
            .any(|f| r.0.get(*f).is_some_and(|v| !v.is_null()));
        if definition.is_none() && role_arn.is_none() && !other {
            return Err(ApiError::new(
                "MissingRequiredParameter",
                "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
            ));
        }
        if let Some(role_arn) = role_arn
            && !role_arn.starts_with("arn:")
        {
            return Err(ApiError::new(
                "InvalidArn",
                format!("Invalid Arn: 'Role ARN is not valid: {role_arn}'"),
            ));
        }
        if let Some(definition) = definition {
            asl::load_str(definition).map_err(|d| invalid_definition(&d.0))?;
            self.load(&m.name, definition, m.machine_type == MachineType::Express)?;
        }
        let update = MachineUpdate {
            definition: definition.map(str::to_string),
            role_arn: role_arn.map(str::to_string),
            update_date: Utc::now(),
        };
        let arn = m.arn.clone();
        let updated = self
            .blocking(move |s| s.update_state_machine(&arn, update))
            .await?;
        // New executions start from the new definition.
        self.loaded(&updated)?;
        Ok(json!({
            "updateDate": epoch(updated.update_date.unwrap_or(updated.creation_date)),
            "revisionId": revision_id(&updated),
        }))
    }

    async fn delete_state_machine(&self, r: &Request<'_>) -> Answer {
        let arn = r.str("stateMachineArn")?.to_string();
        check_arn(&arn, &[ArnKind::StateMachine])?;
        // AWS stops the machine's running executions; deleting is idempotent.
        let running = {
            let arn = arn.clone();
            self.blocking(move |s| {
                let mut running = Vec::new();
                let mut filter = ExecutionFilter {
                    state_machine_arn: Some(arn),
                    status: Some(ExecutionStatus::Running),
                    limit: 1000,
                    next_token: None,
                };
                loop {
                    let page = s.list_executions(&filter)?;
                    running.extend(page.items.into_iter().map(|e| e.execution_arn));
                    match page.next_token {
                        Some(token) => filter.next_token = Some(token),
                        None => return Ok(running),
                    }
                }
            })
            .await?
        };
        for execution in running {
            self.stop(
                &execution,
                Some("States.Runtime".into()),
                Some("The state machine was deleted".into()),
            )
            .await?;
        }
        let key = arn.clone();
        self.blocking(move |s| s.delete_state_machine(&key)).await?;
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&arn);
        Ok(json!({}))
    }

    async fn list_state_machines(&self, r: &Request<'_>) -> Answer {
        let max = r.max_results(100)?;
        let machines: Vec<StateMachineRecord> = self
            .blocking(|s| s.list_state_machines())
            .await?
            .into_iter()
            .filter(|m| !m.deleted)
            .collect();
        let (items, next) = page(&machines, max, r.opt_str("nextToken")?)?;
        let items: Vec<Value> = items
            .iter()
            .map(|m| {
                json!({
                    "stateMachineArn": m.arn,
                    "name": m.name,
                    "type": m.machine_type.as_str(),
                    "creationDate": epoch(m.creation_date),
                })
            })
            .collect();
        Ok(with_token(json!({ "stateMachines": items }), next))
    }

    // Executions.

    async fn start(
        &self,
        r: &Request<'_>,
        sync: bool,
    ) -> Result<(Value, LoadedMachine, crate::exec::ExecutionHandle), ApiError> {
        let m = self.live_machine(r.str("stateMachineArn")?).await?;
        let express = m.machine_type == MachineType::Express;
        if sync && !express {
            return Err(ApiError::new(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            ));
        }
        let name = r.opt_str("name")?;
        if let Some(name) = name
            && !crate::exec::valid_name(name)
        {
            return Err(invalid_name(name));
        }
        let input = payload(
            r.opt_str("input")?,
            "InvalidExecutionInput",
            "State Machine Execution Input",
        )?;
        let machine = self.loaded(&m)?;
        let handle = self
            .engine
            .start_async(
                &machine,
                input.clone(),
                StartOptions {
                    name: name.map(str::to_string),
                },
            )
            .await
            .map_err(|e| match e {
                StartError::InputTooLarge { .. } => ApiError::new(
                    "InvalidExecutionInput",
                    format!("Invalid State Machine Execution Input: '{e}'"),
                ),
                StartError::InvalidName { name } => invalid_name(&name),
                StartError::ExecutionAlreadyExists { .. } => ApiError::new(
                    "ExecutionAlreadyExists",
                    format!(
                        "Execution Already Exists: '{}'",
                        self.config_arn(
                            "execution",
                            &format!("{}:{}", m.name, name.unwrap_or_default())
                        )
                    ),
                ),
                StartError::Store(message) => ApiError::internal(message),
            })?;
        Ok((input, machine, handle))
    }

    async fn start_execution(&self, r: &Request<'_>) -> Answer {
        let (_, _, handle) = self.start(r, false).await?;
        Ok(json!({
            "executionArn": handle.arn(),
            "startDate": epoch(handle.outcome().start_date),
        }))
    }

    async fn start_sync_execution(&self, r: &Request<'_>) -> Answer {
        let (input, machine, handle) = self.start(r, true).await?;
        let outcome = handle.result().await;
        let stop = outcome.stop_date.unwrap_or_else(Utc::now);
        let billed_ms = (stop - outcome.start_date).num_milliseconds().max(0) as u64;
        let name = handle
            .arn()
            .rsplit(':')
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let mut out = json!({
            "executionArn": handle.arn(),
            "stateMachineArn": machine.arn(),
            "name": name,
            "startDate": epoch(outcome.start_date),
            "stopDate": epoch(stop),
            "input": input.to_string(),
            "inputDetails": {"included": true},
            "billingDetails": {
                "billedMemoryUsedInMB": 64,
                "billedDurationInMilliseconds": billed_ms.div_ceil(100).max(1) * 100,
            },
        });
        let (status, error, cause) = match &outcome.status {
            Status::Succeeded(output) => {
                out["output"] = json!(output.to_string());
                out["outputDetails"] = json!({"included": true});
                ("SUCCEEDED", None, None)
            }
            Status::Failed { error, cause } | Status::Aborted { error, cause } => {
                ("FAILED", error.clone(), cause.clone())
            }
            Status::TimedOut { error, cause } => ("TIMED_OUT", error.clone(), cause.clone()),
            Status::Running => ("FAILED", None, None),
        };
        out["status"] = json!(status);
        if let Some(error) = error {
            out["error"] = json!(error);
        }
        if let Some(cause) = cause {
            out["cause"] = json!(cause);
        }
        Ok(out)
    }

    async fn execution(&self, arn: &str) -> Result<ExecutionRecord, ApiError> {
        check_arn(arn, &[ArnKind::Execution])?;
        let key = arn.to_string();
        self.blocking(move |s| s.execution(&key))
            .await?
            .ok_or_else(|| execution_missing(arn))
    }

    async fn describe_execution(&self, r: &Request<'_>) -> Answer {
        let e = self.execution(r.str("executionArn")?).await?;
        let mut out = json!({
            "executionArn": e.execution_arn,
            "stateMachineArn": e.state_machine_arn,
            "name": e.name,
            "status": e.status.as_str(),
            "startDate": epoch(e.start_date),
            "input": e.input,
            "inputDetails": {"included": true},
            "redriveCount": e.redrive_count,
        });
        if let Some(stop) = e.stop_date {
            out["stopDate"] = epoch(stop);
        }
        if let Some(output) = &e.output {
            out["output"] = json!(output);
            out["outputDetails"] = json!({"included": true});
        }
        if let Some(error) = &e.error {
            out["error"] = json!(error);
        }
        if let Some(cause) = &e.cause {
            out["cause"] = json!(cause);
        }
        if let Some(date) = e.redrive_date {
            out["redriveDate"] = epoch(date);
        }
        if e.status.is_redrivable() {
            out["redriveStatus"] = json!("REDRIVABLE");
        } else {
            out["redriveStatus"] = json!("NOT_REDRIVABLE");
            out["redriveStatusReason"] = json!(format!(
                "Execution is {} and cannot be redriven",
                e.status.as_str()
            ));
        }
        Ok(out)
    }

    async fn machine_for_execution(&self, r: &Request<'_>) -> Answer {
        let e = self.execution(r.str("executionArn")?).await?;
        let arn = e.state_machine_arn.clone();
        let m = self
            .blocking(move |s| s.state_machine(&arn))
            .await?
            .ok_or_else(|| machine_missing(&e.state_machine_arn))?;
        Ok(json!({
            "stateMachineArn": m.arn,
            "name": m.name,
            "definition": m.definition,
            "roleArn": m.role_arn,
            "updateDate": epoch(m.update_date.unwrap_or(m.creation_date)),
            "revisionId": revision_id(&m),
        }))
    }

    /// Stops a running execution, whoever hosts it: the request goes through the store.
    async fn stop(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<(), ApiError> {
        if let Some(handle) = self.engine.execution(arn) {
            handle.stop(error, cause);
            return Ok(());
        }
        let key = arn.to_string();
        let posted = self
            .blocking(move |s| Ok(s.post_message(&key, Message::Stop { error, cause }, Utc::now())))
            .await?;
        match posted {
            // It ended meanwhile.
            Ok(_) | Err(StoreError::ExecutionClosed { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    async fn stop_execution(&self, r: &Request<'_>) -> Answer {
        let e = self.execution(r.str("executionArn")?).await?;
        let error = r.opt_str("error")?;
        let cause = r.opt_str("cause")?;
        if error.is_some_and(|e| e.chars().count() > 256) {
            return Err(ApiError::validation(
                "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256",
            ));
        }
        if cause.is_some_and(|c| c.chars().count() > 32768) {
            return Err(ApiError::validation(
                "1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768",
            ));
        }
        if e.status != ExecutionStatus::Running {
            return Ok(json!({"stopDate": epoch(e.stop_date.unwrap_or_else(Utc::now))}));
        }
        let now = Utc::now();
        self.stop(
            &e.execution_arn,
            error.map(str::to_string),
            cause.map(str::to_string),
        )
        .await?;
        // Answer once the stop is applied, as AWS does, within reason.
        for _ in 0..100 {
            let arn = e.execution_arn.clone();
            let current = self.blocking(move |s| s.execution(&arn)).await?;
            if let Some(current) = current
                && current.status != ExecutionStatus::Running
            {
                return Ok(json!({"stopDate": epoch(current.stop_date.unwrap_or(now))}));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(json!({ "stopDate": epoch(now) }))
    }

    async fn list_executions(&self, r: &Request<'_>) -> Answer {
        if r.opt_str("mapRunArn")?.is_some() {
            return Err(ApiError::validation(
                "this server runs Map iterations inside their parent execution; it has no Map Runs to list",
            ));
        }
        let Some(machine_arn) = r.opt_str("stateMachineArn")? else {
            return Err(ApiError::validation(
                "Must provide a StateMachine ARN or MapRun ARN",
            ));
        };
        let m = self.live_machine(machine_arn).await?;
        if m.machine_type == MachineType::Express {
            return Err(ApiError::new(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            ));
        }
        let status = match r.opt_str("statusFilter")? {
            None => None,
            Some(s) => Some(ExecutionStatus::from_name(s).ok_or_else(|| {
                ApiError::validation(format!(
                    "1 validation error detected: Value '{s}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]"
                ))
            })?),
        };
        let redrive_filter = r.opt_str("redriveFilter")?;
        let filter = ExecutionFilter {
            state_machine_arn: Some(m.arn.clone()),
            status,
            limit: r.max_results(100)?,
            next_token: r.opt_str("nextToken")?.map(str::to_string),
        };
        let page = self.blocking(move |s| s.list_executions(&filter)).await?;
        let items: Vec<Value> = page
            .items
            .iter()
            .filter(|e| match redrive_filter {
                Some("REDRIVEN") => e.redrive_count > 0,
                Some("NOT_REDRIVEN") => e.redrive_count == 0,
                _ => true,
            })
            .map(|e| {
                let mut item = json!({
                    "executionArn": e.execution_arn,
                    "stateMachineArn": e.state_machine_arn,
                    "name": e.name,
                    "status": e.status.as_str(),
                    "startDate": epoch(e.start_date),
                    "redriveCount": e.redrive_count,
                });
                if let Some(stop) = e.stop_date {
                    item["stopDate"] = epoch(stop);
                }
                item
            })
            .collect();
        Ok(with_token(json!({ "executions": items }), page.next_token))
    }

    async fn history(&self, r: &Request<'_>) -> Answer {
        let e = self.execution(r.str("executionArn")?).await?;
        let reverse = r.opt_bool("reverseOrder")?.unwrap_or(false);
        let include_data = r.opt_bool("includeExecutionData")?.unwrap_or(true);
        let max = r.max_results(100)?;
        let after_id = match r.opt_str("nextToken")? {
            None => None,
            Some(t) => Some(
                t.strip_prefix("h")
                    .and_then(|n| n.parse::<u64>().ok())
                    .ok_or_else(|| {
                        ApiError::new("InvalidToken", format!("Invalid Token: '{t}'"))
                    })?,
            ),
        };
        let arn = e.execution_arn.clone();
        let records = self
            .blocking(move |s| {
                s.history(
                    &arn,
                    &HistoryQuery {
                        after_id,
                        limit: max + 1,
                        reverse,
                    },
                )
            })
            .await?;
        let more = records.len() > max;
        let mut events = Vec::new();
        for record in records.iter().take(max) {
            let event = record.to_event().map_err(|e| {
                ApiError::internal(format!("the store holds an unreadable event: {e}"))
            })?;
            let mut json = event.to_json();
            json["timestamp"] = epoch(event.timestamp);
            if !include_data {
                strip_data(&mut json);
            }
            events.push(json);
        }
        let next = more
            .then(|| records.get(max - 1).map(|r| format!("h{}", r.id)))
            .flatten();
        Ok(with_token(json!({ "events": events }), next))
    }

    async fn redrive(&self, r: &Request<'_>) -> Answer {
        let e = self.execution(r.str("executionArn")?).await?;
        if !e.status.is_redrivable() {
            return Err(not_redrivable(&e));
        }
        match self.engine.redrive(&e.execution_arn).await {
            Ok(_) => {}
            Err(DurableError::NotRedrivable { .. }) => return Err(not_redrivable(&e)),
            Err(DurableError::ExecutionDoesNotExist { arn }) => {
                return Err(execution_missing(&arn));
            }
            Err(other) => return Err(ApiError::internal(other.to_string())),
        }
        let arn = e.execution_arn.clone();
        let date = self
            .blocking(move |s| s.execution(&arn))
            .await?
            .and_then(|e| e.redrive_date)
            .unwrap_or_else(Utc::now);
        Ok(json!({ "redriveDate": epoch(date) }))
    }

    // Callbacks.

    /// Maps a refused callback to AWS's code: an unknown token, or one whose task is over.
    async fn callback_error(&self, token: &str, error: CallbackError) -> ApiError {
        match error {
            CallbackError::TaskDoesNotExist { .. } => {
                let key = token.to_string();
                let known = self.blocking(move |s| s.task_token(&key)).await;
                match known {
                    Ok(Some(t)) if t.status == TokenStatus::Completed => {
                        ApiError::new("TaskTimedOut", "Task Timed Out")
                    }
                    _ => ApiError::new("TaskDoesNotExist", "Task Does Not Exist"),
                }
            }
            CallbackError::Store(message) => ApiError::internal(message),
        }
    }

    fn token<'a>(&self, r: &Request<'a>) -> Result<&'a str, ApiError> {
        let token = r.str("taskToken")?;
        if token.is_empty() || token.len() > 2048 {
            return Err(ApiError::new(
                "InvalidToken",
                format!("Invalid Token: '{token}'"),
            ));
        }
        Ok(token)
    }

    async fn send_task_success(&self, r: &Request<'_>) -> Answer {
        let token = self.token(r)?;
        let output = payload(Some(r.str("output")?), "InvalidOutput", "Output")?;
        match self.engine.send_task_success(token, output).await {
            Ok(()) => Ok(json!({})),
            Err(e) => Err(self.callback_error(token, e).await),
        }
    }

    async fn send_task_failure(&self, r: &Request<'_>) -> Answer {
        let token = self.token(r)?;
        let error = r.opt_str("error")?.unwrap_or_default();
        let cause = r.opt_str("cause")?;
        match self.engine.send_task_failure(token, error, cause).await {
            Ok(()) => Ok(json!({})),
            Err(e) => Err(self.callback_error(token, e).await),
        }
    }

    async fn send_task_heartbeat(&self, r: &Request<'_>) -> Answer {
        let token = self.token(r)?;
        match self.engine.send_task_heartbeat(token).await {
            Ok(()) => Ok(json!({})),
            Err(e) => Err(self.callback_error(token, e).await),
        }
    }

    // Activities.

    async fn create_activity(&self, r: &Request<'_>) -> Answer {
        let name = r.str("name")?;
        if !crate::exec::valid_name(name) {
            return Err(invalid_name(name));
        }
        let tags = r.tags("tags")?;
        if tags.len() > TAGS_LIMIT {
            return Err(too_many_tags(name));
        }
        let record = ActivityRecord {
            arn: self.config_arn("activity", name),
            name: name.to_string(),
            creation_date: Utc::now(),
        };
        let stored = self.blocking(move |s| s.put_activity(record)).await?;
        if !tags.is_empty() {
            let key = stored.arn.clone();
            self.blocking(move |s| s.change_tags(&key, tags, Vec::new()))
                .await?;
        }
        Ok(json!({
            "activityArn": stored.arn,
            "creationDate": epoch(stored.creation_date),
        }))
    }

    async fn activity(&self, arn: &str) -> Result<ActivityRecord, ApiError> {
        check_arn(arn, &[ArnKind::Activity])?;
        let key = arn.to_string();
        self.blocking(move |s| s.activity(&key))
            .await?
            .ok_or_else(|| activity_missing(arn))
    }

    async fn describe_activity(&self, r: &Request<'_>) -> Answer {
        let a = self.activity(r.str("activityArn")?).await?;
        Ok(json!({
            "activityArn": a.arn,
            "name": a.name,
            "creationDate": epoch(a.creation_date),
        }))
    }

    async fn list_activities(&self, r: &Request<'_>) -> Answer {
        let max = r.max_results(100)?;
        let activities = self.blocking(|s| s.list_activities()).await?;
        let (items, next) = page(&activities, max, r.opt_str("nextToken")?)?;
        let items: Vec<Value> = items
            .iter()
            .map(|a| {
                json!({
                    "activityArn": a.arn,
                    "name": a.name,
                    "creationDate": epoch(a.creation_date),
                })
            })
            .collect();
        Ok(with_token(json!({ "activities": items }), next))
    }

    async fn delete_activity(&self, r: &Request<'_>) -> Answer {
        let arn = r.str("activityArn")?.to_string();
        check_arn(&arn, &[ArnKind::Activity])?;
        self.blocking(move |s| s.delete_activity(&arn)).await?;
        Ok(json!({}))
    }

    async fn get_activity_task(&self, r: &Request<'_>) -> Answer {
        let a = self.activity(r.str("activityArn")?).await?;
        let worker = r.opt_str("workerName")?.unwrap_or("").to_string();
        if worker.chars().count() > 80 {
            return Err(ApiError::validation(
                "1 validation error detected: Value at 'workerName' failed to satisfy constraint: Member must have length less than or equal to 80",
            ));
        }
        let deadline = tokio::time::Instant::now() + ACTIVITY_POLL;
        let scheduled = self.engine.activity_scheduled();
        loop {
            // Listening before looking, so that a task scheduled in between is not missed.
            let notified = scheduled.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let task = self
                .engine
                .get_activity_task(&a.arn, &worker)
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            if let Some(task) = task {
                return Ok(json!({"taskToken": task.task_token, "input": task.input}));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(json!({}));
            }
            // Woken by this process's executions; tasks of other processes are polled for.
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(ACTIVITY_TICK.min(deadline - now)) => {}
            }
        }
    }

    // Tags.

    /// Checks that a taggable resource exists (a live state machine or an activity).
    async fn taggable(&self, arn: &str) -> Result<(), ApiError> {
        check_arn(arn, &[ArnKind::StateMachine, ArnKind::Activity])?;
        let key = arn.to_string();
        let exists = self
            .blocking(move |s| {
                Ok(s.state_machine(&key)?
                    .is_some_and(|m| !m.deleted && m.arn == key)
                    || s.activity(&key)?.is_some())
            })
            .await?;
        if exists {
            Ok(())
        } else {
            Err(ApiError::new(
                "ResourceNotFound",
                format!("Resource not found: '{arn}'"),
            ))
        }
    }

    async fn tag_resource(&self, r: &Request<'_>) -> Answer {
        let arn = r.str("resourceArn")?.to_string();
        self.taggable(&arn).await?;
        let tags = r.tags("tags")?;
        let key = arn.clone();
        let existing = self.blocking(move |s| s.tags(&key)).await?;
        let mut keys: std::collections::BTreeSet<&str> =
            existing.iter().map(|(k, _)| k.as_str()).collect();
        keys.extend(tags.iter().map(|(k, _)| k.as_str()));
        if keys.len() > TAGS_LIMIT {
            return Err(too_many_tags(&arn));
        }
        self.blocking(move |s| s.change_tags(&arn, tags, Vec::new()))
            .await?;
        Ok(json!({}))
    }

    async fn untag_resource(&self, r: &Request<'_>) -> Answer {
        let arn = r.str("resourceArn")?.to_string();
        self.taggable(&arn).await?;
        let keys: Vec<String> = match r.0.get("tagKeys") {
            Some(Value::Array(keys)) => keys
                .iter()
                .map(|k| {
                    k.as_str().map(str::to_string).ok_or_else(|| {
                        ApiError::new("SerializationException", "tagKeys must be strings")
                    })
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(ApiError::validation(
                    "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
                ));
            }
        };
        self.blocking(move |s| s.change_tags(&arn, Vec::new(), keys))
            .await?;
        Ok(json!({}))
    }

    async fn list_tags(&self, r: &Request<'_>) -> Answer {
        let arn = r.str("resourceArn")?.to_string();
        self.taggable(&arn).await?;
        let tags = self.blocking(move |s| s.tags(&arn)).await?;
        let tags: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        Ok(json!({ "tags": tags }))
    }
}

fn too_many_tags(resource: &str) -> ApiError {
    ApiError::new(
        "TooManyTags",
        format!("Too many tags: a resource has at most {TAGS_LIMIT} tags ('{resource}')"),
    )
}

fn not_redrivable(e: &ExecutionRecord) -> ApiError {
    ApiError::new(
        "ExecutionNotRedrivable",
        format!(
            "Execution is {} and cannot be redriven: '{}'",
            e.status.as_str(),
            e.execution_arn
        ),
    )
}

fn with_token(mut out: Value, next: Option<String>) -> Value {
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    out
}

/// A stable id of a machine's current definition and role, in UUID notation.
fn revision_id(m: &StateMachineRecord) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(m.definition.as_bytes());
    hash.update([0]);
    hash.update(m.role_arn.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    crate::expr::intrinsic::func::uuid_text(&bytes)
}

fn describe_machine(m: &StateMachineRecord) -> Value {
    json!({
        "stateMachineArn": m.arn,
        "name": m.name,
        "status": "ACTIVE",
        "definition": m.definition,
        "roleArn": m.role_arn,
        "type": m.machine_type.as_str(),
        "creationDate": epoch(m.creation_date),
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
        "tracingConfiguration": {"enabled": false},
        "revisionId": revision_id(m),
    })
}

/// Removes the payloads from an event (`includeExecutionData: false`).
fn strip_data(event: &mut Value) {
    let Some(fields) = event.as_object_mut() else {
        return;
    };
    for (key, details) in fields.iter_mut() {
        if !key.ends_with("EventDetails") {
            continue;
        }
        if let Some(details) = details.as_object_mut() {
            for field in ["input", "output", "parameters", "result"] {
                details.remove(field);
            }
        }
    }
}

/// `ValidateStateMachineDefinition`.
fn validate_definition(r: &Request<'_>) -> Answer {
    let definition = r.str("definition")?;
    let max = r.max_results(100)?;
    let min_severity = r.opt_str("severity")?.unwrap_or("ERROR");
    let include_warnings = match min_severity {
        "ERROR" => false,
        "WARNING" => true,
        other => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'severity' failed to satisfy constraint: Member must satisfy enum value set: [ERROR, WARNING]"
            )));
        }
    };
    let diagnostics = match asl::load_str(definition) {
        Ok(validated) => validated.warnings,
        Err(d) => d.0,
    };
    let shown: Vec<&asl::Diagnostic> = diagnostics
        .iter()
        .filter(|d| include_warnings || d.severity == asl::Severity::Error)
        .collect();
    let failed = diagnostics
        .iter()
        .any(|d| d.severity == asl::Severity::Error);
    let items: Vec<Value> = shown
        .iter()
        .take(max)
        .map(|d| {
            json!({
                "severity": d.severity.as_str(),
                "code": d.code.as_str(),
                "message": d.message,
                "location": d.location,
            })
        })
        .collect();
    Ok(json!({
        "result": if failed { "FAIL" } else { "OK" },
        "diagnostics": items,
        "truncated": shown.len() > max,
    }))
}
