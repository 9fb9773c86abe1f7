//! Crash test of durable executions: a child process hosts a workload of Standard executions
//! (tasks with side effects, a Wait, a Map, a Parallel, a callback) on a SQLite store; this
//! process kills it with SIGKILL at random moments, restarts it, and answers its callbacks from
//! outside. At the end every execution must have its correct output, no history may record a
//! transition twice, every task must have run at least once, and no task whose result was
//! committed before a kill may have run again after it.
//!
//! The child is this test binary, started with `WORKFLOW_CRASH_DIR` set, running only
//! `crash::host`. `WORKFLOW_CRASH_KILLS` sets the number of kills (default 200) and
//! `WORKFLOW_CRASH_EXECUTIONS` the number of executions (default 200).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use workflow_core::exec::{Engine, EngineConfig, LoadOptions, StartOptions, TaskRequest};
use workflow_core::store::{ExecutionFilter, ExecutionStatus, HistoryQuery, SqliteStore, Store};

use crate::store::TempDir;

const DIR_ENV: &str = "WORKFLOW_CRASH_DIR";
const GENERATION_ENV: &str = "WORKFLOW_CRASH_GENERATION";

fn executions() -> usize {
    std::env::var("WORKFLOW_CRASH_EXECUTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200)
}

fn definition() -> Value {
    let task = |function: &str, payload: Value| {
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
               "Parameters": {"FunctionName": function, "Payload": payload},
               "OutputPath": "$.Payload"})
    };
    let mut charge = task("charge", json!({"execution.$": "$$.Execution.Name"}));
    charge["ResultPath"] = json!("$.charged");
    charge["OutputPath"] = json!("$");
    charge["ResultSelector"] = json!({"amount.$": "$.Payload.amount"});
    charge["Next"] = json!("Nap");
    let mut ship = task(
        "ship",
        json!({"execution.$": "$$.Execution.Name", "item.$": "$"}),
    );
    ship["End"] = json!(true);
    let mut pack = task("pack", json!({"execution.$": "$$.Execution.Name"}));
    pack["End"] = json!(true);
    json!({"StartAt": "Charge", "States": {
        "Charge": charge,
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Ship"},
        "Ship": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
            "ItemProcessor": {"StartAt": "ShipItem", "States": {"ShipItem": ship}},
            "ResultPath": "$.shipped", "Next": "Both"
        },
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Label", "States": {"Label": {"Type": "Pass", "Result": "labelled", "End": true}}},
                {"StartAt": "Pack", "States": {"Pack": pack}}
            ],
            "ResultPath": "$.both", "Next": "Approve"
        },
        "Approve": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "ask",
                           "Payload": {"token.$": "$$.Task.Token", "execution.$": "$$.Execution.Name"}},
            "ResultPath": "$.approval", "Next": "Done"
        },
        "Done": {"Type": "Pass", "End": true}
    }})
}

fn expected_output(n: usize) -> Value {
    let name = format!("order-{n}");
    json!({
        "items": ["a", "b", "c"],
        "charged": {"amount": n},
        "shipped": [
            {"item": "a", "by": name}, {"item": "b", "by": name}, {"item": "c", "by": name}
        ],
        "both": ["labelled", {"packed": name}],
        "approval": {"approved": name}
    })
}

/// The order in which every execution enters its states (no state is entered twice).
const STATES_ENTERED: &[&str] = &[
    "Charge", "Nap", "Ship", "ShipItem", "ShipItem", "ShipItem", "Both", "Label", "Pack",
    "Approve", "Done",
];

/// Appends a side effect: `<generation> <key>`.
fn record(path: &Path, generation: &str, key: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("side effects file");
    // One small write with O_APPEND: a line is whole or absent.
    let _ = file.write_all(format!("{generation} {key}\n").as_bytes());
}

