//! The examples of `examples/`: their checked-in ASL is what they export today, it passes the
//! independent npm `asl-validator` and our validator, and each runs on the engine with the
//! same result as its direct (plain Rust) form, with the same task results (a differential
//! check of the lowering).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use workflow_core::asl;
use workflow_core::exec::{Engine, EngineConfig, VirtualClock};
use workflow_core::{Workflow, WorkflowError};

#[allow(dead_code)]
#[path = "../../examples/approval.rs"]
mod approval;
#[allow(dead_code)]
#[path = "../../examples/fan_out.rs"]
mod fan_out;
#[allow(dead_code)]
#[path = "../../examples/image_batch.rs"]
mod image_batch;
#[allow(dead_code)]
#[path = "../../examples/order.rs"]
mod order;
#[allow(dead_code)]
#[path = "../../examples/parent_child.rs"]
mod parent_child;
#[allow(dead_code)]
#[path = "../../examples/polling.rs"]
mod polling;

/// Each example's name (its file and its `asl/NAME.asl.json`) and main workflow.
fn examples() -> Vec<(&'static str, Workflow)> {
    vec![
        ("order", order::process_order::workflow()),
        ("approval", approval::approve_expense::workflow()),
        ("image_batch", image_batch::thumbnail_batch::workflow()),
        ("fan_out", fan_out::quote_trip::workflow()),
        ("polling", polling::export_report::workflow()),
        ("parent_child", parent_child::fulfil_purchase::workflow()),
    ]
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

#[test]
fn checked_in_asl_is_what_the_examples_export() {
    let mut stale = Vec::new();
    for (name, workflow) in examples() {
        let path = examples_dir().join(format!("asl/{name}.asl.json"));
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        if checked_in != workflow_core::cli::pretty(&workflow) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale examples/asl files for {stale:?}: run `cargo run -p workflow-examples --example NAME` to rewrite them"
    );
}

/// The recorded verdicts of npm `asl-validator` on the exported examples.
const VERDICTS: &str = "examples/asl-validator-verdicts.jsonl";

fn verdicts_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(VERDICTS)
}

