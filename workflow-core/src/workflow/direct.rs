//! The direct form: what the DSL's functions do when a workflow body runs as plain Rust.
//!
//! A `#[workflow]` function stays an ordinary `async fn`. Called directly, its task calls call
//! the task functions, and the functions below behave as their ASL states do: `map` runs the
//! closure for each item and keeps the results in order, `join!` runs each branch, `sleep`
//! sleeps, and `callback` waits until someone completes its token with [`send_task_success`].
//! Tests use the direct form as the reference for the engine (a differential check of the
//! lowering).

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::oneshot;

use super::WorkflowError;
use crate::exec::TaskFailure;

/// Runs `f` on every item (`Map` state): the results, in the items' order.
///
/// In a `#[workflow]` body write `map(items, |item| async move { ... Ok(value) })`, optionally
/// `.max_concurrency(n)`, then `.await?`.
pub fn map<I, F, Fut, T>(items: I, f: F) -> MapCall<I, F>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, WorkflowError>>,
{
    MapCall {
        items,
        f,
        max_concurrency: 0,
    }
}

/// A `map(..)` call; `.await` it.
#[derive(Debug)]
pub struct MapCall<I, F> {
    items: I,
    f: F,
    max_concurrency: u32,
}

impl<I, F> MapCall<I, F> {
    /// At most `n` iterations run at once (`MaxConcurrency`); 0 means no limit.
    pub fn max_concurrency(mut self, n: u32) -> Self {
        self.max_concurrency = n;
        self
    }
}

impl<I, F, Fut, T> IntoFuture for MapCall<I, F>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, WorkflowError>>,
{
    type Output = Result<Vec<T>, WorkflowError>;
    type IntoFuture = MapFuture<I::IntoIter, F, Fut, T>;

    fn into_future(self) -> Self::IntoFuture {
        // Iterations run one after the other: the results are the same as with any
        // concurrency, since iterations cannot see each other.
        MapFuture {
            items: self.items.into_iter(),
            f: self.f,
            current: None,
            results: Vec::new(),
        }
    }
}

/// The future of a `map(..)` call.
#[derive(Debug)]
pub struct MapFuture<It, F, Fut, T> {
    items: It,
    f: F,
    current: Option<Pin<Box<Fut>>>,
    results: Vec<T>,
}

impl<It, F, Fut, T> Unpin for MapFuture<It, F, Fut, T> {}

impl<It, F, Fut, T> Future for MapFuture<It, F, Fut, T>
where
    It: Iterator,
    F: FnMut(It::Item) -> Fut,
    Fut: Future<Output = Result<T, WorkflowError>>,
{
    type Output = Result<Vec<T>, WorkflowError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            if this.current.is_none() {
                match this.items.next() {
                    Some(item) => this.current = Some(Box::pin((this.f)(item))),
                    None => return Poll::Ready(Ok(std::mem::take(&mut this.results))),
                }
            }
            let Some(current) = this.current.as_mut() else {
                continue;
            };
            match current.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(err)) => {
                    this.current = None;
                    return Poll::Ready(Err(err));
                }
                Poll::Ready(Ok(value)) => {
                    this.current = None;
                    this.results.push(value);
                }
            }
        }
    }
}

macro_rules! join_fns {
    ($($name:ident: $($fut:ident $out:ident $var:ident),+;)+) => {
        $(
            #[doc(hidden)]
            pub async fn $name<$($fut, $out),+>($($var: $fut),+) -> Result<($($out,)+), WorkflowError>
            where
                $($fut: Future<Output = Result<$out, WorkflowError>>,)+
            {
                Ok(($($var.await?,)+))
            }
        )+
    };
}

join_fns! {
    join1: A TA a;
    join2: A TA a, B TB b;
    join3: A TA a, B TB b, C TC c;
    join4: A TA a, B TB b, C TC c, D TD d;
    join5: A TA a, B TB b, C TC c, D TD d, E TE e;
    join6: A TA a, B TB b, C TC c, D TD d, E TE e, F TF f;
}

/// Waits `seconds` seconds (`Wait` with `Seconds`).
pub async fn sleep(seconds: u64) {
    tokio::time::sleep(std::time::Duration::from_secs(seconds)).await
}

/// Waits until an RFC 3339 timestamp (`Wait` with `Timestamp`); a past or unreadable timestamp
/// does not wait.
pub async fn sleep_until(timestamp: impl AsRef<str>) {
    let Ok(at) = chrono::DateTime::parse_from_rfc3339(timestamp.as_ref()) else {
        return;
    };
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    if let Ok(wait) = wait.to_std() {
        tokio::time::sleep(wait).await
    }
}

type Waiters = HashMap<String, oneshot::Sender<Result<Value, TaskFailure>>>;

fn waiters() -> &'static Mutex<Waiters> {
    static WAITERS: OnceLock<Mutex<Waiters>> = OnceLock::new();
    WAITERS.get_or_init(Mutex::default)
}

fn lock_waiters() -> std::sync::MutexGuard<'static, Waiters> {
    waiters().lock().unwrap_or_else(|e| e.into_inner())
}

/// Calls a task with a task token and waits until the token is completed (`Task` with
/// `.waitForTaskToken`).
///
/// In a `#[workflow]` body write `callback(|token| task(token, ..)).await?`. In the direct
/// form the token is made up (`direct-token-N`) and completed with [`send_task_success`] or
/// [`send_task_failure`].
pub async fn callback<T, F, Fut, R, E>(f: F) -> Result<T, WorkflowError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    E: Into<WorkflowError>,
    T: DeserializeOwned,
{
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let token = format!("direct-token-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let (tx, rx) = oneshot::channel();
    lock_waiters().insert(token.clone(), tx);
    if let Err(err) = f(token.clone()).await {
        lock_waiters().remove(&token);
        return Err(err.into());
    }
    let outcome = rx
        .await
        .map_err(|_| WorkflowError::new("States.Runtime", "the callback's token was dropped"))?;
    let value = outcome.map_err(WorkflowError::from)?;
    serde_json::from_value(value).map_err(|err| {
        WorkflowError::new(
            "States.Runtime",
            format!("the callback's output does not have the expected type: {err}"),
        )
    })
}

/// Completes a direct-form callback (the direct form of `SendTaskSuccess`); false when no
/// callback waits for the token.
pub fn send_task_success(token: &str, output: Value) -> bool {
    match lock_waiters().remove(token) {
        Some(tx) => tx.send(Ok(output)).is_ok(),
        None => false,
    }
}

/// Fails a direct-form callback (the direct form of `SendTaskFailure`).
pub fn send_task_failure(token: &str, error: &str, cause: Option<&str>) -> bool {
    match lock_waiters().remove(token) {
        Some(tx) => tx
            .send(Err(TaskFailure {
                error: error.to_string(),
                cause: cause.map(str::to_string),
            }))
            .is_ok(),
        None => false,
    }
}

/// Runs another `#[workflow]` as a child execution (`Task` with
/// `states:startExecution.sync:2`). Write `child_workflow(other(input)).await?`.
pub async fn child_workflow<T, E, Fut>(child: Fut) -> Result<T, WorkflowError>
where
    Fut: Future<Output = Result<T, E>>,
    E: Into<WorkflowError>,
{
    child.await.map_err(Into::into)
}
