//! The `workflow` commands over a durable store, run in-process: `start`, `worker`,
//! `get-activity-task`, `send-task-*`, `stop`, `redrive`, `executions` and `run --store`.
//! Workers run on threads with `--until-idle`, bounded by `--seconds`.

use std::path::PathBuf;
use std::thread::JoinHandle;

use serde_json::{Value, json};

use crate::cli::{Ran, fixture, run_error, workflow};

const ACTIVITY: &str = "arn:aws:states:us-east-1:123456789012:activity:approve";

/// A fresh store path for one test.
fn store(test: &str) -> String {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("workflow-cli-store-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("state.db").display().to_string()
}

fn ok(ran: Ran) -> Ran {
    assert_eq!(
        ran.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        ran.stdout, ran.stderr
    );
    ran
}

/// A worker that stops once nothing is RUNNING (or after a minute).
fn worker(store: &str) -> JoinHandle<Ran> {
    let store = store.to_string();
    std::thread::spawn(move || {
        workflow(&[
            "worker",
            "--store",
            &store,
            "--until-idle",
            "--seconds",
            "60",
        ])
    })
}

/// Takes the approval activity's next task, waiting for it; returns its token and input.
fn take_task(store: &str) -> (String, String) {
    let ran = ok(workflow(&[
        "get-activity-task",
        "--store",
        store,
        "--activity",
        ACTIVITY,
        "--wait",
        "30",
        "--json",
    ]));
    let task = ran.json();
    (
        task["taskToken"].as_str().expect("a task came").to_string(),
        task["input"]
            .as_str()
            .expect("the input is a string")
            .to_string(),
    )
}

fn describe(store: &str, arn: &str) -> Value {
    ok(workflow(&[
        "executions",
        "describe",
        "--store",
        store,
        arn,
        "--json",
    ]))
    .json()
}

fn event_types(store: &str, arn: &str) -> Vec<String> {
    let history = ok(workflow(&[
        "executions",
        "history",
        "--store",
        store,
        arn,
        "--json",
    ]))
    .json();
    let events = history["events"].as_array().expect("events").clone();
    let ids: Vec<u64> = events.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>(), "{history}");
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

fn start_approval(store: &str, name: &str, input: &str) -> Ran {
    workflow(&[
        "start",
        &fixture("activity.asl.json"),
        "--store",
        store,
        "--input",
        input,
        "--name",
        name,
        "--json",
    ])
}

#[test]
fn an_execution_started_on_a_store_is_run_by_a_worker_and_answered_by_another_command() {
    let store = store("activity");
    let started = ok(start_approval(&store, "first", r#"{"order": 7}"#)).json();
    let arn = started["executionArn"].as_str().unwrap().to_string();
    assert_eq!(
        arn,
        "arn:aws:states:us-east-1:123456789012:execution:activity:first"
    );
    assert!(started["startDate"].as_str().is_some(), "{started}");

    // Starting it again with the same input returns it; another input is refused.
    let again = ok(start_approval(&store, "first", r#"{"order": 7}"#)).json();
    assert_eq!(again["executionArn"], arn);
    let err = start_approval(&store, "first", r#"{"order": 8}"#);
    assert_eq!(err.code, 2);
    assert!(
        err.stderr.contains("'first' already exists"),
        "{}",
        err.stderr
    );

    let listed = ok(workflow(&[
        "executions",
        "list",
        "--store",
        &store,
        "--json",
    ]))
    .json();
    assert_eq!(listed["executions"][0]["status"], "RUNNING", "{listed}");
    assert_eq!(listed["executions"].as_array().unwrap().len(), 1);

    let hosting = worker(&store);
    let (token, input) = take_task(&store);
    assert_eq!(
        serde_json::from_str::<Value>(&input).unwrap(),
        json!({"order": 7})
    );
    ok(workflow(&[
        "send-task-success",
        "--store",
        &store,
        "--token",
        &token,
        "--output",
        r#"{"ok": true}"#,
    ]));
    let hosted = ok(hosting.join().expect("the worker does not panic"));
    assert!(
        hosted.stderr.contains("hosting 1 more execution"),
        "{}",
        hosted.stderr
    );

    let described = describe(&store, &arn);
    assert_eq!(described["status"], "SUCCEEDED", "{described}");
    let output: Value = serde_json::from_str(described["output"].as_str().unwrap()).unwrap();
    assert_eq!(output, json!({"order": 7, "approval": {"ok": true}}));
    assert_eq!(
        event_types(&store, &arn),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );

    let history = ok(workflow(&[
        "executions",
        "history",
        "--store",
        &store,
        &arn,
        "--json",
    ]))
    .json();
    assert_eq!(
        history["events"][3]["activityStartedEventDetails"],
        json!({"workerName": "workflow-cli"}),
        "the event is recorded when the worker takes the task: {history}"
    );

    // A used token is refused, and nothing changes.
    let err = run_error(&[
        "send-task-success",
        "--store",
        &store,
        "--token",
        &token,
        "--output",
        "{}",
    ]);
    assert!(err.contains("no task is waiting"), "{err}");
    assert_eq!(describe(&store, &arn)["status"], "SUCCEEDED");

    let succeeded = ok(workflow(&[
        "executions",
        "list",
        "--store",
        &store,
        "--status",
        "succeeded",
        "--machine",
        "activity",
    ]));
    assert!(
        succeeded.stdout.starts_with("SUCCEEDED "),
        "{}",
        succeeded.stdout
    );
    let running = ok(workflow(&[
        "executions",
        "list",
        "--store",
        &store,
        "--status",
        "running",
    ]));
    assert_eq!(running.stdout, "no executions\n");
}

#[test]
fn a_stopped_execution_is_redriven_from_its_failed_state() {
    let store = store("redrive");
    let arn = ok(start_approval(&store, "stopped", r#"{"order": 9}"#)).json()["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    let hosting = worker(&store);
    ok(workflow(&[
        "stop",
        "--store",
        &store,
        &arn,
        "--error",
        "Ops.Cancelled",
        "--cause",
        "by hand",
    ]));
    ok(hosting.join().expect("the worker does not panic"));
    let described = describe(&store, &arn);
    assert_eq!(described["status"], "ABORTED", "{described}");
    assert_eq!(described["error"], "Ops.Cancelled");
    assert_eq!(described["cause"], "by hand");

    let err = run_error(&["stop", "--store", &store, &arn]);
    assert!(err.contains("is ABORTED"), "{err}");

    ok(workflow(&["redrive", "--store", &store, &arn]));
    let described = describe(&store, &arn);
    assert_eq!(described["status"], "RUNNING", "{described}");
    assert_eq!(described["redriveCount"], 1);

    let hosting = worker(&store);
    let (token, _) = take_task(&store);
    ok(workflow(&[
        "send-task-success",
        "--store",
        &store,
        "--token",
        &token,
        "--output",
        r#"{"ok": "late"}"#,
    ]));
    ok(hosting.join().expect("the worker does not panic"));
    let described = describe(&store, &arn);
    assert_eq!(described["status"], "SUCCEEDED", "{described}");
    let types = event_types(&store, &arn);
    assert!(types.contains(&"ExecutionAborted".to_string()), "{types:?}");
    assert!(
        types.contains(&"ExecutionRedriven".to_string()),
        "{types:?}"
    );
    assert_eq!(types.last().map(String::as_str), Some("ExecutionSucceeded"));

    let err = run_error(&["redrive", "--store", &store, &arn]);
    assert!(err.contains("SUCCEEDED"), "{err}");
    assert_eq!(describe(&store, &arn)["status"], "SUCCEEDED");
}

#[test]
fn a_failed_callback_fails_the_task_with_its_error() {
    let store = store("failure");
    let arn = ok(start_approval(&store, "refused", "{}")).json()["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    let hosting = worker(&store);
    let (token, _) = take_task(&store);
    ok(workflow(&[
        "send-task-heartbeat",
        "--store",
        &store,
        "--token",
        &token,
    ]));
    ok(workflow(&[
        "send-task-failure",
        "--store",
        &store,
        "--token",
        &token,
        "--error",
        "Approval.Refused",
        "--cause",
        "over budget",
    ]));
    ok(hosting.join().expect("the worker does not panic"));
    let described = describe(&store, &arn);
    assert_eq!(described["status"], "FAILED", "{described}");
    assert_eq!(described["error"], "Approval.Refused");
    assert_eq!(described["cause"], "over budget");
    assert!(event_types(&store, &arn).contains(&"ActivityFailed".to_string()));
}

#[test]
fn run_with_a_store_commits_the_execution_and_its_history() {
    let store = store("run");
    let args = |name: &'static str| {
        vec![
            "run".to_string(),
            fixture("charge.asl.json"),
            "--mocks".into(),
            fixture("charge.mocks.json"),
            "--test-case".into(),
            "BusyTwiceThenPaid".into(),
            "--clock".into(),
            "virtual".into(),
            "--json".into(),
            "--name".into(),
            name.into(),
        ]
    };
    let in_memory = ok(workflow(
        &args("n1").iter().map(String::as_str).collect::<Vec<_>>(),
    ))
    .json();
    let mut durable_args = args("n1");
    durable_args.extend(["--store".to_string(), store.clone()]);
    let durable_args: Vec<&str> = durable_args.iter().map(String::as_str).collect();
    let durable = ok(workflow(&durable_args));
    assert!(
        durable.stderr.contains("started arn:"),
        "{}",
        durable.stderr
    );
    let durable = durable.json();
    assert_eq!(durable["status"], "SUCCEEDED");
    assert_eq!(durable["output"], json!({"receipt": "R-1"}));
    let types = |run: &Value| -> Vec<Value> {
        run["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].clone())
            .collect()
    };
    assert_eq!(types(&durable), types(&in_memory));

    let arn = "arn:aws:states:us-east-1:123456789012:execution:charge:n1";
    assert_eq!(describe(&store, arn)["status"], "SUCCEEDED");
    assert_eq!(event_types(&store, arn).len(), types(&durable).len());

    // The name is taken: a closed execution is not started again.
    let err = run_error(&durable_args);
    assert!(err.contains("'n1' already exists"), "{err}");
}

/// Hosting is guarded by a lock on `PATH.lock`: a worker holds it alone, `run --store` shares
/// it. The test takes the lock itself, standing in for another process.
#[test]
fn one_worker_hosts_a_store_at_a_time() {
    let store = store("lock");
    ok(workflow(&["executions", "list", "--store", &store]));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(format!("{store}.lock"))
        .unwrap();
    let hello = |store: &str| {
        workflow(&[
            "run",
            &fixture("hello.asl.json"),
            "--store",
            store,
            "--input",
            r#"{"who": "store"}"#,
            "--json",
        ])
    };

    // A worker elsewhere: no other worker, no `run --store`.
    lock.lock().unwrap();
    let err = run_error(&["worker", "--store", &store, "--seconds", "0"]);
    assert!(
        err.contains("another process hosts executions of the store"),
        "{err}"
    );
    let ran = hello(&store);
    assert_eq!(ran.code, 2, "{}", ran.stdout);
    assert!(
        ran.stderr.contains("a worker hosts the executions"),
        "{}",
        ran.stderr
    );
    lock.unlock().unwrap();

    // A `run --store` elsewhere: other runs go ahead, a worker waits its turn.
    lock.lock_shared().unwrap();
    assert_eq!(ok(hello(&store)).json()["status"], "SUCCEEDED");
    let err = run_error(&["worker", "--store", &store, "--seconds", "0"]);
    assert!(
        err.contains("another process hosts executions of the store"),
        "{err}"
    );
    lock.unlock().unwrap();
    ok(workflow(&["worker", "--store", &store, "--seconds", "0"]));
}

#[test]
fn bad_stores_tokens_and_executions_are_clear_errors() {
    let dir = std::env::temp_dir().join(format!("workflow-cli-store-{}-bad", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.db");
    std::fs::write(
        &garbage,
        b"this is not a SQLite database, just text. ".repeat(200),
    )
    .unwrap();
    let garbage = garbage.display().to_string();
    let err = run_error(&["executions", "list", "--store", &garbage]);
    assert!(err.contains("cannot open the store"), "{err}");
    let err = run_error(&["worker", "--store", &garbage, "--seconds", "0"]);
    assert!(err.contains("cannot open the store"), "{err}");
    assert_eq!(
        std::fs::read(&garbage).unwrap(),
        b"this is not a SQLite database, just text. ".repeat(200),
        "a foreign file is left as it was"
    );

    let store = store("bad");
    let err = run_error(&[
        "executions",
        "describe",
        "--store",
        &store,
        "arn:aws:states:us-east-1:123456789012:execution:nope:nope",
    ]);
    assert!(err.contains("the store has no execution"), "{err}");
    for command in ["send-task-failure", "send-task-heartbeat"] {
        let err = run_error(&[command, "--store", &store, "--token", "not-a-token"]);
        assert!(err.contains("not-a-token"), "{command}: {err}");
    }
    let err = run_error(&[
        "redrive",
        "--store",
        &store,
        "arn:aws:states:us-east-1:123456789012:execution:nope:nope",
    ]);
    assert!(err.contains("cannot redrive"), "{err}");
    let err = run_error(&["executions", "list", "--store", &store, "--machine", "nope"]);
    assert!(err.contains("no state machine 'nope'"), "{err}");
    let err = run_error(&["start", &fixture("charge.asl.json"), "--store", &store]);
    assert!(err.contains("cannot run"), "{err}");
}