/// The child: hosts the workload until it is killed.
#[test]
fn host() {
    let Some(dir) = std::env::var_os(DIR_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let generation = std::env::var(GENERATION_ENV).unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(dir.join("state.db")).expect("the child opens the store"));
        let engine = Engine::new(EngineConfig {
            store: Some(store),
            ..EngineConfig::default()
        });
        let effects = dir.join("effects.log");
        let tokens = dir.join("tokens.log");
        let side = |name: &'static str, effects: PathBuf, generation: String| {
            move |req: TaskRequest| {
                let execution = req.payload["execution"].as_str().unwrap_or("?").to_string();
                let item = req.payload["item"].as_str().map(str::to_string);
                let key = match &item {
                    Some(item) => format!("{execution}/{name}/{item}"),
                    None => format!("{execution}/{name}"),
                };
                record(&effects, &generation, &key);
                async move {
                    Ok(match name {
                        "charge" => {
                            let n: i64 =
                                execution.trim_start_matches("order-").parse().unwrap_or(-1);
                            json!({"amount": n})
                        }
                        "ship" => json!({"item": item, "by": execution}),
                        _ => json!({"packed": execution}),
                    })
                }
            }
        };
        engine.register_function(
            "charge",
            side("charge", effects.clone(), generation.clone()),
        );
        engine.register_function("ship", side("ship", effects.clone(), generation.clone()));
        engine.register_function("pack", side("pack", effects.clone(), generation.clone()));
        engine.register_function("ask", move |req: TaskRequest| {
            let line = format!(
                "{} {}",
                req.payload["execution"].as_str().unwrap_or("?"),
                req.payload["token"].as_str().unwrap_or("?")
            );
            record(&tokens, &generation, &line);
            async move { Ok(Value::Null) }
        });
        let machine = engine
            .load_str(
                &definition().to_string(),
                LoadOptions {
                    name: Some("Orders".into()),
                    ..LoadOptions::default()
                },
            )
            .expect("the workload loads");
        engine.register_machine(&machine);
        engine.recover().await.expect("recovery");
        for n in 0..executions() {
            // Idempotent: an execution started before is returned (and hosted) or, when it
            // has ended, refused.
            let _ = engine.start(
                &machine,
                json!({"items": ["a", "b", "c"]}),
                StartOptions {
                    name: Some(format!("order-{n}")),
                },
            );
        }
        println!("hosting");
        std::future::pending::<()>().await;
    });
}

fn spawn(dir: &Path, generation: usize) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "crash::host",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(DIR_ENV, dir)
        .env(GENERATION_ENV, generation.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts")
}

