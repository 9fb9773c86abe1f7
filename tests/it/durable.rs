//! Durable executions: every step committed to a SQLite store, recovery after the hosting
//! process dies, callbacks and stops from elsewhere, redrive, activities, idempotent starts.
//!
//! A "process" is a tokio runtime here: dropping a runtime kills its tasks the way a crash
//! kills a process (the crash test with real processes and SIGKILL is `crash.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::TimeZone;
use serde_json::{Value, json};
use workflow_core::exec::{
    Engine, EngineConfig, LoadOptions, StartError, StartOptions, Status, TaskFailure, TaskRequest,
    VirtualClock,
};
use workflow_core::store::{ExecutionStatus, SqliteStore, Store};

use crate::store::TempDir;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn engine(store: &Arc<dyn Store>) -> Engine {
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    Engine::new(EngineConfig {
        clock: Arc::new(VirtualClock::new(start)),
        store: Some(store.clone()),
        ..EngineConfig::default()
    })
}

fn open(dir: &TempDir) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(dir.path().join("state.db")).expect("the store opens"))
}

fn load(engine: &Engine, definition: &Value) -> workflow_core::exec::LoadedMachine {
    let machine = engine
        .load_str(
            &definition.to_string(),
            LoadOptions {
                name: Some("Durable".into()),
                ..LoadOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("the definition loads: {e}"));
    engine.register_machine(&machine);
    machine
}

fn types(history: &[workflow_core::exec::HistoryEvent]) -> Vec<&'static str> {
    history.iter().map(|e| e.event_type.as_str()).collect()
}

fn callback_machine() -> Value {
    json!({"StartAt": "Ask", "States": {
        "Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}},
            "Next": "Done"
        },
        "Done": {"Type": "Pass", "End": true}
    }})
}

#[test]
fn every_step_is_committed_and_the_history_is_the_stores() {
    let dir = TempDir::new("durable-history");
    let store = open(&dir);
    let rt = runtime();
    rt.block_on(async {
        let engine = engine(&store);
        engine.register_function("double", |req: TaskRequest| async move {
            Ok(json!(req.payload.as_i64().unwrap_or(0) * 2))
        });
        let machine = load(
            &engine,
            &json!({"StartAt": "T", "States": {
                "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName": "double", "Payload.$": "$.n"},
                      "OutputPath": "$.Payload", "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 3600, "End": true}
            }}),
        );
        let handle = engine
            .start(&machine, json!({"n": 21}), StartOptions::default())
            .unwrap();
        let outcome = handle.result().await;
        assert_eq!(outcome.output(), Some(&json!(42)));
        let record = store.execution(handle.arn()).unwrap().unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        assert_eq!(record.output.as_deref(), Some("42"));
        let history = handle.history();
        assert_eq!(
            types(&history),
            [
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskSucceeded",
                "TaskStateExited",
                "WaitStateEntered",
                "WaitStateExited",
                "ExecutionSucceeded"
            ]
        );
        let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
        assert_eq!(ids, (1..=9).collect::<Vec<_>>());
    });
}

#[test]
fn a_crashed_host_resumes_in_flight_tasks_and_waits() {
    let dir = TempDir::new("durable-recover");
    let store = open(&dir);
    let definition = json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "work", "Payload.$": "$"},
                 "OutputPath": "$.Payload", "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 60, "End": true}
    }});
    // First process: the task never finishes; the process dies.
    let arn = {
        let rt = runtime();
        rt.block_on(async {
            let engine = engine(&store);
            engine.register_function("work", |_req: TaskRequest| async move {
                std::future::pending::<()>().await;
                Ok(Value::Null)
            });
            let machine = load(&engine, &definition);
            let handle = engine
                .start(&machine, json!({"job": 7}), StartOptions::default())
                .unwrap();
            // Until the task has been scheduled (committed).
            while handle.history().len() < 4 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            handle.arn().to_string()
        })
    };
    drop(store);
    // Second process: the same store; the task runs again and the execution finishes.
    let store = open(&dir);
    let rt = runtime();
    rt.block_on(async {
        let engine = engine(&store);
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        engine.register_function("work", move |req: TaskRequest| {
            seen.fetch_add(1, Ordering::SeqCst);
            async move { Ok(json!({"done": req.payload["job"]})) }
        });
        load(&engine, &definition);
        let (hosted, problems) = engine.recover().await.unwrap();
        assert_eq!((hosted, problems.len()), (1, 0));
        let handle = engine.execution(&arn).expect("hosted");
        let outcome = handle.result().await;
        assert_eq!(outcome.output(), Some(&json!({"done": 7})));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let history = handle.history();
        let scheduled = types(&history)
            .iter()
            .filter(|t| **t == "TaskScheduled")
            .count();
        assert_eq!(scheduled, 1, "the transition is recorded once: {history:?}");
        let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
        assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    });
}

