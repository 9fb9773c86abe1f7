//! Workflows as code: write a workflow as an `async fn`, run it in-process, export it as
//! Amazon States Language (ASL) for AWS Step Functions.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use workflow_core::prelude::*;
//!
//! #[derive(Debug, Serialize, Deserialize, TaskError)]
//! enum GreetError {
//!     Empty,
//! }
//!
//! #[task(retry(on = ["GreetError.Empty"], max_attempts = 2))]
//! async fn greet(name: String) -> Result<String, GreetError> {
//!     if name.is_empty() {
//!         return Err(GreetError::Empty);
//!     }
//!     Ok(format!("hello {name}"))
//! }
//!
//! #[workflow]
//! async fn hello(name: String) -> Result<String, WorkflowError> {
//!     let greeting = greet(name).await?;
//!     Ok(greeting)
//! }
//!
//! # fn main() {
//! let asl = hello::asl();
//! assert_eq!(asl["StartAt"], "Start");
//! assert_eq!(asl["States"]["Greet"]["Arguments"]["FunctionName"], "${greet}");
//! # }
//! ```
//!
//! The engine (`exec`) parses, validates and runs any ASL document with AWS Step Functions'
//! semantics and records AWS-shaped history; `asl` is the states-language model and validator.

pub mod asl;
#[cfg(feature = "cli")]
pub mod cli;
pub mod exec;
pub mod expr;
#[cfg(feature = "cli")]
pub mod serve;
pub mod store;
pub mod workflow;

pub use workflow::direct::{callback, child_workflow, map, sleep, sleep_until};
pub use workflow::{
    ExecutionError, StartWorkflowError, TaskError, Workflow, WorkflowError, WorkflowExecution,
    WorkflowType,
};

/// Marks an `async fn` as a task: a step of a workflow that runs any Rust code.
///
/// A task takes serializable parameters and returns `Result<T, E>`, where `T` serializes and
/// `E` is a [`TaskError`] (or [`WorkflowError`]). In an exported state machine a task is a
/// `lambda:invoke` Task state whose `FunctionName` is `${task_name}`; the in-process engine
/// resolves that name to this function. A task with one parameter receives that value as its
/// payload; with several, an object keyed by parameter names.
///
/// Arguments, all optional:
///
/// - `retry(on = ["Error.Name", ...], interval = 1, max_attempts = 3, backoff = 2.0,
///   max_delay = 60, jitter = "FULL")`: a `Retry` rule; repeat `retry(..)` for several rules.
///   `on` defaults to `["States.ALL"]`.
/// - `timeout = 30`: `TimeoutSeconds`.
/// - `heartbeat = 10`: `HeartbeatSeconds`.
///
/// A workflow may override them for one call by putting `#[task(..)]` on the statement.
/// A task that panics fails with `States.TaskFailed` on the engine.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use workflow_core::prelude::*;
///
/// #[derive(Debug, Serialize, Deserialize, TaskError)]
/// enum StockError {
///     Busy,
/// }
///
/// #[task(retry(on = ["StockError.Busy"], interval = 2, max_attempts = 3), timeout = 30)]
/// async fn reserve(sku: String, quantity: u32) -> Result<bool, StockError> {
///     Ok(!sku.is_empty() && quantity < 10)
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // A task is still an ordinary async function.
/// assert_eq!(reserve("apple".to_string(), 2).await.unwrap(), true);
/// # }
/// ```
pub use workflow_macros::task;

