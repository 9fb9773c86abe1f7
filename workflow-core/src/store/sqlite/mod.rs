//! The SQLite backend: one file, write-ahead logging, one writer thread with group commit, and
//! a small pool of read connections.
//!
//! # Durability
//!
//! The database runs in WAL mode. A write is acknowledged only after the log holding its
//! transaction has been fsynced: the writer thread commits a batch, then `fdatasync`s the log
//! (itself, or on its sync thread while it commits the next batch) and only then answers the
//! batch's callers (see `writer`). A transaction is therefore on disk before any caller learns
//! of it; a crash (of the process or the machine) before that point loses the whole transaction,
//! never a part: SQLite replays only log frames up to the last complete commit record, whose
//! checksum covers the transaction. Checkpoints sync the log before they copy it into the
//! database and sync the database after, as with `synchronous = FULL`. Reads wait until
//! everything committed before them is durable, so no reader in this process sees a transaction
//! that a power cut could take back. The writer's connection goes through a VFS shim (`vfs`)
//! that writes each commit's log frames with one `pwrite` and leaves commit fsyncs to the writer.

mod schema;
#[allow(unsafe_code)] // reason: a VFS shim is SQLite C callbacks; see vfs.rs for each invariant
mod vfs;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, ToSql, params};

use super::{
    ActivityRecord, ActivityTask, CommitDone, Committed, DueExecution, EventRecord,
    ExecutionFilter, ExecutionRecord, ExecutionStatus, ExecutionSummary, HistoryQuery,
    InboxMessage, MachineType, MachineUpdate, Message, NewExecution, Page, StartDone, Started,
    StateMachineRecord, Store, StoreError, TaskTokenRecord, TokenStatus, Transition,
    check_event_ids, definition_hash, page_token, parse_page_token,
};
use writer::Writer;

/// How to open a [`SqliteStore`].
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    /// The database file; created when missing.
    pub path: PathBuf,
    /// At most this many writes share one transaction.
    pub max_batch: usize,
    /// At most this many idle read connections are kept open.
    pub max_idle_readers: usize,
    /// How long to wait for another process that holds the write lock.
    pub busy_timeout: Duration,
}

impl SqliteConfig {
    /// The default settings for a file.
    pub fn new(path: impl Into<PathBuf>) -> SqliteConfig {
        SqliteConfig {
            path: path.into(),
            max_batch: 1024,
            max_idle_readers: 4,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A store in one SQLite file. See the [module docs](super) for its guarantees.
///
/// Opening a file that is not SQLite, a SQLite database of another application, or a store
/// written by a newer schema fails with [`StoreError::NotADatabase`],
/// [`StoreError::ForeignDatabase`] or [`StoreError::NewerSchema`] and leaves the file as it
/// was. Dropping the store waits for queued writes to commit.
pub struct SqliteStore {
    config: SqliteConfig,
    writer: Writer,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.config.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) the store at `path` with default settings.
    pub fn open(path: impl Into<PathBuf>) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(SqliteConfig::new(path))
    }

    /// Opens (or creates) a store.
    pub fn open_with(config: SqliteConfig) -> Result<SqliteStore, StoreError> {
        let path = config.path.as_path();
        schema::check_file(path)?;
        let conn = vfs::register()
            .and_then(|vfs| Connection::open_with_flags_and_vfs(path, OpenFlags::default(), vfs))
            .map_err(|error| StoreError::Open {
                path: path.to_owned(),
                source: Arc::new(error),
            })?;
        conn.busy_timeout(config.busy_timeout)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal {
                path: path.to_owned(),
                mode,
            });
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Checkpoints sync the log with SQLITE_SYNC_FULL, commits with NORMAL: the VFS shim tells
        // them apart (see `vfs`).
        conn.pragma_update(None, "checkpoint_fullfsync", true)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate(path, &conn)?;
        let writer = Writer::spawn(conn, path, config.max_batch)?;
        let store = SqliteStore {
            config,
            writer,
            readers: Mutex::new(Vec::new()),
        };
        // Open one reader now, so that a file that cannot be read fails here.
        store.read(|_| Ok(()))?;
        Ok(store)
    }

    /// The file the store lives in.
    pub fn path(&self) -> &Path {
        &self.config.path
    }

