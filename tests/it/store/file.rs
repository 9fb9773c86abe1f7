//! What only the SQLite file has: reopening, and refusing files that are not ours without
//! touching them.

use std::path::Path;

use workflow_core::store::{
    ExecutionEnd, ExecutionStatus, HistoryQuery, Message, NewTaskToken, SqliteStore, Store,
    StoreError, TokenStatus, Transition,
};

use super::{MACHINE, TempDir, at, events, machine, started, step};

#[test]
fn everything_survives_reopening() {
    let dir = TempDir::new("reopen");
    let path = dir.path().join("store.db");
    let (arn, message_id) = {
        let store = SqliteStore::open(&path).unwrap();
        let arn = started(&store, "run");
        store
            .commit(Transition {
                snapshot: Some(vec![7; 500]),
                wake_at: Some(at(30)),
                tokens_waiting: vec![NewTaskToken {
                    token: "tok".into(),
                    state_name: "S".into(),
                }],
                ..step(&arn, 1..=3)
            })
            .unwrap();
        let message = store
            .post_message(
                &arn,
                Message::TaskHeartbeat {
                    token: "tok".into(),
                },
                at(2),
            )
            .unwrap();
        (arn, message.id)
    };
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.state_machine(MACHINE).unwrap(), Some(machine("m")));
    let record = store.execution(&arn).unwrap().unwrap();
    assert_eq!(record.snapshot, Some(vec![7; 500]));
    assert_eq!(record.wake_at, Some(at(30)));
    assert_eq!(record.event_count, 3);
    assert_eq!(
        store.history(&arn, &HistoryQuery::default()).unwrap(),
        events(1..=3)
    );
    assert_eq!(
        store.task_token("tok").unwrap().unwrap().status,
        TokenStatus::Waiting
    );
    assert_eq!(store.inbox(&arn).unwrap()[0].id, message_id);
    assert_eq!(store.running_executions().unwrap().len(), 1);

    // Message ids are never reused, even after reopening.
    store
        .commit(Transition {
            consumed_messages: vec![message_id],
            end: Some(ExecutionEnd::succeeded("{}", at(4))),
            ..Transition::new(&arn)
        })
        .unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    let arn2 = started(&store, "second");
    let next = store.post_message(&arn2, Message::Redrive, at(5)).unwrap();
    assert!(next.id > message_id);
    assert_eq!(
        store.execution(&arn).unwrap().unwrap().status,
        ExecutionStatus::Succeeded
    );
}

#[test]
fn an_empty_file_becomes_a_store() {
    let dir = TempDir::new("empty");
    let path = dir.path().join("store.db");
    std::fs::write(&path, b"").unwrap();
    let store = SqliteStore::open(&path).unwrap();
    started(&store, "run");
    assert_eq!(store.path(), path);
}

fn assert_refused_unchanged(path: &Path, check: impl Fn(&StoreError) -> bool) {
    let before = std::fs::read(path).unwrap();
    let err = SqliteStore::open(path).unwrap_err();
    assert!(check(&err), "unexpected error: {err}");
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "the file was modified"
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = TempDir::new("newer");
    let path = dir.path().join("store.db");
    drop(SqliteStore::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    assert_refused_unchanged(&path, |err| {
        matches!(
            err,
            StoreError::NewerSchema {
                found: 99,
                supported: 2,
                ..
            }
        )
    });
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "store '{}' has schema version 99; this build reads versions up to 2",
            path.display()
        )
    );
}

#[test]
fn a_file_that_is_not_sqlite_is_refused() {
    let dir = TempDir::new("garbage");
    let path = dir.path().join("store.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    assert_refused_unchanged(&path, |err| matches!(err, StoreError::NotADatabase { .. }));

    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "these are not the tables you are looking for\n".repeat(100),
    )
    .unwrap();
    assert_refused_unchanged(&text, |err| matches!(err, StoreError::NotADatabase { .. }));
}

