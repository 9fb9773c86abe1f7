//! Workflows written in Rust: what `#[workflow]` and `#[task]` generate code against.
//!
//! A `#[workflow]` function gets a sibling module of the same name with `asl()`, `start()` and
//! `workflow()`; `workflow()` returns a [`Workflow`], the descriptor that the CLI and the engine
//! use. [`WorkflowExecution`] is the typed handle `start()` returns.

pub mod direct;

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::exec::{
    Engine, ExecutionHandle, HistoryEvent, LoadError, LoadOptions, LoadedMachine, StartError,
    StartOptions, Status, TaskFailure,
};

/// An error a task returns: a name that `Retry` and `Catch` match on, and a cause.
///
/// `#[derive(TaskError)]` implements it for an enum, naming each variant `Enum.Variant`
/// (a struct is named after its type); the cause is the value's `Debug` text.
pub trait TaskError {
    /// The ASL error name, such as `PaymentError.Declined`.
    fn name(&self) -> &'static str;

    /// A human-readable cause.
    fn cause(&self) -> String;
}

/// How a workflow fails: an ASL error name and a cause, as a `Fail` state reports them.
///
/// `?` on a task call converts the task's [`TaskError`] into a `WorkflowError` with the same
/// name and the cause Lambda reports (`{"errorMessage", "errorType", "trace"}` as JSON text), so
/// a workflow run natively fails exactly as the same workflow run on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowError {
    pub error: String,
    pub cause: Option<String>,
}

impl WorkflowError {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        WorkflowError {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {}", self.error, cause),
            None => f.write_str(&self.error),
        }
    }
}

impl std::error::Error for WorkflowError {}

impl<E: TaskError> From<E> for WorkflowError {
    fn from(err: E) -> Self {
        task_failure(&err.into_task_failure()).into()
    }
}

impl From<ExecutionError> for WorkflowError {
    fn from(err: ExecutionError) -> Self {
        WorkflowError {
            error: err.error,
            cause: err.cause,
        }
    }
}

impl From<TaskFailure> for WorkflowError {
    fn from(failure: TaskFailure) -> Self {
        WorkflowError {
            error: failure.error,
            cause: failure.cause,
        }
    }
}

/// A task failure as the execution sees it after a `lambda:invoke`: Lambda wraps the cause of
/// every error but the `States.*` ones.
fn task_failure(failure: &TaskFailure) -> TaskFailure {
    if failure.error.starts_with("States.") {
        return failure.clone();
    }
    TaskFailure {
        error: failure.error.clone(),
        cause: Some(crate::exec::lambda_error_cause(failure)),
    }
}

/// What a task's error turns into when the engine runs the task.
pub trait IntoTaskFailure {
    fn into_task_failure(self) -> TaskFailure;
}

impl<E: TaskError> IntoTaskFailure for E {
    fn into_task_failure(self) -> TaskFailure {
        TaskFailure::new(self.name(), self.cause())
    }
}

impl IntoTaskFailure for WorkflowError {
    fn into_task_failure(self) -> TaskFailure {
        TaskFailure {
            error: self.error,
            cause: self.cause,
        }
    }
}

/// Why an execution did not produce the workflow's output: the ASL error name and cause of a
/// failed, timed-out or aborted execution, or an output that does not deserialize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionError {
    /// AWS's status name: `FAILED`, `TIMED_OUT`, `ABORTED`, or `SUCCEEDED` when the output does
    /// not have the workflow's output type.
    pub status: &'static str,
    pub error: String,
    pub cause: Option<String>,
}

impl fmt::Display for ExecutionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the execution ended {}: {}", self.status, self.error)?;
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExecutionError {}

/// Why a workflow could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartWorkflowError {
    #[error("the workflow '{name}' cannot load: {source}")]
    Load {
        name: &'static str,
        #[source]
        source: LoadError,
    },
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("the workflow input does not serialize to JSON")]
    Input(#[source] serde_json::Error),
}

/// A workflow as `#[workflow]` describes it: its name, its ASL text, and how to register its
/// tasks (and child workflows) with an engine.
#[derive(Clone, Copy)]
pub struct Workflow {
    name: &'static str,
    asl: &'static str,
    express: bool,
    register: fn(&Engine),
}

impl fmt::Debug for Workflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workflow")
            .field("name", &self.name)
            .field("express", &self.express)
            .finish_non_exhaustive()
    }
}