    fn open_reader(&self) -> Result<Connection, StoreError> {
        let path = self.config.path.as_path();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|error| StoreError::Open {
            path: path.to_owned(),
            source: Arc::new(error),
        })?;
        conn.busy_timeout(self.config.busy_timeout)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.set_prepared_statement_cache_capacity(writer::STATEMENT_CACHE);
        Ok(conn)
    }

    /// Runs `op` in a read transaction, so that it sees one consistent state.
    fn read<T>(
        &self,
        op: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.writer.wait_durable()?;
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => self.open_reader()?,
        };
        let result = {
            let transaction = conn.transaction()?;
            op(&transaction)
            // Dropping the transaction rolls it back: it only read.
        };
        let mut readers = self
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if readers.len() < self.config.max_idle_readers {
            readers.push(conn);
        }
        result
    }
}

// Conversions between our types and SQLite's values.

fn to_nanos(time: DateTime<Utc>) -> Result<i64, StoreError> {
    time.timestamp_nanos_opt()
        .ok_or(StoreError::TimeOutOfRange { time })
}

fn opt_nanos(time: Option<DateTime<Utc>>) -> Result<Option<i64>, StoreError> {
    time.map(to_nanos).transpose()
}

fn from_nanos(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

fn to_i64(what: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::NumberOutOfRange { what, value })
}

/// A non-negative integer column.
fn get_u64(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(idx)?;
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, value))
}

fn get_time(row: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    row.get::<_, i64>(idx).map(from_nanos)
}

fn get_opt_time(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(row.get::<_, Option<i64>>(idx)?.map(from_nanos))
}

/// An enum stored by its name.
macro_rules! sql_name {
    ($ty:ty) => {
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let name = value.as_str()?;
                <$ty>::from_name(name).ok_or_else(|| {
                    FromSqlError::Other(format!("unknown {} '{name}'", stringify!($ty)).into())
                })
            }
        }
    };
}

sql_name!(ExecutionStatus);
sql_name!(MachineType);
sql_name!(TokenStatus);

const MACHINE_COLUMNS: &str =
    "arn, name, definition, type, role_arn, creation_date, update_date, deleted";

fn machine_from_row(row: &Row<'_>) -> rusqlite::Result<StateMachineRecord> {
    Ok(StateMachineRecord {
        arn: row.get(0)?,
        name: row.get(1)?,
        definition: row.get(2)?,
        machine_type: row.get(3)?,
        role_arn: row.get(4)?,
        creation_date: get_time(row, 5)?,
        update_date: get_opt_time(row, 6)?,
        deleted: row.get::<_, i64>(7)? != 0,
    })
}

const EXECUTION_COLUMNS: &str = "arn, name, state_machine_arn, status, input, output, error, \
     cause, start_date, stop_date, redrive_count, redrive_date, event_count, snapshot, wake_at, \
     definition_hash";

fn execution_from_row(row: &Row<'_>) -> rusqlite::Result<ExecutionRecord> {
    let redrive_count: i64 = row.get(10)?;
    Ok(ExecutionRecord {
        execution_arn: row.get(0)?,
        name: row.get(1)?,
        state_machine_arn: row.get(2)?,
        status: row.get(3)?,
        input: row.get(4)?,
        output: row.get(5)?,
        error: row.get(6)?,
        cause: row.get(7)?,
        start_date: get_time(row, 8)?,
        stop_date: get_opt_time(row, 9)?,
        redrive_count: u32::try_from(redrive_count)
            .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(10, redrive_count))?,
        redrive_date: get_opt_time(row, 11)?,
        event_count: get_u64(row, 12)?,
        snapshot: row.get(13)?,
        wake_at: get_opt_time(row, 14)?,
        definition_hash: row.get(15)?,
    })
}

const SUMMARY_COLUMNS: &str =
    "id, arn, name, state_machine_arn, status, start_date, stop_date, redrive_count";

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<(u64, ExecutionSummary)> {
    let redrive_count: i64 = row.get(7)?;
    Ok((
        get_u64(row, 0)?,
        ExecutionSummary {
            execution_arn: row.get(1)?,
            name: row.get(2)?,
            state_machine_arn: row.get(3)?,
            status: row.get(4)?,
            start_date: get_time(row, 5)?,
            stop_date: get_opt_time(row, 6)?,
            redrive_count: u32::try_from(redrive_count)
                .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(7, redrive_count))?,
        },
    ))
}

fn event_from_row(row: &Row<'_>) -> rusqlite::Result<EventRecord> {
    Ok(EventRecord {
        id: get_u64(row, 0)?,
        event_type: row.get(1)?,
        timestamp: get_time(row, 2)?,
        json: row.get(3)?,
    })
}