/// Runs `../shared/tools/asl-validate --json` on the exported examples; `Err` says why it
/// could not run (no node, no npm registry, no shared tools).
fn run_asl_validator() -> Result<Vec<(String, Value)>, String> {
    // `shared/` sits beside the repository (or beside the worktrees' directory).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        root.join("../shared/tools/asl-validate"),
        root.join("../../shared/tools/asl-validate"),
    ];
    let Some(tool) = candidates.iter().find(|tool| tool.exists()) else {
        return Err("../shared/tools/asl-validate does not exist".to_string());
    };
    let mut files = Vec::new();
    for (name, _) in examples() {
        files.push(examples_dir().join(format!("asl/{name}.asl.json")));
    }
    let output = std::process::Command::new(tool)
        .arg("--json")
        .args(&files)
        .output()
        .map_err(|err| format!("cannot run {}: {err}", tool.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    if lines.len() != files.len() {
        return Err(format!(
            "asl-validate did not run (exit {:?}): {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(examples()
        .into_iter()
        .zip(lines)
        .map(|((name, _), verdict)| (name.to_string(), verdict))
        .collect())
}

/// Every example passes npm `asl-validator`: live when the tool can be installed (and then the
/// recorded verdicts must agree), else from the verdicts recorded in `VERDICTS`, which must be
/// about the current exports. `RECORD_ASL_VALIDATOR=1` rewrites the recording.
#[test]
fn examples_pass_the_npm_asl_validator() {
    let live = run_asl_validator();
    if let Ok(verdicts) = &live {
        for (name, verdict) in verdicts {
            assert_eq!(
                verdict["isValid"], true,
                "asl-validator rejects {name}: {verdict}"
            );
        }
        if std::env::var_os("RECORD_ASL_VALIDATOR").is_some() {
            let mut text = String::new();
            for ((name, workflow), (_, verdict)) in examples().into_iter().zip(verdicts) {
                let line = json!({
                    "example": name,
                    "definition": workflow.asl(),
                    "asl_validator": {"valid": verdict["isValid"], "errors": verdict["errors"]},
                });
                text.push_str(&line.to_string());
                text.push('\n');
            }
            std::fs::write(verdicts_path(), text).expect("writes the verdicts");
        }
    } else if let Err(reason) = &live {
        println!("asl-validator skipped live ({reason}); checking the recorded verdicts");
    }
    let recorded = std::fs::read_to_string(verdicts_path()).unwrap_or_default();
    for (name, workflow) in examples() {
        let line = recorded
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|line| line["example"] == name)
            .unwrap_or_else(|| {
                panic!(
                    "no recorded asl-validator verdict for {name}; run with RECORD_ASL_VALIDATOR=1"
                )
            });
        assert_eq!(
            line["definition"],
            workflow.asl(),
            "the recorded verdict for {name} is about an older export; run with RECORD_ASL_VALIDATOR=1"
        );
        assert_eq!(line["asl_validator"]["valid"], true, "{name}: {line}");
    }
}

#[test]
fn examples_pass_our_validator() {
    for (name, workflow) in examples() {
        if let Err(diagnostics) = asl::load_str(workflow.asl_text()) {
            panic!("{name}: {diagnostics}");
        }
    }
}

type Outcome<T> = Result<T, (String, Option<String>)>;

fn from_direct<T>(result: Result<T, WorkflowError>) -> Outcome<T> {
    result.map_err(|err| (err.error, err.cause))
}

fn from_engine<T>(result: Result<T, workflow_core::ExecutionError>) -> Outcome<T> {
    result.map_err(|err| (err.error, err.cause))
}

fn virtual_engine() -> Engine {
    Engine::new(EngineConfig {
        clock: Arc::new(VirtualClock::starting_now()),
        ..EngineConfig::default()
    })
}

#[tokio::test]
async fn order_direct_and_engine_agree() {
    let line = |sku: &str, quantity| order::Line {
        sku: sku.into(),
        quantity,
    };
    let orders = [
        order::Order {
            order_id: "o-1".into(),
            total: 120.0,
            lines: vec![line("apple", 2), line("pear", 1)],
        },
        order::Order {
            order_id: "o-2".into(),
            total: 5000.0,
            lines: vec![line("apple", 1)],
        },
        order::Order {
            order_id: "o-3".into(),
            total: 10.0,
            lines: vec![],
        },
        order::Order {
            order_id: "o-4".into(),
            total: 10.0,
            lines: vec![line("", 1)],
        },
    ];
    for input in orders {
        let expected = from_direct(order::process_order(input.clone()).await);
        let engine_result = from_engine(
            order::process_order::start(&virtual_engine(), input.clone())
                .expect("starts")
                .result()
                .await,
        );
        assert_eq!(engine_result, expected, "order {}", input.order_id);
    }
}

#[tokio::test]
async fn order_retries_a_busy_warehouse_on_the_engine() {
    let input = order::Order {
        order_id: "o-9".into(),
        total: 5.0,
        lines: vec![order::Line {
            sku: "fig".into(),
            quantity: 1,
        }],
    };
    *order::WAREHOUSE_BUSY_FOR
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(input.order_id.clone());
    let execution = order::process_order::start(&virtual_engine(), input).expect("starts");
    let receipt = execution.result().await.expect("succeeds after a retry");
    assert_eq!(receipt.receipt, "R-o-9");
    let failed = execution
        .history()
        .iter()
        .filter(|e| e.event_type.as_str() == "TaskFailed")
        .count();
    assert_eq!(failed, 1, "the first attempt failed and was retried");
}

/// Waits until the approval task has handed out a token that starts with `prefix`.
async fn next_token(prefix: &str) -> String {
    for _ in 0..100_000 {
        let found = approval::TOKENS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
            .find(|t| t.starts_with(prefix))
            .cloned();
        if let Some(token) = found {
            approval::TOKENS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|t| *t != token);
            return token;
        }
        tokio::task::yield_now().await;
    }
    panic!("no task token starting with {prefix}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_direct_and_engine_agree() {
    let expense = approval::Expense {
        id: "e-1".into(),
        amount: 250.0,
        requester: "bo".into(),
    };
    for decision in [
        json!({"approved": true, "approver": "ana"}),
        json!({"approved": false, "approver": "cy"}),
    ] {
        let run = tokio::spawn(approval::approve_expense(expense.clone()));
        let token = next_token("direct-token-").await;
        assert!(workflow_core::workflow::direct::send_task_success(
            &token,
            decision.clone()
        ));
        let expected = from_direct(run.await.expect("the direct run does not panic"));

        let engine = Engine::default();
        let execution = approval::approve_expense::start(&engine, expense.clone()).expect("starts");
        let token = next_token(execution.arn()).await;
        engine
            .send_task_success(&token, decision.clone())
            .await
            .expect("the token is waiting");
        assert_eq!(
            from_engine(execution.result().await),
            expected,
            "{decision}"
        );
    }
}

#[tokio::test]
async fn image_batch_direct_and_engine_agree() {
    let batch = image_batch::Batch {
        id: "b-1".into(),
        images: vec!["a.png".into(), "corrupt.png".into(), "c.png".into()],
    };
    let expected = from_direct(image_batch::thumbnail_batch(batch.clone()).await);
    assert_eq!(expected.as_ref().map(|s| s.failed), Ok(1));
    let result = image_batch::thumbnail_batch::start(&virtual_engine(), batch)
        .expect("starts")
        .result()
        .await;
    assert_eq!(from_engine(result), expected);
}

#[tokio::test]
async fn fan_out_direct_and_engine_agree() {
    for nights in [2, 0] {
        let trip = fan_out::Trip {
            id: "t-1".into(),
            city: "lisbon".into(),
            nights,
        };
        let expected = from_direct(fan_out::quote_trip(trip.clone()).await);
        let result = fan_out::quote_trip::start(&virtual_engine(), trip)
            .expect("starts")
            .result()
            .await;
        assert_eq!(from_engine(result), expected, "{nights} nights");
    }
}

#[tokio::test(start_paused = true)]
async fn polling_direct_and_engine_agree() {
    let request = polling::ExportRequest {
        report: "sales".into(),
    };
    let expected = from_direct(polling::export_report(request.clone()).await);
    assert_eq!(
        expected.as_deref(),
        Ok("https://exports.example/job-sales.csv")
    );
    let execution = polling::export_report::start(&virtual_engine(), request).expect("starts");
    assert_eq!(from_engine(execution.result().await), expected);
    let waits = execution
        .history()
        .iter()
        .filter(|e| e.event_type.as_str() == "WaitStateEntered")
        .count();
    assert_eq!(waits, 2, "two waits before the third check says done");
}

#[tokio::test]
async fn parent_child_direct_and_engine_agree() {
    let purchase = parent_child::Purchase {
        id: "p-1".into(),
        address: "1 Main St".into(),
        items: vec!["book".into(), "lamp".into()],
    };
    let expected = from_direct(parent_child::fulfil_purchase(purchase.clone()).await);
    assert_eq!(
        expected.as_ref().map(|f| f.tracking.as_str()),
        Ok("TRK-LBL-p-1-2")
    );
    let result = parent_child::fulfil_purchase::start(&virtual_engine(), purchase)
        .expect("starts")
        .result()
        .await;
    assert_eq!(from_engine(result), expected);
}

/// Runs a workflow binary's command the way `workflow_core::cli::main` does.
fn workflow_binary(workflows: &[Workflow], args: &[&str]) -> (u8, String, String) {
    use clap::Parser;
    let cli = workflow_core::cli::WorkflowCli::try_parse_from(
        std::iter::once("order").chain(args.iter().copied()),
    )
    .expect("the command line parses");
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut io = workflow_core::cli::Io {
        stdout: &mut stdout,
        stderr: &mut stderr,
    };
    let code = match workflow_core::cli::run_workflows(cli, workflows, &mut io) {
        Ok(exit) => exit.code(),
        Err(err) => {
            stderr.extend(format!("error: {err:#}").into_bytes());
            2
        }
    };
    (
        code,
        String::from_utf8(stdout).expect("UTF-8"),
        String::from_utf8(stderr).expect("UTF-8"),
    )
}

#[test]
fn workflow_binaries_export_validate_and_graph() {
    let workflows = [
        parent_child::fulfil_purchase::workflow(),
        parent_child::ship_parcels::workflow(),
    ];
    let (code, stdout, _) = workflow_binary(&workflows, &["validate"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "FulfilPurchase: OK\nShipParcels: OK\n")
    );

    let dir = std::env::temp_dir().join(format!("workflow-export-{}", std::process::id()));
    let (code, stdout, _) = workflow_binary(
        &workflows,
        &["export", "--out", dir.to_str().expect("UTF-8")],
    );
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 2);
    let written = std::fs::read_to_string(dir.join("ShipParcels.asl.json")).expect("exported");
    assert_eq!(written, workflow_core::cli::pretty(&workflows[1]));
    let _ = std::fs::remove_dir_all(&dir);

    let (code, _, stderr) = workflow_binary(&workflows, &["graph"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("several workflows ('FulfilPurchase', 'ShipParcels'); name one"),
        "{stderr}"
    );
    let (code, stdout, _) = workflow_binary(&workflows, &["graph", "ShipParcels"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("stateDiagram-v2"), "{stdout}");
}

#[test]
fn workflow_binaries_run_with_the_workflow_cli_output_contract() {
    let workflows = [order::process_order::workflow()];
    let input = r#"{"order_id": "o-7", "total": 5000, "lines": [{"sku": "fig", "quantity": 1}]}"#;
    let (code, stdout, stderr) = workflow_binary(&workflows, &["run", "--input", input, "--json"]);
    assert_eq!(code, 1, "the card is declined: {stdout}{stderr}");
    let result: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(result["status"], "FAILED");
    assert_eq!(result["error"], "Declined");
    assert_eq!(result["cause"], "the card was declined");
    assert_eq!(result["history"][0]["type"], "ExecutionStarted");
}

/// A workflow binary's durable commands: `start` saves an execution, `worker` runs it with the
/// Rust task handlers, `send-task-success` (another command, as from another process) answers
/// its callback, and `executions` reads the result.
#[test]
fn workflow_binaries_host_durable_executions_with_their_task_handlers() {
    let dir = std::env::temp_dir().join(format!("workflow-binary-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = dir.join("state.db").display().to_string();
    let workflows = [approval::approve_expense::workflow()];
    let input = r#"{"id": "e-9", "amount": 300, "requester": "bo"}"#;
    let (code, arn, stderr) = workflow_binary(
        &workflows,
        &[
            "start", "--store", &store, "--input", input, "--name", "e-9",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let arn = arn.trim().to_string();
    assert!(arn.ends_with(":execution:ApproveExpense:e-9"), "{arn}");

    let worker = std::thread::spawn({
        let store = store.clone();
        move || {
            workflow_binary(
                &workflows,
                &[
                    "worker",
                    "--store",
                    &store,
                    "--until-idle",
                    "--seconds",
                    "60",
                ],
            )
        }
    });
    let token = (0..3000)
        .find_map(|_| {
            let mut tokens = approval::TOKENS.lock().unwrap_or_else(|e| e.into_inner());
            let found = tokens.iter().position(|t| t.starts_with(&arn));
            let token = found.map(|i| tokens.remove(i));
            drop(tokens);
            if token.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            token
        })
        .expect("the worker ran request_approval, which handed out a token");
    let (code, _, stderr) = workflow_binary(
        &workflows,
        &[
            "send-task-success",
            "--store",
            &store,
            "--token",
            &token,
            "--output",
            r#"{"approved": true, "approver": "ana"}"#,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = worker.join().expect("the worker does not panic");
    assert_eq!(code, 0, "{stderr}");

    let (code, stdout, stderr) = workflow_binary(
        &workflows,
        &["executions", "describe", "--store", &store, &arn, "--json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let described: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(described["status"], "SUCCEEDED", "{described}");
    assert_eq!(described["output"], r#""paid-e-9""#);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Set in the child process of the test below: the approval binary's arguments (JSON list).
const APPROVAL_SERVE_ENV: &str = "WORKFLOW_TEST_APPROVAL_SERVE_ARGS";

/// The child: the approval example's binary, run as `approval serve ...` with its Rust task
/// handlers, until it is killed. Does nothing in a normal test run.
#[test]
fn approval_serve_process() {
    use clap::Parser;
    let Ok(args) = std::env::var(APPROVAL_SERVE_ENV) else {
        return;
    };
    let args: Vec<String> = serde_json::from_str(&args).expect("a JSON list of arguments");
    let cli = workflow_core::cli::WorkflowCli::parse_from(
        std::iter::once("approval".to_string()).chain(args),
    );
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    let mut io = workflow_core::cli::Io {
        stdout: &mut stdout,
        stderr: &mut stderr,
    };
    let workflows = [approval::approve_expense::workflow()];
    if let Err(e) = workflow_core::cli::run_workflows(cli, &workflows, &mut io) {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}

/// A workflow binary's `serve`: its workflow is listed by the API, runs with its Rust task
/// handlers, and its callback is answered through the API.
#[test]
fn a_workflow_binary_serves_its_workflows_with_their_task_handlers() {
    let dir = std::env::temp_dir().join(format!("workflow-binary-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let args: Vec<String> = [
        "serve",
        "--store",
        &dir.join("state.db").display().to_string(),
        "--addr",
        "127.0.0.1:0",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let server = crate::serve_clients::serve_child(
        "examples::approval_serve_process",
        APPROVAL_SERVE_ENV,
        &args,
    );
    let addr: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let call = |path: &str, target: &str, body: serde_json::Value| {
        let headers = [("X-Amz-Target".to_string(), target.to_string())];
        let (status, _, answer) =
            crate::serve::request(addr, "POST", path, &headers, body.to_string().as_bytes());
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_default();
        assert_eq!(status, 200, "{target}: {answer}");
        answer
    };
    let machines = call("/", "AWSStepFunctions.ListStateMachines", json!({}));
    let machine = machines["stateMachines"][0]["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        machine.ends_with(":stateMachine:ApproveExpense"),
        "{machines}"
    );
    let arn = call(
        "/",
        "AWSStepFunctions.StartExecution",
        json!({"stateMachineArn": machine, "name": "served-1",
               "input": r#"{"id": "e-10", "amount": 500, "requester": "ann"}"#}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    // The Rust handler asked for approval; its token waits.
    let token = (0..500)
        .find_map(|_| {
            let tasks = call(
                "/console/api",
                "WorkflowConsole.ListWaitingTasks",
                json!({"executionArn": arn}),
            );
            let token = tasks["tasks"][0]["taskToken"].as_str().map(str::to_string);
            if token.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            token
        })
        .expect("the approval task waits for its token");
    call(
        "/",
        "AWSStepFunctions.SendTaskSuccess",
        json!({"taskToken": token, "output": r#"{"approved": true, "approver": "bo"}"#}),
    );
    let done = (0..500)
        .find_map(|_| {
            let d = call(
                "/",
                "AWSStepFunctions.DescribeExecution",
                json!({"executionArn": arn}),
            );
            if d["status"] == "RUNNING" {
                std::thread::sleep(std::time::Duration::from_millis(20));
                None
            } else {
                Some(d)
            }
        })
        .expect("the execution ends");
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["output"], "\"paid-e-10\"");
}