#[test]
fn a_callback_from_another_process_completes_a_waiting_task() {
    let dir = TempDir::new("durable-callback");
    let store = open(&dir);
    let rt = runtime();
    rt.block_on(async {
        let host = engine(&store);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        host.register_function("ask", move |req: TaskRequest| {
            let tx = tx.clone();
            async move {
                tx.send(
                    req.payload["token"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
                .unwrap();
                Ok(Value::Null)
            }
        });
        let machine = load(&host, &callback_machine());
        let handle = host
            .start(&machine, json!({}), StartOptions::default())
            .unwrap();
        let token = rx.recv().await.unwrap();
        // Another "process": its own engine on the same store file, hosting nothing.
        let other = engine(&open(&dir));
        assert!(
            other
                .send_task_success("arn:nope#1", json!(1))
                .await
                .is_err()
        );
        other
            .send_task_success(&token, json!({"approved": true}))
            .await
            .expect("the token is waiting");
        let outcome = handle.result().await;
        assert_eq!(outcome.output(), Some(&json!({"approved": true})));
        // The token was used: a second answer is refused.
        assert!(other.send_task_success(&token, json!(2)).await.is_err());
    });
}

#[test]
fn a_callback_survives_the_restart_of_its_host() {
    let dir = TempDir::new("durable-callback-restart");
    let store = open(&dir);
    let token = Arc::new(Mutex::new(String::new()));
    let arn = {
        let rt = runtime();
        let token = token.clone();
        rt.block_on(async move {
            let engine = engine(&store);
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            engine.register_function("ask", move |req: TaskRequest| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(
                        req.payload["token"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    );
                    Ok(Value::Null)
                }
            });
            let machine = load(&engine, &callback_machine());
            let handle = engine
                .start(&machine, json!({}), StartOptions::default())
                .unwrap();
            *token.lock().unwrap() = rx.recv().await.unwrap();
            // Once the handler's return is committed, the task only waits for its token.
            while !types(&handle.history()).contains(&"TaskSubmitted") {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            handle.arn().to_string()
        })
    };
    let store = open(&dir);
    let rt = runtime();
    rt.block_on(async {
        let engine = engine(&store);
        engine.register_function("ask", |_req: TaskRequest| async move {
            panic!("a callback task waits for its token; it is not started again")
        });
        load(&engine, &callback_machine());
        engine.recover().await.unwrap();
        let token = token.lock().unwrap().clone();
        engine
            .send_task_success(&token, json!("yes"))
            .await
            .unwrap();
        let outcome = engine.execution(&arn).unwrap().result().await;
        assert_eq!(outcome.output(), Some(&json!("yes")));
    });
}

#[test]
fn stop_requests_go_through_the_store() {
    let dir = TempDir::new("durable-stop");
    let store = open(&dir);
    let rt = runtime();
    rt.block_on(async {
        let engine = engine(&store);
        engine.register_function("ask", |_req: TaskRequest| async move { Ok(Value::Null) });
        let machine = load(&engine, &callback_machine());
        let handle = engine
            .start(&machine, json!({}), StartOptions::default())
            .unwrap();
        while handle.history().len() < 4 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        handle.stop(Some("Operator".into()), Some("not needed".into()));
        let outcome = handle.result().await;
        assert!(matches!(outcome.status, Status::Aborted { .. }));
        let record = store.execution(handle.arn()).unwrap().unwrap();
        assert_eq!(record.status, ExecutionStatus::Aborted);
        assert_eq!(record.error.as_deref(), Some("Operator"));
    });
}

#[test]
fn redrive_runs_only_what_did_not_succeed() {
    let dir = TempDir::new("durable-redrive");
    let store = open(&dir);
    let rt = runtime();
    rt.block_on(async {
        let engine = engine(&store);
        let calls: Arc<Mutex<HashMap<i64, usize>>> = Arc::default();
        let healthy = Arc::new(AtomicBool::new(false));
        let (seen, ok) = (calls.clone(), healthy.clone());
        engine.register_function("item", move |req: TaskRequest| {
            let n = req.payload.as_i64().unwrap_or(0);
            *seen.lock().unwrap().entry(n).or_default() += 1;
            let ok = ok.load(Ordering::SeqCst);
            async move {
                if n == 3 && !ok {
                    Err(TaskFailure::new("Item.Broken", "item 3 is broken"))
                } else {
                    Ok(json!(n * 10))
                }
            }
        });
        let machine = load(
            &engine,
            &json!({"StartAt": "Before", "States": {
                "Before": {"Type": "Pass", "Next": "Each"},
                "Each": {
                    "Type": "Map", "MaxConcurrency": 1,
                    "ItemProcessor": {"StartAt": "Item", "States": {"Item": {
                        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "item", "Payload.$": "$"},
                        "OutputPath": "$.Payload", "End": true}}},
                    "End": true
                }
            }}),
        );
        let handle = engine
            .start(&machine, json!([1, 2, 3, 4]), StartOptions::default())
            .unwrap();
        let outcome = handle.result().await;
        assert_eq!(outcome.error(), Some("Item.Broken"));
        assert!(matches!(
            engine
                .redrive("arn:aws:states:us-east-1:123456789012:execution:Durable:nope")
                .await,
            Err(workflow_core::exec::DurableError::ExecutionDoesNotExist { .. })
        ));
        healthy.store(true, Ordering::SeqCst);
        let redriven = engine
            .redrive(handle.arn())
            .await
            .expect("a failed execution redrives");
        let outcome = redriven.result().await;
        assert_eq!(outcome.output(), Some(&json!([10, 20, 30, 40])));
        let calls = calls.lock().unwrap().clone();
        assert_eq!(calls[&1], 1, "item 1 succeeded before: not run again");
        assert_eq!(calls[&2], 1);
        assert_eq!(calls[&3], 2, "item 3 failed: run again");
        assert_eq!(calls[&4], 1, "item 4 never ran before the failure");
        let history = redriven.history();
        assert!(types(&history).contains(&"ExecutionRedriven"));
        assert_eq!(
            types(&history)
                .iter()
                .filter(|t| **t == "PassStateEntered")
                .count(),
            1,
            "the Pass state before the Map is not run again"
        );
        let record = store.execution(handle.arn()).unwrap().unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        assert_eq!(record.redrive_count, 1);
        // A succeeded execution does not redrive.
        assert!(engine.redrive(handle.arn()).await.is_err());
    });
}

#[test]
fn starting_twice_returns_the_same_execution_only_for_the_same_input() {
    let dir = TempDir::new("durable-idempotent");
    let store = open(&dir);
    let rt = runtime();
    rt.block_on(async {
        let engine = engine(&store);
        engine.register_function("ask", |_req: TaskRequest| async move { Ok(Value::Null) });
        let machine = load(&engine, &callback_machine());
        let named = || StartOptions {
            name: Some("order-1".into()),
        };
        let first = engine.start(&machine, json!({"a": 1}), named()).unwrap();
        let again = engine.start(&machine, json!({"a": 1}), named()).unwrap();
        assert_eq!(first.arn(), again.arn());
        let other = engine.start(&machine, json!({"a": 2}), named());
        assert!(matches!(
            other,
            Err(StartError::ExecutionAlreadyExists { .. })
        ));
    });
}

#[test]
fn activity_workers_take_tasks_from_the_store() {
    let dir = TempDir::new("durable-activity");
    let store = open(&dir);
    let rt = runtime();
    rt.block_on(async {
        let engine = engine(&store);
        let activity = "arn:aws:states:us-east-1:123456789012:activity:review";
        let machine = load(
            &engine,
            &json!({"StartAt": "Review", "States": {"Review": {
                "Type": "Task", "Resource": activity, "End": true}}}),
        );
        let handle = engine
            .start(&machine, json!({"doc": "x"}), StartOptions::default())
            .unwrap();
        // A worker (here the same engine; `workflow` commands do it from another process).
        let task = loop {
            if let Some(task) = engine
                .get_activity_task(activity, "worker-1")
                .await
                .unwrap()
            {
                break task;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        };
        assert_eq!(
            serde_json::from_str::<Value>(&task.input).unwrap(),
            json!({"doc": "x"})
        );
        assert!(
            engine
                .get_activity_task(activity, "worker-2")
                .await
                .unwrap()
                .is_none()
        );
        engine
            .send_task_success(&task.task_token, json!({"ok": true}))
            .await
            .unwrap();
        assert_eq!(handle.result().await.output(), Some(&json!({"ok": true})));
        let history: Vec<Value> = handle.history().iter().map(|e| e.to_json()).collect();
        let types: Vec<&str> = history
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types[2..5],
            ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"],
            "{types:?}"
        );
        assert_eq!(
            history[3]["activityStartedEventDetails"],
            json!({"workerName": "worker-1"}),
            "the worker that took the task started it"
        );
    });
}

#[tokio::test]
async fn history_over_the_limit_fails_the_execution() {
    let engine = Engine::default();
    let machine = engine
        .load_str(
            &json!({"StartAt": "Init", "States": {
                "Init": {"Type": "Pass", "Result": {"i": 0}, "Next": "Loop"},
                "Loop": {"Type": "Choice",
                         "Choices": [{"Variable": "$.i", "NumericLessThan": 20000, "Next": "Inc"}],
                         "Default": "Done"},
                "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Loop"},
                "Done": {"Type": "Succeed"}
            }})
            .to_string(),
            LoadOptions::default(),
        )
        .unwrap();
    let outcome = engine
        .run(&machine, json!({}), StartOptions::default())
        .await
        .unwrap();
    assert_eq!(outcome.error(), Some("States.Runtime"));
    assert!(outcome.cause().unwrap_or_default().contains("25000"));
}
