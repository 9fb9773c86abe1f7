//! Crash safety of the SQLite store alone: a child process commits numbered transitions and
//! prints each number once its commit returns; the parent kills it with SIGKILL at random moments,
//! reopens the store and checks that every acknowledged commit is there, whole.
//!
//! The child is this test binary, started with `WORKFLOW_STORE_CRASH_CHILD` set, running only
//! `crash_child`. `WORKFLOW_STORE_CRASH_ROUNDS` sets the number of kills (default 20).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use workflow_core::store::{
    EventRecord, HistoryQuery, NewExecution, NewTaskToken, SqliteStore, Store, TokenStatus,
    Transition,
};

use super::{MACHINE, TempDir, execution_arn, machine, t0};

const CHILD_ENV: &str = "WORKFLOW_STORE_CRASH_CHILD";
const WRITERS: usize = 4;
const EVENTS_PER_COMMIT: u64 = 3;

fn snapshot_of(n: u64) -> Vec<u8> {
    // About 500 bytes, different for every commit.
    format!("{n:>8}|").repeat(56).into_bytes()
}

fn commit_number(arn: &str, n: u64) -> Transition {
    let first = (n - 1) * EVENTS_PER_COMMIT + 1;
    Transition {
        events: (first..first + EVENTS_PER_COMMIT)
            .map(|id| EventRecord {
                id,
                event_type: "PassStateEntered".into(),
                timestamp: t0(),
                json: format!(r#"{{"commit":{n},"id":{id}}}"#),
            })
            .collect(),
        snapshot: Some(snapshot_of(n)),
        tokens_waiting: vec![NewTaskToken {
            token: format!("{arn}#{n}"),
            state_name: "S".into(),
        }],
        ..Transition::new(arn)
    }
}

/// The child: commits forever from where the store left off, printing `ack <writer> <n>`.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let store = SqliteStore::open(Path::new(&path)).expect("child opens the store");
    store.put_state_machine(machine("m")).expect("machine");
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let store = &store;
            scope.spawn(move || {
                let name = format!("w{writer}");
                let arn = execution_arn(&name);
                let started = store
                    .start_execution(NewExecution::new(&arn, &name, MACHINE, "{}", t0()))
                    .expect("start");
                let mut n = started.execution.event_count / EVENTS_PER_COMMIT;
                loop {
                    n += 1;
                    store.commit(commit_number(&arn, n)).expect("commit");
                    println!("ack {writer} {n}");
                }
            });
        }
    });
}

#[test]
fn acknowledged_commits_survive_sigkill() {
    let rounds: usize = std::env::var("WORKFLOW_STORE_CRASH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(20);
    let dir = TempDir::new("crash");
    let path = dir.path().join("store.db");
    let exe = std::env::current_exe().unwrap();
    let mut acked: HashMap<usize, u64> = HashMap::new();
    let mut total_acks = 0;
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["store::crash::crash_child", "--exact", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            // A line cut short by the kill has no newline and is not an acknowledgement.
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                if line.ends_with('\n') {
                    lines.push(line.trim_end().to_owned());
                }
                line.clear();
            }
            lines
        });
        // Half the kills land early (while the store opens), the rest while it commits.
        let delay = if round % 2 == 0 {
            fastrand::u64(0..30)
        } else {
            fastrand::u64(30..250)
        };
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        child.wait().unwrap();
        for line in reader.join().unwrap() {
            let Some(rest) = line.strip_prefix("ack ") else {
                continue;
            };
            let (writer, n) = rest.split_once(' ').unwrap();
            let n: u64 = n.parse().unwrap();
            let best = acked.entry(writer.parse().unwrap()).or_default();
            *best = (*best).max(n);
            total_acks += 1;
        }
        check(&path, &acked);
    }
    eprintln!("{rounds} kills, {total_acks} acknowledged commits");
    assert!(total_acks > 0, "the child never acknowledged a commit");
}

/// Every acknowledged commit is present, and the store holds whole commits only.
fn check(path: &Path, acked: &HashMap<usize, u64>) {
    if !path.exists() {
        assert!(acked.is_empty());
        return;
    }
    let store = SqliteStore::open(path).unwrap();
    for writer in 0..WRITERS {
        let arn = execution_arn(&format!("w{writer}"));
        let Some(record) = store.execution(&arn).unwrap() else {
            assert_eq!(acked.get(&writer), None);
            continue;
        };
        assert_eq!(record.event_count % EVENTS_PER_COMMIT, 0, "half a commit");
        let committed = record.event_count / EVENTS_PER_COMMIT;
        let acknowledged = acked.get(&writer).copied().unwrap_or(0);
        assert!(
            committed >= acknowledged,
            "writer {writer}: commit {acknowledged} was acknowledged, only {committed} are stored"
        );
        if committed > 0 {
            assert_eq!(record.snapshot, Some(snapshot_of(committed)));
        }
        let history = store.history(&arn, &HistoryQuery::default()).unwrap();
        assert_eq!(history.len() as u64, record.event_count);
        for (index, event) in history.iter().enumerate() {
            let id = index as u64 + 1;
            let n = (id - 1) / EVENTS_PER_COMMIT + 1;
            assert_eq!(event.json, format!(r#"{{"commit":{n},"id":{id}}}"#));
        }
        for n in 1..=committed {
            let token = store.task_token(&format!("{arn}#{n}")).unwrap().unwrap();
            assert_eq!(token.status, TokenStatus::Waiting);
        }
        assert_eq!(
            store
                .task_token(&format!("{arn}#{}", committed + 1))
                .unwrap(),
            None
        );
    }
}