fn parse_message(text: &str) -> Result<Message, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Malformed {
        what: "inbox message",
        detail: error.to_string(),
    })
}

fn message_text(message: &Message) -> Result<String, StoreError> {
    serde_json::to_string(message).map_err(|error| StoreError::Malformed {
        what: "inbox message",
        detail: error.to_string(),
    })
}

fn read_execution(conn: &Connection, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([arn], execution_from_row)
        .optional()?)
}

/// The row id, status and event count of an execution.
fn execution_key(conn: &Connection, arn: &str) -> Result<(i64, ExecutionStatus, u64), StoreError> {
    conn.prepare_cached("SELECT id, status, event_count FROM executions WHERE arn = ?1")?
        .query_row([arn], |row| {
            Ok((row.get(0)?, row.get(1)?, get_u64(row, 2)?))
        })
        .optional()?
        .ok_or_else(|| StoreError::ExecutionNotFound {
            execution_arn: arn.to_owned(),
        })
}

fn insert_events(
    conn: &Connection,
    execution_id: i64,
    events: &[EventRecord],
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO events (execution_id, id, type, timestamp, json) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for event in events {
        insert.execute(params![
            execution_id,
            to_i64("event id", event.id)?,
            event.event_type,
            to_nanos(event.timestamp)?,
            event.json,
        ])?;
    }
    Ok(())
}

// The writes, each run by the writer thread inside its transaction.

fn put_state_machine(
    conn: &Connection,
    machine: StateMachineRecord,
) -> Result<StateMachineRecord, StoreError> {
    let sql = format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE arn = ?1 OR name = ?2");
    let existing = conn
        .prepare_cached(&sql)?
        .query_row([&machine.arn, &machine.name], machine_from_row)
        .optional()?;
    save_definition(
        conn,
        &definition_hash(&machine.definition),
        &machine.definition,
    )?;
    if let Some(existing) = existing {
        if existing.deleted && existing.arn == machine.arn {
            conn.prepare_cached(
                "UPDATE state_machines SET definition = ?2, type = ?3, role_arn = ?4, \
                 creation_date = ?5, update_date = NULL, deleted = 0 WHERE arn = ?1",
            )?
            .execute(params![
                machine.arn,
                machine.definition,
                machine.machine_type,
                machine.role_arn,
                to_nanos(machine.creation_date)?,
            ])?;
            return Ok(StateMachineRecord {
                update_date: None,
                deleted: false,
                ..machine
            });
        }
        if existing.arn == machine.arn
            && existing.name == machine.name
            && existing.definition == machine.definition
            && existing.machine_type == machine.machine_type
            && existing.role_arn == machine.role_arn
        {
            return Ok(existing);
        }
        return Err(StoreError::StateMachineAlreadyExists { name: machine.name });
    }
    conn.prepare_cached(
        "INSERT INTO state_machines (arn, name, definition, type, role_arn, creation_date) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        machine.arn,
        machine.name,
        machine.definition,
        machine.machine_type,
        machine.role_arn,
        to_nanos(machine.creation_date)?,
    ])?;
    Ok(machine)
}

/// Keeps a definition under its hash (once).
fn save_definition(conn: &Connection, hash: &str, definition: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR IGNORE INTO definitions (hash, definition) VALUES (?1, ?2)")?
        .execute(params![hash, definition])?;
    Ok(())
}

fn update_state_machine(
    conn: &Connection,
    arn: &str,
    update: MachineUpdate,
) -> Result<StateMachineRecord, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE state_machines SET definition = coalesce(?2, definition), \
             role_arn = coalesce(?3, role_arn), update_date = ?4 WHERE arn = ?1 AND deleted = 0",
        )?
        .execute(params![
            arn,
            update.definition,
            update.role_arn,
            to_nanos(update.update_date)?
        ])?;
    if changed == 0 {
        return Err(StoreError::StateMachineNotFound {
            name_or_arn: arn.to_string(),
        });
    }
    let sql = format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE arn = ?1");
    let machine = conn
        .prepare_cached(&sql)?
        .query_row([arn], machine_from_row)?;
    save_definition(
        conn,
        &definition_hash(&machine.definition),
        &machine.definition,
    )?;
    Ok(machine)
}