/// Compiles an `async fn` into an ASL state machine (JSONata) at build time.
///
/// The body is a restricted subset of Rust that maps one-to-one onto states: task calls
/// (`let x = task(a).await?;`), `let` of pure expressions, `if`/`else`, `match` on literals,
/// unit enum variants or a task's `Result`, `while`, `for x in xs`, [`map`], [`join!`],
/// [`sleep`], [`sleep_until`], [`callback`], [`child_workflow`], [`fail!`], `return Ok(v)` and
/// `return Err(..)`. Anything else is a compile error that says what to do instead, usually
/// "move this logic into a `#[task]`". See the README for the full table and the list of
/// methods expressions may call.
///
/// Next to the function, which stays callable as plain Rust (the "direct" form), the macro
/// generates a module of the same name with:
///
/// - `asl() -> serde_json::Value` and the `ASL` text;
/// - `start(&engine, args...)`, a typed [`WorkflowExecution`] whose `result().await` gives the
///   output or an [`ExecutionError`] with the ASL error name and cause;
/// - `workflow() -> Workflow`, for [`cli::main`] and the engine.
///
/// Arguments: `name = "StateMachineName"` (default: the function's name in PascalCase),
/// `kind = "standard" | "express"` (express forbids callbacks and child workflows), and
/// `comment = "..."`. A statement may carry `#[state("Name")]` to name its state, and
/// `#[task(..)]` to override a task's retry, timeout or heartbeat for that call.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use workflow_core::prelude::*;
///
/// #[derive(Debug, Clone, Serialize, Deserialize, WorkflowType)]
/// struct Order {
///     id: String,
///     total: f64,
/// }
///
/// #[derive(Debug, Serialize, Deserialize, TaskError)]
/// enum PaymentError {
///     Declined,
/// }
///
/// #[task]
/// async fn charge(order: Order) -> Result<String, PaymentError> {
///     if order.total > 1000.0 {
///         return Err(PaymentError::Declined);
///     }
///     Ok(format!("receipt-{}", order.id))
/// }
///
/// #[workflow(name = "Checkout")]
/// async fn checkout(order: Order) -> Result<String, WorkflowError> {
///     if order.total <= 0.0 {
///         fail!("EmptyOrder", "nothing to charge");
///     }
///     let receipt = match charge(order).await {
///         Ok(receipt) => receipt,
///         Err(PaymentError::Declined) => fail!("Declined", "the card was declined"),
///     };
///     Ok(receipt)
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let asl = checkout::asl();
/// assert_eq!(asl["States"]["IfOrderTotal"]["Type"], "Choice");
/// assert_eq!(asl["States"]["Charge"]["Catch"][0]["ErrorEquals"][0], "PaymentError.Declined");
///
/// // The direct form: the same body as plain Rust.
/// let order = Order { id: "o-1".into(), total: 5.0 };
/// assert_eq!(checkout(order).await.unwrap(), "receipt-o-1");
/// # }
/// ```
pub use workflow_macros::workflow;

/// Derives [`TaskError`](trait@TaskError) for an error enum: each variant is named
/// `Enum.Variant`, the name `Retry` and `Catch` match on.
pub use workflow_macros::TaskError;

/// Derives [`WorkflowType`](trait@WorkflowType): a workflow body may read this type's fields.
pub use workflow_macros::WorkflowType;

/// Ends the workflow with a `Fail` state: `fail!("ErrorName", "cause")`.
///
/// In the direct form it returns `Err(WorkflowError::new(name, cause).into())`.
#[macro_export]
macro_rules! fail {
    ($error:expr, $cause:expr $(,)?) => {
        return ::core::result::Result::Err(::core::convert::Into::into($crate::WorkflowError::new(
            $error, $cause,
        )))
    };
}

/// Runs branches in parallel (a `Parallel` state): `let (a, b) = join!(async { .. }, async {
/// .. })?;`. Each branch is an `async` block ending in `Ok(value)`; the results come back by
/// position.
#[macro_export]
macro_rules! join {
    ($a:expr $(,)?) => {
        $crate::__private::join1($a).await
    };
    ($a:expr, $b:expr $(,)?) => {
        $crate::__private::join2($a, $b).await
    };
    ($a:expr, $b:expr, $c:expr $(,)?) => {
        $crate::__private::join3($a, $b, $c).await
    };
    ($a:expr, $b:expr, $c:expr, $d:expr $(,)?) => {
        $crate::__private::join4($a, $b, $c, $d).await
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr $(,)?) => {
        $crate::__private::join5($a, $b, $c, $d, $e).await
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr $(,)?) => {
        $crate::__private::join6($a, $b, $c, $d, $e, $f).await
    };
}

/// What a workflow file needs: `use workflow_core::prelude::*;`.
pub mod prelude {
    pub use crate::exec::Engine;
    pub use crate::workflow::direct::{callback, child_workflow, map, sleep, sleep_until};
    pub use crate::{ExecutionError, TaskError, Workflow, WorkflowError, WorkflowType};
    pub use crate::{fail, join, task, workflow};
}

/// What generated code uses. Not a public API: it changes in lockstep with `workflow-macros`.
#[doc(hidden)]
pub mod __private {
    pub use crate::exec::{Engine, START_EXECUTION_SYNC2, TaskFailure, TaskRequest};
    pub use crate::workflow::direct::{join1, join2, join3, join4, join5, join6};
    pub use crate::workflow::{
        IntoTaskFailure, StartWorkflowError, TaskError, Workflow, WorkflowExecution, WorkflowType,
    };
    pub use serde_json::{self, Value};

    use serde::Serialize;
    use serde::de::DeserializeOwned;

    /// Proves at compile time that a workflow body may read the fields of `T`.
    #[inline(always)]
    pub fn fields<T: WorkflowType + ?Sized>(_: &T) {}

