//! Task states on the in-process engine: handlers, Lambda shapes, retries, catchers, timeouts,
//! heartbeats, callbacks, mocks, panics and real concurrency.
//!
//! Time is virtual: tokio's clock is paused, so a one-hour timeout costs nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::TimeZone;
use serde_json::{Value, json};
use workflow_core::exec::{
    Engine, EngineConfig, LoadOptions, Mocks, Outcome, StartOptions, Status, TaskFailure,
    TaskRequest, VirtualClock,
};

fn engine() -> Engine {
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    Engine::new(EngineConfig {
        clock: Arc::new(VirtualClock::new(start)),
        ..EngineConfig::default()
    })
}

async fn run(engine: &Engine, definition: Value, input: Value) -> (Outcome, Vec<String>) {
    let machine = engine
        .load_str(&definition.to_string(), LoadOptions::default())
        .unwrap_or_else(|e| panic!("definition does not load: {e}"));
    let handle = engine
        .start(&machine, input, StartOptions::default())
        .expect("execution starts");
    let outcome = handle.result().await;
    let types = handle
        .history()
        .iter()
        .map(|e| e.event_type.as_str().to_string())
        .collect();
    (outcome, types)
}

fn invoke(function: &str, extra: Value) -> Value {
    let mut state = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
        "End": true
    });
    if let (Value::Object(s), Value::Object(e)) = (&mut state, extra) {
        s.extend(e);
    }
    json!({"StartAt": "T", "States": {"T": state}})
}

#[tokio::test(start_paused = true)]
async fn lambda_invoke_wraps_the_result_like_lambda() {
    let engine = engine();
    engine.register_function("double", |req: TaskRequest| async move {
        let n = req.payload["n"].as_i64().unwrap_or(0);
        Ok(json!({"n": n * 2}))
    });
    let (outcome, history) = run(&engine, invoke("double", json!({})), json!({"n": 21})).await;
    let output = outcome.output().expect("succeeded");
    assert_eq!(output["Payload"], json!({"n": 42}));
    assert_eq!(output["StatusCode"], 200);
    assert_eq!(output["ExecutedVersion"], "$LATEST");
    assert_eq!(
        history,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_function_name_may_be_an_arn_or_a_placeholder() {
    let engine = engine();
    engine.register_function("echo", |req: TaskRequest| async move { Ok(req.payload) });
    for name in [
        "${echo}",
        "arn:aws:lambda:us-east-1:123456789012:function:echo:live",
    ] {
        let def = invoke(name, json!({"OutputPath": "$.Payload"}));
        let (outcome, _) = run(&engine, def, json!({"x": 1})).await;
        assert_eq!(outcome.output(), Some(&json!({"x": 1})), "{name}");
    }
}

#[tokio::test(start_paused = true)]
async fn direct_lambda_arns_record_lambda_events_and_return_the_payload() {
    let engine = engine();
    engine.register_function("echo", |req: TaskRequest| async move { Ok(req.payload) });
    let def = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo",
        "End": true
    }}});
    let (outcome, history) = run(&engine, def, json!({"x": 1})).await;
    assert_eq!(outcome.output(), Some(&json!({"x": 1})));
    assert!(history.contains(&"LambdaFunctionScheduled".to_string()));
    assert!(history.contains(&"LambdaFunctionSucceeded".to_string()));
}

#[tokio::test(start_paused = true)]
async fn retries_back_off_and_then_succeed() {
    let engine = engine();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    engine.register_function("flaky", move |_req: TaskRequest| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < 2 {
                Err(TaskFailure::new("Flaky.Busy", "try again"))
            } else {
                Ok(json!("done"))
            }
        }
    });
    let def = invoke(
        "flaky",
        json!({
            "Retry": [{"ErrorEquals": ["Flaky.Busy"], "IntervalSeconds": 10, "BackoffRate": 3, "MaxAttempts": 5}],
            "OutputPath": "$.Payload"
        }),
    );
    let (outcome, history) = run(&engine, def, json!({})).await;
    assert_eq!(outcome.output(), Some(&json!("done")));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let failed = history.iter().filter(|t| *t == "TaskFailed").count();
    assert_eq!(failed, 2);
    // 10 s, then 30 s of back-off, on the virtual clock.
    let elapsed = outcome.stop_date.unwrap() - outcome.start_date;
    assert_eq!(elapsed.num_seconds(), 40);
}