impl Workflow {
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        asl: &'static str,
        express: bool,
        register: fn(&Engine),
    ) -> Self {
        Workflow {
            name,
            asl,
            express,
            register,
        }
    }

    /// The state machine's name: `#[workflow(name = "...")]`, else the function's name in
    /// PascalCase.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The ASL definition as the JSON text the macro produced at compile time.
    pub fn asl_text(&self) -> &'static str {
        self.asl
    }

    /// The ASL definition.
    pub fn asl(&self) -> Value {
        // The macro writes this text; a parse failure is a bug in the macro, not user input.
        serde_json::from_str(self.asl).expect("the ASL text generated by #[workflow] is JSON")
    }

    /// Whether it is an EXPRESS state machine (`#[workflow(kind = "express")]`).
    pub fn is_express(&self) -> bool {
        self.express
    }

    /// Registers the workflow's task handlers, and its child workflows, with `engine`.
    pub fn register(&self, engine: &Engine) {
        (self.register)(engine)
    }

    /// Registers the tasks and loads the definition.
    pub fn load(&self, engine: &Engine) -> Result<LoadedMachine, StartWorkflowError> {
        self.register(engine);
        engine
            .load_str(
                self.asl,
                LoadOptions {
                    name: Some(self.name.to_string()),
                    mocks: None,
                    express: self.express,
                },
            )
            .map_err(|source| StartWorkflowError::Load {
                name: self.name,
                source,
            })
    }

    /// Starts an execution with a JSON input; see the generated `start` for the typed form.
    pub fn start<T: DeserializeOwned>(
        &self,
        engine: &Engine,
        input: Value,
    ) -> Result<WorkflowExecution<T>, StartWorkflowError> {
        let machine = self.load(engine)?;
        let handle = engine.start(&machine, input, StartOptions::default())?;
        Ok(WorkflowExecution {
            handle,
            output: PhantomData,
        })
    }
}

/// A running or finished execution of a workflow whose output type is `T`.
pub struct WorkflowExecution<T> {
    handle: ExecutionHandle,
    output: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for WorkflowExecution<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkflowExecution")
            .field("arn", &self.handle.arn())
            .finish()
    }
}

impl<T: DeserializeOwned> WorkflowExecution<T> {
    /// Waits for the execution to end: the output, or the ASL error name and cause.
    pub async fn result(&self) -> Result<T, ExecutionError> {
        let outcome = self.handle.result().await;
        match outcome.status {
            Status::Succeeded(output) => {
                serde_json::from_value(Value::clone(&output)).map_err(|err| ExecutionError {
                    status: "SUCCEEDED",
                    error: "OutputType".to_string(),
                    cause: Some(format!(
                        "the output {output} does not have the workflow's output type: {err}"
                    )),
                })
            }
            status => Err(ExecutionError {
                status: status.as_str(),
                error: outcome_error(&status).0,
                cause: outcome_error(&status).1,
            }),
        }
    }

    /// The history so far.
    pub fn history(&self) -> Vec<HistoryEvent> {
        self.handle.history()
    }

    /// The execution's ARN (the task tokens of its callbacks start with it).
    pub fn arn(&self) -> &str {
        self.handle.arn()
    }

    /// The untyped handle.
    pub fn handle(&self) -> &ExecutionHandle {
        &self.handle
    }
}

fn outcome_error(status: &Status) -> (String, Option<String>) {
    match status {
        Status::Failed { error, cause }
        | Status::TimedOut { error, cause }
        | Status::Aborted { error, cause } => (
            error.clone().unwrap_or_else(|| status.as_str().to_string()),
            cause.clone(),
        ),
        Status::Running | Status::Succeeded(_) => (status.as_str().to_string(), None),
    }
}

/// A type whose JSON field names are its Rust field names, so a workflow body may read its
/// fields, build it with a struct literal, or match on its unit variants.
///
/// `#[derive(WorkflowType)]` implements it, and rejects types whose serde attributes change
/// their JSON shape (`rename`, `rename_all`, `flatten`, `tag`, `untagged`, ...): the macro that
/// lowers a workflow body sees only field names, so it could not follow them.
#[diagnostic::on_unimplemented(
    message = "a workflow body reads the fields of `{Self}`, which does not derive `WorkflowType`",
    label = "this value's JSON field names are not known to match its Rust field names",
    note = "add `#[derive(WorkflowType)]` to `{Self}`; types whose serde attributes rename fields cannot be read field by field in a workflow: read them in a `#[task]`"
)]
pub trait WorkflowType {}

impl<T: WorkflowType + ?Sized> WorkflowType for &T {}
impl<T: WorkflowType> WorkflowType for Box<T> {}
