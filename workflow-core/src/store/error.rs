//! The store's errors.

use std::path::PathBuf;
use std::sync::Arc;

use super::ExecutionStatus;

/// Why a store operation failed.
///
/// Errors are `Clone` because one failed group commit fails every write in it; the underlying
/// SQLite and IO errors are shared behind an `Arc`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("state machine '{name_or_arn}' does not exist")]
    StateMachineNotFound { name_or_arn: String },
    #[error("state machine '{name}' already exists with a different definition")]
    StateMachineAlreadyExists { name: String },
    #[error("execution '{execution_arn}' does not exist")]
    ExecutionNotFound { execution_arn: String },
    #[error("execution '{execution_arn}' already exists")]
    ExecutionAlreadyExists { execution_arn: String },
    #[error("execution '{execution_arn}' is {status} and takes no more transitions")]
    ExecutionClosed {
        execution_arn: String,
        status: ExecutionStatus,
    },
    #[error("execution '{execution_arn}' is {status} and cannot be redriven")]
    NotRedrivable {
        execution_arn: String,
        status: ExecutionStatus,
    },
    #[error("execution '{execution_arn}' cannot end with the status RUNNING")]
    InvalidEnd { execution_arn: String },
    #[error(
        "event {found} of execution '{execution_arn}' is out of order: the next event id is {expected}"
    )]
    EventOutOfOrder {
        execution_arn: String,
        expected: u64,
        found: u64,
    },
    #[error("message {id} is not in the inbox of execution '{execution_arn}'")]
    MessageNotFound { execution_arn: String, id: u64 },
    #[error("task token '{token}' does not exist for execution '{execution_arn}'")]
    TaskTokenNotFound {
        token: String,
        execution_arn: String,
    },
    #[error("task token '{token}' no longer waits for an answer")]
    TaskTokenNotWaiting { token: String },
    #[error("task token '{token}' already exists")]
    TaskTokenExists { token: String },
    #[error("page token '{token}' is not valid")]
    InvalidPageToken { token: String },
    #[error("time {time} is outside the range the store can hold")]
    TimeOutOfRange { time: chrono::DateTime<chrono::Utc> },
    #[error("a number in the store is out of range: {what} {value}")]
    NumberOutOfRange { what: &'static str, value: u64 },
    #[error(
        "store '{}' has schema version {found}; this build reads versions up to {supported}",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("'{}' is not a SQLite database", path.display())]
    NotADatabase {
        path: PathBuf,
        #[source]
        source: Arc<rusqlite::Error>,
    },
    #[error("'{}' is a SQLite database of another application", path.display())]
    ForeignDatabase { path: PathBuf },
    #[error("cannot open store '{}'", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: Arc<rusqlite::Error>,
    },
    #[error("store '{}' cannot use write-ahead logging (journal mode is '{mode}')", path.display())]
    NoWal { path: PathBuf, mode: String },
    #[error("stored {what} is malformed: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("the store's writer thread has stopped")]
    WriterStopped,
    #[error("cannot access '{}'", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("cannot start the store's writer thread")]
    Spawn(#[source] Arc<std::io::Error>),
    #[error("database error")]
    Sqlite(#[source] Arc<rusqlite::Error>),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Sqlite(Arc::new(error))
    }
}