#[tokio::test(start_paused = true)]
async fn lambda_errors_carry_the_function_error_and_are_caught() {
    let engine = engine();
    engine.register_function("charge", |_req: TaskRequest| async move {
        Err(TaskFailure::new("Payment.Declined", "card declined"))
    });
    let def = json!({"StartAt": "T", "States": {
        "T": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload": {}},
            "Retry": [{"ErrorEquals": ["Other"], "MaxAttempts": 3}],
            "Catch": [{"ErrorEquals": ["Payment.Declined"], "ResultPath": "$.error", "Next": "Handled"}],
            "End": true
        },
        "Handled": {"Type": "Pass", "End": true}
    }});
    let (outcome, history) = run(&engine, def, json!({"order": 7})).await;
    let output = outcome.output().expect("caught");
    assert_eq!(output["order"], 7);
    assert_eq!(output["error"]["Error"], "Payment.Declined");
    let cause: Value = serde_json::from_str(output["error"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["errorMessage"], "card declined");
    assert_eq!(cause["errorType"], "Payment.Declined");
    assert_eq!(
        &history[4..7],
        ["TaskFailed", "TaskStateExited", "PassStateEntered"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_fails_the_task_not_the_engine() {
    let engine = engine();
    engine.register_function("boom", |_req: TaskRequest| async move {
        if true {
            panic!("index out of bounds");
        }
        Ok(Value::Null)
    });
    let def = invoke(
        "boom",
        json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After"}], "End": null}),
    );
    let mut def = def;
    def["States"]["T"].as_object_mut().unwrap().remove("End");
    def["States"]["T"]["Next"] = json!("After");
    def["States"]["After"] = json!({"Type": "Pass", "End": true});
    let (outcome, _) = run(&engine, def, json!({})).await;
    let output = outcome.output().expect("the catcher ran");
    assert_eq!(output["Error"], "States.TaskFailed");
    assert!(
        output["Cause"]
            .as_str()
            .unwrap()
            .contains("index out of bounds")
    );
    // The engine still works.
    engine.register_function("ok", |_req: TaskRequest| async move { Ok(json!(1)) });
    let (outcome, _) = run(&engine, invoke("ok", json!({})), json!({})).await;
    assert!(matches!(outcome.status, Status::Succeeded(_)));
}

#[tokio::test(start_paused = true)]
async fn task_timeout_raises_states_timeout() {
    let engine = engine();
    engine.register_function("hang", |_req: TaskRequest| async move {
        std::future::pending::<()>().await;
        Ok(Value::Null)
    });
    let def = invoke("hang", json!({"TimeoutSeconds": 3600}));
    let (outcome, history) = run(&engine, def, json!({})).await;
    assert_eq!(outcome.error(), Some("States.Timeout"));
    assert!(history.contains(&"TaskTimedOut".to_string()));
    let elapsed = outcome.stop_date.unwrap() - outcome.start_date;
    assert_eq!(elapsed.num_seconds(), 3600);
}

#[tokio::test(start_paused = true)]
async fn callbacks_complete_wait_for_task_token_tasks() {
    let engine = engine();
    let (token_tx, mut token_rx) = tokio::sync::mpsc::unbounded_channel();
    engine.register_function("ask", move |req: TaskRequest| {
        let token_tx = token_tx.clone();
        async move {
            token_tx.send(req.payload["token"].clone()).unwrap();
            Ok(Value::Null)
        }
    });
    let def = json!({"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}},
        "HeartbeatSeconds": 600,
        "End": true
    }}});
    let machine = engine
        .load_str(&def.to_string(), LoadOptions::default())
        .unwrap();
    let handle = engine
        .start(&machine, json!({}), StartOptions::default())
        .unwrap();
    let token = token_rx.recv().await.unwrap();
    let token = token.as_str().expect("the handler got the task token");
    assert!(
        engine
            .send_task_success("not-a-token", json!(1))
            .await
            .is_err()
    );
    engine
        .send_task_heartbeat(token)
        .await
        .expect("a heartbeat reaches the waiting task");
    assert!(engine.send_task_heartbeat("not-a-token").await.is_err());
    engine
        .send_task_success(token, json!({"approved": true}))
        .await
        .expect("the token is waiting");
    let outcome = handle.result().await;
    assert_eq!(outcome.output(), Some(&json!({"approved": true})));
    // A token can be used once.
    assert!(
        engine
            .send_task_success(token, json!({"approved": true}))
            .await
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_callback_times_out_on_its_heartbeat() {
    let engine = engine();
    engine.register_function("ask", |_req: TaskRequest| async move { Ok(Value::Null) });
    let def = json!({"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}},
        "HeartbeatSeconds": 60,
        "TimeoutSeconds": 3600,
        "End": true
    }}});
    let (outcome, _) = run(&engine, def, json!({})).await;
    assert_eq!(outcome.error(), Some("States.HeartbeatTimeout"));
}

#[tokio::test(start_paused = true)]
async fn mocked_responses_follow_invocation_numbers() {
    let engine = engine();
    let mocks = Mocks::from_json(
        &json!({
            "StateMachines": {"Order": {"TestCases": {"Retry": {"Charge": "Flaky"}}}},
            "MockedResponses": {"Flaky": {
                "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow"}},
                "2": {"Return": {"StatusCode": 200, "Payload": {"receipt": "R-1"}}}
            }}
        }),
        Some("Order"),
        Some("Retry"),
    )
    .unwrap();
    let def = json!({"StartAt": "Charge", "States": {"Charge": {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
        "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 1, "MaxAttempts": 3}],
        "OutputPath": "$.Payload",
        "End": true
    }}});
    let machine = engine
        .load_str(
            &def.to_string(),
            LoadOptions {
                mocks: Some(mocks),
                ..LoadOptions::default()
            },
        )
        .expect("a mocked task needs no handler");
    let outcome = engine
        .run(&machine, json!({}), StartOptions::default())
        .await
        .unwrap();
    assert_eq!(outcome.output(), Some(&json!({"receipt": "R-1"})));
}