    /// A tuple: JSON arrays whose positions `.0`, `.1`, ... index.
    #[diagnostic::on_unimplemented(
        message = "a workflow body reads `.0`, `.1`, ... only on tuples, and `{Self}` is not one",
        label = "a tuple struct's JSON shape depends on its fields",
        note = "read this value in a `#[task]`, or use a struct with named fields and `#[derive(WorkflowType)]`"
    )]
    pub trait Tuple {}

    macro_rules! tuples {
        ($(($($t:ident),+)),+) => { $(impl<$($t),+> Tuple for ($($t,)+) {})+ };
    }
    tuples!(
        (A),
        (A, B),
        (A, B, C),
        (A, B, C, D),
        (A, B, C, D, E),
        (A, B, C, D, E, F)
    );
    impl<T: Tuple + ?Sized> Tuple for &T {}

    /// Proves at compile time that a workflow body may index the positions of `T`.
    #[inline(always)]
    pub fn positions<T: Tuple + ?Sized>(_: &T) {}

    /// Proves at compile time that `T` may be built with a struct literal in a workflow body.
    #[inline(always)]
    pub fn fields_of<T: WorkflowType + ?Sized>() {}

    /// Registers a task's handler: it decodes the payload, calls the task and encodes the
    /// result or the error.
    pub fn register_task<H: crate::exec::TaskHandler>(engine: &Engine, name: &str, handler: H) {
        engine.register_function(name, handler);
    }

    /// One parameter of a task or workflow from its payload: the payload itself (`None`) or
    /// its field `name`.
    pub fn arg<T: DeserializeOwned>(payload: &Value, name: Option<&str>) -> Result<T, TaskFailure> {
        let value = match name {
            None => payload.clone(),
            Some(name) => payload.get(name).cloned().unwrap_or(Value::Null),
        };
        serde_json::from_value(value).map_err(|err| {
            TaskFailure::new(
                "States.Runtime",
                match name {
                    Some(name) => format!("the task's parameter `{name}` cannot be read: {err}"),
                    None => format!("the task's payload cannot be read: {err}"),
                },
            )
        })
    }

    /// A task's return value as the handler's result.
    pub fn output<T: Serialize, E: IntoTaskFailure>(
        result: Result<T, E>,
    ) -> Result<Value, TaskFailure> {
        match result {
            Ok(value) => serde_json::to_value(value).map_err(|err| {
                TaskFailure::new(
                    "States.Runtime",
                    format!("the task's output does not serialize: {err}"),
                )
            }),
            Err(err) => Err(err.into_task_failure()),
        }
    }

    /// A workflow's input: its one parameter, or an object keyed by parameter names.
    pub fn input(
        fields: Vec<(&str, Result<Value, serde_json::Error>)>,
    ) -> Result<Value, StartWorkflowError> {
        if fields.len() == 1 {
            if let Some((_, value)) = fields.into_iter().next() {
                return value.map_err(StartWorkflowError::Input);
            }
            return Ok(Value::Null);
        }
        let mut object = serde_json::Map::new();
        for (name, value) in fields {
            object.insert(name.to_string(), value.map_err(StartWorkflowError::Input)?);
        }
        Ok(Value::Object(object))
    }

    pub fn to_value<T: Serialize>(value: &T) -> Result<Value, serde_json::Error> {
        serde_json::to_value(value)
    }

    /// Registers a child workflow: its tasks, then its machine, startable by name.
    pub fn register_child(engine: &Engine, child: Workflow) {
        // A child that cannot load is reported when the parent loads (its resource then has no
        // machine); registration itself cannot fail.
        if let Ok(machine) = child.load(engine) {
            engine.register_state_machine(machine);
        }
    }

    /// The total length of `parts`.
    pub const fn concat_len(parts: &[&str]) -> usize {
        let mut len = 0;
        let mut i = 0;
        while i < parts.len() {
            len += parts[i].len();
            i += 1;
        }
        len
    }

    /// `parts` concatenated into `N` bytes (`N` from [`concat_len`]).
    pub const fn concat_bytes<const N: usize>(parts: &[&str]) -> [u8; N] {
        let mut out = [0u8; N];
        let mut at = 0;
        let mut i = 0;
        while i < parts.len() {
            let bytes = parts[i].as_bytes();
            let mut j = 0;
            while j < bytes.len() {
                out[at] = bytes[j];
                at += 1;
                j += 1;
            }
            i += 1;
        }
        out
    }

    /// The concatenated text; its parts are all `&str`, so it is UTF-8.
    pub const fn concat_str(bytes: &'static [u8]) -> &'static str {
        match core::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => panic!("the concatenation of UTF-8 strings is UTF-8"),
        }
    }
}