fn activity_from_row(row: &Row<'_>) -> rusqlite::Result<ActivityRecord> {
    Ok(ActivityRecord {
        arn: row.get(0)?,
        name: row.get(1)?,
        creation_date: get_time(row, 2)?,
    })
}

fn put_activity(conn: &Connection, activity: ActivityRecord) -> Result<ActivityRecord, StoreError> {
    let existing = conn
        .prepare_cached("SELECT arn, name, creation_date FROM activities WHERE name = ?1")?
        .query_row([&activity.name], activity_from_row)
        .optional()?;
    if let Some(existing) = existing {
        return Ok(existing);
    }
    conn.prepare_cached("INSERT INTO activities (arn, name, creation_date) VALUES (?1, ?2, ?3)")?
        .execute(params![
            activity.arn,
            activity.name,
            to_nanos(activity.creation_date)?
        ])?;
    Ok(activity)
}

fn change_tags(
    conn: &Connection,
    resource_arn: &str,
    add: Vec<(String, String)>,
    remove: Vec<String>,
) -> Result<(), StoreError> {
    for (key, value) in add {
        conn.prepare_cached(
            "INSERT INTO tags (resource_arn, key, value) VALUES (?1, ?2, ?3) \
             ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![resource_arn, key, value])?;
    }
    for key in remove {
        conn.prepare_cached("DELETE FROM tags WHERE resource_arn = ?1 AND key = ?2")?
            .execute(params![resource_arn, key])?;
    }
    Ok(())
}

fn start_execution(conn: &Connection, new: NewExecution) -> Result<Started, StoreError> {
    let current: Option<String> = conn
        .prepare_cached("SELECT definition FROM state_machines WHERE arn = ?1")?
        .query_row([&new.state_machine_arn], |row| row.get(0))
        .optional()?;
    let Some(current) = current else {
        return Err(StoreError::StateMachineNotFound {
            name_or_arn: new.state_machine_arn,
        });
    };
    if let Some(existing) = read_execution(conn, &new.execution_arn)? {
        if existing.status == ExecutionStatus::Running
            && existing.input == new.input
            && existing.state_machine_arn == new.state_machine_arn
        {
            return Ok(Started {
                execution: existing,
                created: false,
            });
        }
        return Err(StoreError::ExecutionAlreadyExists {
            execution_arn: new.execution_arn,
        });
    }
    check_event_ids(&new.execution_arn, 0, &new.events)?;
    let event_count = new.events.len() as u64;
    let hash = match new.definition_hash.clone() {
        Some(hash) => hash,
        None => {
            // Stores older than version 2 hold no definitions yet.
            let hash = definition_hash(&current);
            save_definition(conn, &hash, &current)?;
            hash
        }
    };
    conn.prepare_cached(
        "INSERT INTO executions (arn, name, state_machine_arn, status, input, start_date, \
         redrive_count, event_count, snapshot, definition_hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9)",
    )?
    .execute(params![
        new.execution_arn,
        new.name,
        new.state_machine_arn,
        ExecutionStatus::Running,
        new.input,
        to_nanos(new.start_date)?,
        to_i64("event count", event_count)?,
        new.snapshot,
        hash,
    ])?;
    let execution_id = conn.last_insert_rowid();
    insert_events(conn, execution_id, &new.events)?;
    Ok(Started {
        execution: ExecutionRecord {
            execution_arn: new.execution_arn,
            name: new.name,
            state_machine_arn: new.state_machine_arn,
            status: ExecutionStatus::Running,
            input: new.input,
            output: None,
            error: None,
            cause: None,
            start_date: new.start_date,
            stop_date: None,
            redrive_count: 0,
            redrive_date: None,
            event_count,
            snapshot: new.snapshot,
            wake_at: None,
            definition_hash: Some(hash),
        },
        created: true,
    })
}

fn commit(conn: &Connection, transition: Transition) -> Result<Committed, StoreError> {
    let arn = transition.execution_arn.as_str();
    let (execution_id, status, event_count) = execution_key(conn, arn)?;
    // The checks come in the order the memory backend makes them, so that both report the same
    // error for the same bad transition. Whatever fails, the writer rolls this job back.
    if transition.redrive.is_some() {
        if !status.is_redrivable() {
            return Err(StoreError::NotRedrivable {
                execution_arn: arn.to_owned(),
                status,
            });
        }
    } else if status != ExecutionStatus::Running {
        return Err(StoreError::ExecutionClosed {
            execution_arn: arn.to_owned(),
            status,
        });
    }
    if let Some(end) = &transition.end
        && end.status == ExecutionStatus::Running
    {
        return Err(StoreError::InvalidEnd {
            execution_arn: arn.to_owned(),
        });
    }
    check_event_ids(arn, event_count, &transition.events)?;

    let mut delete_message =
        conn.prepare_cached("DELETE FROM inbox WHERE id = ?1 AND execution_id = ?2")?;
    for &id in &transition.consumed_messages {
        let deleted = match i64::try_from(id) {
            Ok(row_id) => delete_message.execute(params![row_id, execution_id])?,
            Err(_) => 0,
        };
        if deleted == 0 {
            return Err(StoreError::MessageNotFound {
                execution_arn: arn.to_owned(),
                id,
            });
        }
    }
    let mut complete_token = conn.prepare_cached(
        "UPDATE task_tokens SET status = ?3 WHERE token = ?1 AND execution_id = ?2",
    )?;
    for token in &transition.tokens_completed {
        if complete_token.execute(params![token, execution_id, TokenStatus::Completed])? == 0 {
            return Err(StoreError::TaskTokenNotFound {
                token: token.clone(),
                execution_arn: arn.to_owned(),
            });
        }
    }
    let mut token_exists = conn.prepare_cached("SELECT 1 FROM task_tokens WHERE token = ?1")?;
    let mut insert_token = conn.prepare_cached(
        "INSERT INTO task_tokens (token, execution_id, state_name, status) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for token in &transition.tokens_waiting {
        if token_exists.exists([&token.token])? {
            return Err(StoreError::TaskTokenExists {
                token: token.token.clone(),
            });
        }
        insert_token.execute(params![
            token.token,
            execution_id,
            token.state_name,
            TokenStatus::Waiting
        ])?;
    }
    let mut activity_exists =
        conn.prepare_cached("SELECT 1 FROM activity_tasks WHERE task_token = ?1")?;
    let mut insert_activity = conn.prepare_cached(
        "INSERT INTO activity_tasks (activity_arn, task_token, execution_id, input, created) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for task in &transition.activity_tasks {
        if activity_exists.exists([&task.task_token])? {
            return Err(StoreError::TaskTokenExists {
                token: task.task_token.clone(),
            });
        }
        insert_activity.execute(params![
            task.activity_arn,
            task.task_token,
            execution_id,
            task.input,
            to_nanos(task.created)?,
        ])?;
    }

    if let Some(redrive_date) = transition.redrive {
        conn.prepare_cached(
            "UPDATE executions SET status = ?2, output = NULL, error = NULL, cause = NULL, \
             stop_date = NULL, redrive_count = redrive_count + 1, redrive_date = ?3 \
             WHERE id = ?1",
        )?
        .execute(params![
            execution_id,
            ExecutionStatus::Running,
            to_nanos(redrive_date)?
        ])?;
    }
    insert_events(conn, execution_id, &transition.events)?;
    let event_count = event_count + transition.events.len() as u64;
    conn.prepare_cached(
        "UPDATE executions SET event_count = ?2, snapshot = coalesce(?3, snapshot), \
         wake_at = ?4 WHERE id = ?1",
    )?
    .execute(params![
        execution_id,
        to_i64("event count", event_count)?,
        transition.snapshot,
        opt_nanos(transition.wake_at)?,
    ])?;
    if let Some(end) = transition.end {
        conn.prepare_cached(
            "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, \
             stop_date = ?6, wake_at = NULL WHERE id = ?1",
        )?
        .execute(params![
            execution_id,
            end.status,
            end.output,
            end.error,
            end.cause,
            to_nanos(end.stop_date)?,
        ])?;
        conn.prepare_cached(
            "UPDATE task_tokens SET status = ?2 WHERE execution_id = ?1 AND status = ?3",
        )?
        .execute(params![
            execution_id,
            TokenStatus::Completed,
            TokenStatus::Waiting
        ])?;
        conn.prepare_cached("DELETE FROM activity_tasks WHERE execution_id = ?1")?
            .execute([execution_id])?;
    }
    Ok(Committed { event_count })
}

fn post_message(
    conn: &Connection,
    arn: String,
    message: Message,
    posted: DateTime<Utc>,
) -> Result<InboxMessage, StoreError> {
    let (execution_id, status, _) = execution_key(conn, &arn)?;
    if message != Message::Redrive && status != ExecutionStatus::Running {
        return Err(StoreError::ExecutionClosed {
            execution_arn: arn,
            status,
        });
    }
    if let Some(token) = message.token() {
        let found: Option<(i64, TokenStatus)> = conn
            .prepare_cached("SELECT execution_id, status FROM task_tokens WHERE token = ?1")?
            .query_row([token], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        match found {
            Some((owner, token_status)) if owner == execution_id => {
                if token_status != TokenStatus::Waiting {
                    return Err(StoreError::TaskTokenNotWaiting {
                        token: token.to_owned(),
                    });
                }
            }
            _ => {
                return Err(StoreError::TaskTokenNotFound {
                    token: token.to_owned(),
                    execution_arn: arn,
                });
            }
        }
    }
    conn.prepare_cached("INSERT INTO inbox (execution_id, posted, message) VALUES (?1, ?2, ?3)")?
        .execute(params![
            execution_id,
            to_nanos(posted)?,
            message_text(&message)?
        ])?;
    let id = conn.last_insert_rowid();
    Ok(InboxMessage {
        id: u64::try_from(id).map_err(|_| StoreError::Malformed {
            what: "inbox message id",
            detail: id.to_string(),
        })?,
        execution_arn: arn,
        posted,
        message,
    })
}

fn take_activity_task(
    conn: &Connection,
    activity_arn: String,
    worker: String,
    now: DateTime<Utc>,
) -> Result<Option<ActivityTask>, StoreError> {
    let found = conn
        .prepare_cached(
            "SELECT a.id, a.activity_arn, a.task_token, a.input, e.arn, a.created \
             FROM activity_tasks a JOIN executions e ON e.id = a.execution_id \
             WHERE a.activity_arn = ?1 AND a.taken IS NULL ORDER BY a.id LIMIT 1",
        )?
        .query_row([&activity_arn], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                ActivityTask {
                    activity_arn: row.get(1)?,
                    task_token: row.get(2)?,
                    input: row.get(3)?,
                    execution_arn: row.get(4)?,
                    created: get_time(row, 5)?,
                },
            ))
        })
        .optional()?;
    let Some((id, task)) = found else {
        return Ok(None);
    };
    conn.prepare_cached("UPDATE activity_tasks SET worker = ?2, taken = ?3 WHERE id = ?1")?
        .execute(params![id, worker, to_nanos(now)?])?;
    post_message(
        conn,
        task.execution_arn.clone(),
        Message::ActivityStarted {
            token: task.task_token.clone(),
            worker,
        },
        now,
    )?;
    Ok(Some(task))
}