#[tokio::test(start_paused = true)]
async fn unknown_resources_are_reported_at_load_time() {
    let engine = engine();
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName": "nope"}, "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}
    }});
    let err = engine
        .load_str(&def.to_string(), LoadOptions::default())
        .unwrap_err();
    assert_eq!(err.diagnostics.len(), 2, "{err}");
    assert_eq!(err.diagnostics[0].location, "/States/A");
    assert!(err.diagnostics[0].message.contains("'nope'"), "{err}");
    assert!(
        err.diagnostics[1].message.contains("sqs:sendMessage"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn parallel_branches_run_concurrently() {
    let engine = engine();
    // Each handler waits until both are running: this only finishes if they overlap.
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    engine.register_function("meet", move |req: TaskRequest| {
        let barrier = barrier.clone();
        async move {
            barrier.wait().await;
            Ok(req.payload)
        }
    });
    let branch = |n: i64| {
        let name = format!("T{n}");
        json!({"StartAt": name, "States": {name.clone(): {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "meet", "Payload": n},
            "OutputPath": "$.Payload", "End": true}}})
    };
    let def = json!({"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "Branches": [branch(1), branch(2)], "End": true
    }}});
    let (outcome, _) = run(&engine, def, json!({})).await;
    assert_eq!(outcome.output(), Some(&json!([1, 2])));
}

#[tokio::test(start_paused = true)]
async fn map_respects_max_concurrency() {
    let engine = engine();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (r, p) = (running.clone(), peak.clone());
    engine.register_function("work", move |req: TaskRequest| {
        let (r, p) = (r.clone(), p.clone());
        async move {
            let now = r.fetch_add(1, Ordering::SeqCst) + 1;
            p.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            r.fetch_sub(1, Ordering::SeqCst);
            Ok(json!(req.payload.as_i64().unwrap_or(0) * 10))
        }
    });
    let def = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 2,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "work", "Payload.$": "$"},
            "OutputPath": "$.Payload", "End": true}}},
        "End": true
    }}});
    let (outcome, _) = run(&engine, def, json!([1, 2, 3, 4, 5])).await;
    assert_eq!(outcome.output(), Some(&json!([10, 20, 30, 40, 50])));
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn stopping_an_execution_aborts_it() {
    let engine = engine();
    let def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "End": true}}});
    let machine = engine
        .load_str(&def.to_string(), LoadOptions::default())
        .unwrap();
    // The stop request arrives before the virtual clock may jump a day ahead.
    let handle = engine
        .start(&machine, json!({}), StartOptions::default())
        .unwrap();
    handle.stop(Some("Operator".into()), Some("no longer needed".into()));
    let outcome = handle.result().await;
    assert_eq!(
        outcome.status,
        Status::Aborted {
            error: Some("Operator".into()),
            cause: Some("no longer needed".into())
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_one_day_wait_costs_nothing_on_the_virtual_clock() {
    let engine = engine();
    let def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "End": true}}});
    let (outcome, _) = run(&engine, def, json!({"a": 1})).await;
    assert_eq!(outcome.output(), Some(&json!({"a": 1})));
    assert_eq!(
        (outcome.stop_date.unwrap() - outcome.start_date).num_seconds(),
        86400
    );
}

#[tokio::test(start_paused = true)]
async fn oversized_inputs_are_refused() {
    let engine = engine();
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let machine = engine
        .load_str(&def.to_string(), LoadOptions::default())
        .unwrap();
    let big = json!({"data": "x".repeat(300 * 1024)});
    let err = engine
        .start(&machine, big, StartOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("limit is 262144 bytes"), "{err}");
}
