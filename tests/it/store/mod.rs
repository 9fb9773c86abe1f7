//! The store: one suite run on both backends, then what only the SQLite file has (reopening,
//! refusing files that are not ours, surviving SIGKILL).

mod crash;
mod file;
mod suite;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use workflow_core::store::{
    EventRecord, MachineType, MemoryStore, NewExecution, SqliteStore, StateMachineRecord, Store,
    Transition,
};

/// A directory removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "workflow-store-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A store of either backend, with the directory its file lives in.
pub(crate) struct Backend {
    pub store: Box<dyn Store>,
    _dir: Option<TempDir>,
}

impl Backend {
    pub(crate) fn memory() -> Backend {
        Backend {
            store: Box::new(MemoryStore::default()),
            _dir: None,
        }
    }

    pub(crate) fn sqlite() -> Backend {
        let dir = TempDir::new("suite");
        let store = SqliteStore::open(dir.path().join("store.db")).expect("store opens");
        Backend {
            store: Box::new(store),
            _dir: Some(dir),
        }
    }
}

pub(crate) const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(seconds)
}

pub(crate) fn machine(name: &str) -> StateMachineRecord {
    StateMachineRecord {
        arn: format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}"),
        name: name.into(),
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.into(),
        machine_type: MachineType::Standard,
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        creation_date: t0(),
        update_date: None,
        deleted: false,
    }
}

pub(crate) fn execution_arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:123456789012:execution:m:{name}")
}

pub(crate) fn event(id: u64) -> EventRecord {
    EventRecord {
        id,
        event_type: "PassStateEntered".into(),
        timestamp: at(id as i64),
        json: format!(r#"{{"id":{id}}}"#),
    }
}

pub(crate) fn events(ids: std::ops::RangeInclusive<u64>) -> Vec<EventRecord> {
    ids.map(event).collect()
}

/// Stores machine `m` and starts a running execution `name` of it; returns its ARN.
pub(crate) fn started(store: &dyn Store, name: &str) -> String {
    store.put_state_machine(machine("m")).expect("machine");
    let arn = execution_arn(name);
    store
        .start_execution(NewExecution::new(&arn, name, MACHINE, "{}", t0()))
        .expect("execution starts");
    arn
}

/// A transition of `arn` with events `ids`.
pub(crate) fn step(arn: &str, ids: std::ops::RangeInclusive<u64>) -> Transition {
    Transition {
        events: events(ids),
        ..Transition::new(arn)
    }
}