fn clamp_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl Store for SqliteStore {
    fn put_state_machine(
        &self,
        machine: StateMachineRecord,
    ) -> Result<StateMachineRecord, StoreError> {
        self.writer
            .write(move |conn| put_state_machine(conn, machine))
    }

    fn state_machine(&self, name_or_arn: &str) -> Result<Option<StateMachineRecord>, StoreError> {
        self.read(|conn| {
            let sql =
                format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE arn = ?1 OR name = ?1");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([name_or_arn], machine_from_row)
                .optional()?)
        })
    }

    fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>, StoreError> {
        self.read(|conn| {
            let sql = format!("SELECT {MACHINE_COLUMNS} FROM state_machines ORDER BY id");
            let mut statement = conn.prepare_cached(&sql)?;
            let rows = statement.query_map([], machine_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn start_execution(&self, execution: NewExecution) -> Result<Started, StoreError> {
        self.writer
            .write(move |conn| start_execution(conn, execution))
    }

    fn start_execution_then(&self, execution: NewExecution, done: StartDone) {
        self.writer
            .submit(move |conn| start_execution(conn, execution), done);
    }

    fn commit(&self, transition: Transition) -> Result<Committed, StoreError> {
        self.writer.write(move |conn| commit(conn, transition))
    }

    fn commit_then(&self, transition: Transition, done: CommitDone) {
        self.writer
            .submit(move |conn| commit(conn, transition), done);
    }

    fn execution(&self, execution_arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        self.read(|conn| read_execution(conn, execution_arn))
    }

    fn list_executions(
        &self,
        filter: &ExecutionFilter,
    ) -> Result<Page<ExecutionSummary>, StoreError> {
        let before = match &filter.next_token {
            Some(token) => parse_page_token(token)?,
            None => u64::MAX,
        };
        let limit = filter.limit.max(1);
        let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM executions WHERE id < ?1");
        let mut values = vec![Value::Integer(i64::try_from(before).unwrap_or(i64::MAX))];
        if let Some(machine) = &filter.state_machine_arn {
            values.push(Value::Text(machine.clone()));
            sql.push_str(&format!(" AND state_machine_arn = ?{}", values.len()));
        }
        if let Some(status) = filter.status {
            values.push(Value::Text(status.as_str().to_owned()));
            sql.push_str(&format!(" AND status = ?{}", values.len()));
        }
        // One more than asked tells whether another page follows.
        values.push(Value::Integer(clamp_limit(limit).saturating_add(1)));
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ?{}", values.len()));
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&sql)?;
            let rows =
                statement.query_map(rusqlite::params_from_iter(&values), summary_from_row)?;
            let mut rows = rows.collect::<Result<Vec<_>, _>>()?;
            let more = rows.len() > limit;
            rows.truncate(limit);
            let next_token = if more {
                rows.last().map(|(seq, _)| page_token(*seq))
            } else {
                None
            };
            Ok(Page {
                items: rows.into_iter().map(|(_, summary)| summary).collect(),
                next_token,
            })
        })
    }

    fn history(
        &self,
        execution_arn: &str,
        query: &HistoryQuery,
    ) -> Result<Vec<EventRecord>, StoreError> {
        self.read(|conn| {
            let (execution_id, _, _) = execution_key(conn, execution_arn)?;
            let limit = clamp_limit(query.limit);
            let mut statement;
            let rows = if query.reverse {
                let before = query
                    .after_id
                    .map_or(i64::MAX, |id| i64::try_from(id).unwrap_or(i64::MAX));
                statement = conn.prepare_cached(
                    "SELECT id, type, timestamp, json FROM events \
                     WHERE execution_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
                )?;
                statement.query_map(params![execution_id, before, limit], event_from_row)?
            } else {
                let after = query
                    .after_id
                    .map_or(0, |id| i64::try_from(id).unwrap_or(i64::MAX));
                statement = conn.prepare_cached(
                    "SELECT id, type, timestamp, json FROM events \
                     WHERE execution_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                )?;
                statement.query_map(params![execution_id, after, limit], event_from_row)?
            };
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn running_executions(&self) -> Result<Vec<ExecutionRecord>, StoreError> {
        self.read(|conn| {
            let sql =
                format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE status = ?1 ORDER BY id");
            let mut statement = conn.prepare_cached(&sql)?;
            let rows = statement.query_map([ExecutionStatus::Running], execution_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn due_executions(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueExecution>, StoreError> {
        let now = to_nanos(now)?;
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT arn, wake_at FROM executions \
                 WHERE wake_at IS NOT NULL AND wake_at <= ?1 AND status = ?2 \
                 ORDER BY wake_at, id LIMIT ?3",
            )?;
            let rows = statement.query_map(
                params![now, ExecutionStatus::Running, clamp_limit(limit)],
                |row| {
                    Ok(DueExecution {
                        execution_arn: row.get(0)?,
                        wake_at: get_time(row, 1)?,
                    })
                },
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn next_wake_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(|conn| {
            let nanos: Option<i64> = conn
                .prepare_cached(
                    "SELECT min(wake_at) FROM executions WHERE wake_at IS NOT NULL AND status = ?1",
                )?
                .query_row([ExecutionStatus::Running], |row| row.get(0))?;
            Ok(nanos.map(from_nanos))
        })
    }

    fn post_message(
        &self,
        execution_arn: &str,
        message: Message,
        posted: DateTime<Utc>,
    ) -> Result<InboxMessage, StoreError> {
        let execution_arn = execution_arn.to_owned();
        self.writer
            .write(move |conn| post_message(conn, execution_arn, message, posted))
    }

    fn inbox(&self, execution_arn: &str) -> Result<Vec<InboxMessage>, StoreError> {
        self.read(|conn| {
            let (execution_id, _, _) = execution_key(conn, execution_arn)?;
            let mut statement = conn.prepare_cached(
                "SELECT id, posted, message FROM inbox WHERE execution_id = ?1 ORDER BY id",
            )?;
            let rows = statement.query_map([execution_id], |row| {
                Ok((
                    get_u64(row, 0)?,
                    get_time(row, 1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            let mut messages = Vec::new();
            for row in rows {
                let (id, posted, text) = row?;
                messages.push(InboxMessage {
                    id,
                    execution_arn: execution_arn.to_owned(),
                    posted,
                    message: parse_message(&text)?,
                });
            }
            Ok(messages)
        })
    }

    fn inbox_executions(&self) -> Result<Vec<String>, StoreError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT e.arn FROM inbox i JOIN executions e ON e.id = i.execution_id \
                 GROUP BY i.execution_id ORDER BY min(i.id)",
            )?;
            let rows = statement.query_map([], |row| row.get(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn task_token(&self, token: &str) -> Result<Option<TaskTokenRecord>, StoreError> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT t.token, e.arn, t.state_name, t.status FROM task_tokens t \
                     JOIN executions e ON e.id = t.execution_id WHERE t.token = ?1",
                )?
                .query_row([token], |row| {
                    Ok(TaskTokenRecord {
                        token: row.get(0)?,
                        execution_arn: row.get(1)?,
                        state_name: row.get(2)?,
                        status: row.get(3)?,
                    })
                })
                .optional()?)
        })
    }

    fn take_activity_task(
        &self,
        activity_arn: &str,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ActivityTask>, StoreError> {
        let activity_arn = activity_arn.to_owned();
        let worker = worker.to_owned();
        self.writer
            .write(move |conn| take_activity_task(conn, activity_arn, worker, now))
    }

    fn definition(&self, hash: &str) -> Result<Option<String>, StoreError> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT definition FROM definitions WHERE hash = ?1")?
                .query_row([hash], |row| row.get(0))
                .optional()?)
        })
    }

    fn waiting_tasks(&self, execution_arn: &str) -> Result<Vec<TaskTokenRecord>, StoreError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT t.token, e.arn, t.state_name, t.status FROM task_tokens t \
                 JOIN executions e ON e.id = t.execution_id \
                 WHERE e.arn = ?1 AND t.status = 'WAITING' ORDER BY t.token",
            )?;
            let rows = statement.query_map([execution_arn], |row| {
                Ok(TaskTokenRecord {
                    token: row.get(0)?,
                    execution_arn: row.get(1)?,
                    state_name: row.get(2)?,
                    status: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn update_state_machine(
        &self,
        arn: &str,
        update: MachineUpdate,
    ) -> Result<StateMachineRecord, StoreError> {
        let arn = arn.to_owned();
        self.writer
            .write(move |conn| update_state_machine(conn, &arn, update))
    }

    fn delete_state_machine(&self, arn: &str) -> Result<bool, StoreError> {
        let arn = arn.to_owned();
        self.writer.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE state_machines SET deleted = 1 WHERE arn = ?1 AND deleted = 0",
                )?
                .execute([&arn])?;
            conn.prepare_cached("DELETE FROM tags WHERE resource_arn = ?1")?
                .execute([&arn])?;
            Ok(changed > 0)
        })
    }

    fn put_activity(&self, activity: ActivityRecord) -> Result<ActivityRecord, StoreError> {
        self.writer.write(move |conn| put_activity(conn, activity))
    }

    fn activity(&self, arn: &str) -> Result<Option<ActivityRecord>, StoreError> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT arn, name, creation_date FROM activities WHERE arn = ?1")?
                .query_row([arn], activity_from_row)
                .optional()?)
        })
    }

    fn list_activities(&self) -> Result<Vec<ActivityRecord>, StoreError> {
        self.read(|conn| {
            let mut statement =
                conn.prepare_cached("SELECT arn, name, creation_date FROM activities ORDER BY id")?;
            let rows = statement.query_map([], activity_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn delete_activity(&self, arn: &str) -> Result<bool, StoreError> {
        let arn = arn.to_owned();
        self.writer.write(move |conn| {
            let changed = conn
                .prepare_cached("DELETE FROM activities WHERE arn = ?1")?
                .execute([&arn])?;
            conn.prepare_cached("DELETE FROM tags WHERE resource_arn = ?1")?
                .execute([&arn])?;
            Ok(changed > 0)
        })
    }

    fn tags(&self, resource_arn: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT key, value FROM tags WHERE resource_arn = ?1 ORDER BY key",
            )?;
            let rows = statement.query_map([resource_arn], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn change_tags(
        &self,
        resource_arn: &str,
        add: Vec<(String, String)>,
        remove: Vec<String>,
    ) -> Result<(), StoreError> {
        let arn = resource_arn.to_owned();
        self.writer
            .write(move |conn| change_tags(conn, &arn, add, remove))
    }
}