#[test]
fn a_database_of_another_application_is_refused() {
    let dir = TempDir::new("foreign");
    let path = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE executions (arn TEXT); INSERT INTO executions VALUES ('x');",
        )
        .unwrap();
    }
    assert_refused_unchanged(&path, |err| {
        matches!(err, StoreError::ForeignDatabase { .. })
    });

    // Only a header mark, no tables: still not ours.
    let marked = dir.path().join("marked.db");
    {
        let conn = rusqlite::Connection::open(&marked).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    assert_refused_unchanged(&marked, |err| {
        matches!(err, StoreError::ForeignDatabase { .. })
    });
}

#[test]
fn a_missing_directory_is_an_error() {
    let dir = TempDir::new("missing");
    let err = SqliteStore::open(dir.path().join("no/such/dir/store.db")).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
}

#[test]
fn two_handles_on_one_file_share_it() {
    // As two processes would: one hosts the execution, the other answers its task tokens.
    let dir = TempDir::new("shared");
    let path = dir.path().join("store.db");
    let host = SqliteStore::open(&path).unwrap();
    let other = SqliteStore::open(&path).unwrap();
    let arn = started(&host, "run");
    let tokens: Vec<NewTaskToken> = (0..50)
        .map(|i| NewTaskToken {
            token: format!("t{i}"),
            state_name: "S".into(),
        })
        .collect();
    host.commit(Transition {
        tokens_waiting: tokens,
        ..step(&arn, 1..=1)
    })
    .unwrap();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for n in 2..=200u64 {
                host.commit(step(&arn, n..=n)).unwrap();
            }
        });
        scope.spawn(|| {
            for i in 0..50 {
                let token = format!("t{i}");
                assert_eq!(
                    other.task_token(&token).unwrap().unwrap().execution_arn,
                    arn
                );
                other
                    .post_message(&arn, Message::TaskHeartbeat { token }, at(i))
                    .unwrap();
            }
        });
    });
    assert_eq!(host.inbox(&arn).unwrap().len(), 50);
    assert_eq!(other.execution(&arn).unwrap().unwrap().event_count, 200);
}

#[test]
fn plain_sqlite_readers_see_whole_commits_through_checkpoints() {
    // The writer's log goes through a VFS shim that gathers each commit's frames into one write
    // and fsyncs on its own schedule. Another connection, with SQLite's default VFS as another
    // program would have, must only ever see whole commits, across checkpoints and log restarts,
    // and the file must be sound afterwards; a commit bigger than the shim's buffer too.
    let dir = TempDir::new("shim");
    let path = dir.path().join("store.db");
    let store = SqliteStore::open(&path).unwrap();
    let arn = started(&store, "run");
    let commits = 600u64;
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .unwrap();
            let (mut reads, mut last) = (0u64, 0i64);
            while !done.load(std::sync::atomic::Ordering::Acquire) || reads == 0 {
                let (events, recorded): (i64, i64) = conn
                    .query_row(
                        "SELECT (SELECT count(*) FROM events), \
                         (SELECT event_count FROM executions)",
                        [],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .unwrap();
                assert_eq!(events, recorded, "a reader saw half a commit");
                assert!(events >= last, "a reader saw a commit disappear");
                last = events;
                reads += 1;
            }
            reads
        });
        // Stops the reader even when a commit fails, so that the test fails instead of hanging.
        struct Done<'a>(&'a std::sync::atomic::AtomicBool);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::Release);
            }
        }
        let stop = Done(&done);
        for n in 1..=commits {
            let size = if n == commits / 2 { 6 << 20 } else { 16 << 10 };
            store
                .commit(Transition {
                    snapshot: Some(vec![u8::try_from(n % 251).unwrap(); size]),
                    ..step(&arn, n..=n)
                })
                .unwrap();
        }
        drop(stop);
        assert!(reader.join().unwrap() > 0);
    });
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let record = store.execution(&arn).unwrap().unwrap();
    assert_eq!(record.event_count, commits);
    assert_eq!(
        record.snapshot,
        Some(vec![u8::try_from(commits % 251).unwrap(); 16 << 10])
    );
}