/// Answers every callback token the child has asked about so far, from this process.
async fn answer_callbacks(engine: &Engine, dir: &Path, answered: &mut HashSet<String>) {
    let Ok(text) = std::fs::read_to_string(dir.join("tokens.log")) else {
        return;
    };
    for line in text.lines() {
        let mut parts = line.split(' ');
        let (_, Some(execution), Some(token)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if answered.contains(token) {
            continue;
        }
        // Refused when the token was answered before, or belongs to an earlier, dead attempt.
        if engine
            .send_task_success(token, json!({"approved": execution}))
            .await
            .is_ok()
        {
            answered.insert(token.to_string());
        }
    }
}

/// Every execution in one page.
fn all_executions() -> ExecutionFilter {
    ExecutionFilter {
        limit: usize::MAX,
        ..ExecutionFilter::default()
    }
}

/// The task keys whose results are committed.
fn committed_tasks(store: &dyn Store) -> HashSet<String> {
    let mut done = HashSet::new();
    let page = store.list_executions(&all_executions()).expect("list");
    for summary in page.items {
        let history = store
            .history(&summary.execution_arn, &HistoryQuery::default())
            .expect("history");
        let events: Vec<Value> = history
            .iter()
            .map(|e| serde_json::from_str(&e.json).unwrap())
            .collect();
        // A TaskSucceeded follows its TaskScheduled, whose parameters name the task.
        let mut scheduled: HashMap<u64, String> = HashMap::new();
        for event in &events {
            let kind = event["event_type"].as_str().unwrap_or_default();
            let id = event["id"].as_u64().unwrap_or(0);
            if kind == "TaskScheduled" {
                let parameters = &event["details"]["TaskScheduled"]["parameters"];
                let function = parameters["FunctionName"].as_str().unwrap_or_default();
                let payload = &parameters["Payload"];
                let execution = payload["execution"].as_str().unwrap_or_default();
                let key = match payload["item"].as_str() {
                    Some(item) => format!("{execution}/{function}/{item}"),
                    None => format!("{execution}/{function}"),
                };
                scheduled.insert(id, key);
            }
            if kind == "TaskSucceeded" {
                let previous = event["previous_event_id"].as_u64().unwrap_or(0);
                // TaskScheduled, TaskStarted, TaskSucceeded in one frame's thread.
                let started = events
                    .iter()
                    .find(|e| e["id"].as_u64() == Some(previous))
                    .and_then(|e| e["previous_event_id"].as_u64())
                    .unwrap_or(0);
                if let Some(key) = scheduled.get(&started) {
                    done.insert(key.clone());
                }
            }
        }
    }
    done
}

#[test]
fn executions_survive_sigkill() {
    let kills: usize = std::env::var("WORKFLOW_CRASH_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let total = executions();
    let dir = TempDir::new("engine-crash");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut answered = HashSet::new();
    // For each kill: the tasks committed before it, and the generation that was killed.
    let mut committed_before: Vec<(usize, HashSet<String>)> = Vec::new();
    let started = Instant::now();
    for generation in 0..kills {
        let mut child = spawn(dir.path(), generation);
        let delay = if generation % 4 == 0 {
            fastrand::u64(0..40)
        } else {
            fastrand::u64(40..400)
        };
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(dir.path().join("state.db")).expect("the store reopens"));
        if store.state_machine("Orders").ok().flatten().is_some() {
            committed_before.push((generation, committed_tasks(store.as_ref())));
        }
        let engine = Engine::new(EngineConfig {
            store: Some(store),
            ..EngineConfig::default()
        });
        rt.block_on(answer_callbacks(&engine, dir.path(), &mut answered));
    }
    // The last run goes to the end.
    let mut child = spawn(dir.path(), kills);
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path().join("state.db")).expect("the store opens"));
    let engine = Engine::new(EngineConfig {
        store: Some(store.clone()),
        ..EngineConfig::default()
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        rt.block_on(answer_callbacks(&engine, dir.path(), &mut answered));
        let page = store.list_executions(&all_executions()).expect("list");
        let finished = page
            .items
            .iter()
            .filter(|e| e.status != ExecutionStatus::Running)
            .count();
        if page.items.len() == total && finished == total {
            break;
        }
        if Instant::now() >= deadline {
            let stuck = page
                .items
                .iter()
                .find(|e| e.status == ExecutionStatus::Running)
                .map(|e| e.execution_arn.clone())
                .unwrap_or_default();
            let tail: Vec<String> = store
                .history(&stuck, &HistoryQuery::default())
                .unwrap_or_default()
                .iter()
                .rev()
                .take(6)
                .map(|e| e.event_type.clone())
                .collect();
            let record = store.execution(&stuck).ok().flatten();
            panic!(
                "{finished} of {} executions finished in time ({total} expected); {stuck} is stuck after {tail:?}, wake {:?}, inbox {:?}",
                page.items.len(),
                record.map(|r| r.wake_at),
                store.inbox(&stuck)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    // Every execution ended with its correct output, and recorded each transition once.
    for n in 0..total {
        let arn = format!("arn:aws:states:us-east-1:123456789012:execution:Orders:order-{n}");
        let record = store
            .execution(&arn)
            .unwrap()
            .expect("the execution exists");
        assert_eq!(
            record.status,
            ExecutionStatus::Succeeded,
            "order-{n}: {record:?}"
        );
        let output: Value = serde_json::from_str(record.output.as_deref().unwrap()).unwrap();
        assert_eq!(output, expected_output(n), "order-{n}");
        let history = store.history(&arn, &HistoryQuery::default()).unwrap();
        let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
        assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>(), "order-{n}");
        let mut entered: Vec<String> = history
            .iter()
            .filter(|e| e.event_type.ends_with("StateEntered"))
            .map(|e| {
                let event: Value = serde_json::from_str(&e.json).unwrap();
                event["details"]["StateEntered"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        let mut want: Vec<String> = STATES_ENTERED.iter().map(|s| s.to_string()).collect();
        // Branches and iterations interleave freely: compare as multisets.
        entered.sort();
        want.sort();
        assert_eq!(
            entered, want,
            "order-{n}: a transition was recorded twice or not at all"
        );
    }
    // Side effects: every task ran; none ran again once its result was committed.
    let effects = std::fs::read_to_string(dir.path().join("effects.log")).unwrap_or_default();
    let mut runs: HashMap<String, Vec<usize>> = HashMap::new();
    for line in effects.lines() {
        if let Some((generation, key)) = line.split_once(' ') {
            runs.entry(key.to_string())
                .or_default()
                .push(generation.parse().unwrap_or(usize::MAX));
        }
    }
    let mut tasks = 0;
    for n in 0..total {
        let name = format!("order-{n}");
        for key in [
            format!("{name}/charge"),
            format!("{name}/ship/a"),
            format!("{name}/ship/b"),
            format!("{name}/ship/c"),
            format!("{name}/pack"),
        ] {
            assert!(runs.contains_key(&key), "{key} never ran");
            tasks += 1;
        }
    }
    let mut reruns = 0;
    for (killed, committed) in &committed_before {
        // Callback tasks (`ask`) are answered from outside; their side effect is the token.
        for key in committed.iter().filter(|k| !k.ends_with("/ask")) {
            let after: Vec<&usize> = runs
                .get(key)
                .map(|g| g.iter().filter(|g| **g > *killed).collect())
                .unwrap_or_default();
            assert!(runs.contains_key(key), "{key} is committed but never ran");
            assert!(
                after.is_empty(),
                "{key} was committed before kill {killed} and ran again in generations {after:?}"
            );
        }
    }
    for generations in runs.values() {
        reruns += generations.len() - 1;
    }
    eprintln!(
        "crash test: {kills} kills, {total} executions, {tasks} tasks, {reruns} task runs repeated \
         after a kill before their result was committed, {} callbacks answered, {:.0} s",
        answered.len(),
        started.elapsed().as_secs_f64()
    );
}
