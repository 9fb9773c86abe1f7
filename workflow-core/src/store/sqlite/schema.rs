//! The file format: recognising a store file, and creating or migrating its schema.
//!
//! A store file is a SQLite database whose header carries our `application_id` and whose
//! `user_version` is the schema version. Version `n` is reached by running `MIGRATIONS[0..n]`
//! in order; each migration runs inside the same transaction that bumps `user_version`, so a
//! crash leaves the file at the old version or the new one.

use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::store::StoreError;

/// "WFST" in ASCII: marks the file as a workflow store.
pub(super) const APPLICATION_ID: i32 = 0x5746_5354;

/// The schema version this build writes, and the newest it reads.
pub(super) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2];

const V1: &str = "
CREATE TABLE state_machines (
    id INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    type TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    creation_date INTEGER NOT NULL
) STRICT;

CREATE TABLE executions (
    id INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL REFERENCES state_machines (arn),
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_date INTEGER NOT NULL,
    stop_date INTEGER,
    redrive_count INTEGER NOT NULL,
    redrive_date INTEGER,
    event_count INTEGER NOT NULL,
    snapshot BLOB,
    wake_at INTEGER
) STRICT;
CREATE INDEX executions_by_machine ON executions (state_machine_arn, id);
CREATE INDEX executions_by_status ON executions (status, id);
CREATE INDEX executions_by_wake ON executions (wake_at) WHERE wake_at IS NOT NULL;

CREATE TABLE events (
    execution_id INTEGER NOT NULL REFERENCES executions (id),
    id INTEGER NOT NULL,
    type TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (execution_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE task_tokens (
    token TEXT PRIMARY KEY,
    execution_id INTEGER NOT NULL REFERENCES executions (id),
    state_name TEXT NOT NULL,
    status TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX task_tokens_by_execution ON task_tokens (execution_id, status);

CREATE TABLE inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id INTEGER NOT NULL REFERENCES executions (id),
    posted INTEGER NOT NULL,
    message TEXT NOT NULL
) STRICT;
CREATE INDEX inbox_by_execution ON inbox (execution_id, id);

CREATE TABLE activity_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_arn TEXT NOT NULL,
    task_token TEXT NOT NULL UNIQUE,
    execution_id INTEGER NOT NULL REFERENCES executions (id),
    input TEXT NOT NULL,
    created INTEGER NOT NULL,
    worker TEXT,
    taken INTEGER
) STRICT;
CREATE INDEX activity_tasks_queue ON activity_tasks (activity_arn, id) WHERE taken IS NULL;
CREATE INDEX activity_tasks_by_execution ON activity_tasks (execution_id);
";

/// Version 2: what the Step Functions API server keeps besides executions: updated and deleted
/// state machines, every definition a machine has had (executions name the one they run),
/// activities and tags.
const V2: &str = "
ALTER TABLE state_machines ADD COLUMN update_date INTEGER;
ALTER TABLE state_machines ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    creation_date INTEGER NOT NULL
) STRICT;

CREATE TABLE definitions (
    hash TEXT PRIMARY KEY,
    definition TEXT NOT NULL
) STRICT, WITHOUT ROWID;
ALTER TABLE executions ADD COLUMN definition_hash TEXT;

CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
) STRICT, WITHOUT ROWID;
";

/// What a file holds, as far as opening it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// No file, an empty file, or a SQLite database with nothing in it.
    Empty,
    /// A store at this schema version.
    Store { version: i64 },
    /// A SQLite database with tables of someone else.
    Foreign,
}

/// Reads the header of an open database.
fn content(conn: &Connection) -> rusqlite::Result<Content> {
    let application_id: i32 = conn.pragma_query_value(None, "application_id", |row| row.get(0))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let objects: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))?;
    Ok(if application_id == APPLICATION_ID {
        Content::Store { version }
    } else if application_id == 0 && version == 0 && objects == 0 {
        Content::Empty
    } else {
        Content::Foreign
    })
}

fn open_error(path: &Path, error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::NotADatabase {
            path: path.to_owned(),
            source: Arc::new(error),
        },
        _ => StoreError::Open {
            path: path.to_owned(),
            source: Arc::new(error),
        },
    }
}

/// Checks, without writing anything, that `path` is missing, empty, or a store this build can
/// read.
pub(super) fn check_file(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(StoreError::Io {
                path: path.to_owned(),
                source: Arc::new(error),
            });
        }
        Ok(metadata) if metadata.len() == 0 => return Ok(()),
        Ok(_) => {}
    }
    // Read-only: whatever the file is, this cannot change it.
    let found = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|conn| content(&conn));
    match found {
        Ok(found) => check_content(path, found),
        // A process died in the middle of a write and left a hot journal or WAL that only a
        // writer can roll back. SQLite recovers it when the file is opened for writing, and
        // `migrate` checks the header again inside its write transaction.
        Err(error) if error.sqlite_error_code() == Some(ErrorCode::ReadOnly) => Ok(()),
        Err(error) => Err(open_error(path, error)),
    }
}

fn check_content(path: &Path, found: Content) -> Result<(), StoreError> {
    match found {
        Content::Empty => Ok(()),
        Content::Store { version } if version <= SCHEMA_VERSION => Ok(()),
        Content::Store { version } => Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found: version,
            supported: SCHEMA_VERSION,
        }),
        Content::Foreign => Err(StoreError::ForeignDatabase {
            path: path.to_owned(),
        }),
    }
}

/// Creates the schema in an empty database, or brings an older one up to date. Checks the
/// header again inside the write transaction, in case another process changed the file since
/// [`check_file`].
pub(super) fn migrate(path: &Path, conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|error| open_error(path, error))?;
    let result = migrate_in_transaction(path, conn);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn.execute_batch(end).map_err(StoreError::from);
    result.and(ended)
}

fn migrate_in_transaction(path: &Path, conn: &Connection) -> Result<(), StoreError> {
    let found = content(conn).map_err(|error| open_error(path, error))?;
    check_content(path, found)?;
    let from = match found {
        Content::Store { version } => version,
        Content::Empty | Content::Foreign => 0,
    };
    if from == SCHEMA_VERSION {
        return Ok(());
    }
    let from_index = usize::try_from(from).unwrap_or(0);
    for migration in MIGRATIONS.iter().skip(from_index) {
        conn.execute_batch(migration)?;
    }
    conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_store_is_migrated_keeping_its_rows() {
        let dir = std::env::temp_dir().join(format!("wf-schema-v1-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v1.db");
        let _ = std::fs::remove_file(&path);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(V1).unwrap();
            conn.execute(
                "INSERT INTO state_machines (arn, name, definition, type, role_arn, creation_date) \
                 VALUES ('arn:m', 'm', '{}', 'STANDARD', 'arn:r', 0)",
                [],
            )
            .unwrap();
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let conn = Connection::open(&path).unwrap();
        check_file(&path).unwrap();
        migrate(&path, &conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let (deleted, update_date): (i64, Option<i64>) = conn
            .query_row(
                "SELECT deleted, update_date FROM state_machines WHERE arn = 'arn:m'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!((deleted, update_date), (0, None));
        let activities: i64 = conn
            .query_row("SELECT count(*) FROM activities", [], |row| row.get(0))
            .unwrap();
        assert_eq!(activities, 0);
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
