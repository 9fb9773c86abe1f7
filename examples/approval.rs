//! Human approval with a callback: expenses over 100 wait for an approver, who completes the
//! task token (`SendTaskSuccess`) with a decision; a rejection fails the workflow.
//!
//! ```text
//! cargo run -p workflow-examples --example approval
//! ```
//!
//! The demo prints the task token and waits. Approve from another terminal:
//!
//! ```text
//! cargo run -p workflow-examples --example approval -- send-task-success \
//!     --token 'TOKEN' --output '{"approved": true, "approver": "ana"}'
//! ```
//!
//! (The demo's engine is in-process: `send-task-success` drops the decision in a spool
//! directory the demo watches, and the demo calls `Engine::send_task_success`.) Tests complete
//! the token directly with `Engine::send_task_success`.

use std::process::ExitCode;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Expense {
    pub id: String,
    pub amount: f64,
    pub requester: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Decision {
    pub approved: bool,
    pub approver: String,
}

#[derive(Debug, Serialize, Deserialize, TaskError)]
pub enum NotifyError {
    NoApprover,
}

#[derive(Debug, Serialize, Deserialize, TaskError)]
pub enum PaymentError {
    Rejected,
}

/// The task tokens handed to approvers, newest last.
pub static TOKENS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Asks an approver; the workflow waits until someone completes `token`.
#[task(timeout = 86400)]
pub async fn request_approval(token: String, expense: Expense) -> Result<(), NotifyError> {
    if expense.requester.is_empty() {
        return Err(NotifyError::NoApprover);
    }
    println!(
        "approval needed for {} ({}); from another terminal: cargo run -p workflow-examples --example approval -- send-task-success --token '{token}' --output '{{\"approved\": true, \"approver\": \"ana\"}}'",
        expense.id, expense.amount
    );
    TOKENS.lock().unwrap_or_else(|e| e.into_inner()).push(token);
    Ok(())
}

#[task]
pub async fn pay(expense: Expense) -> Result<String, PaymentError> {
    Ok(format!("paid-{}", expense.id))
}

#[workflow(name = "ApproveExpense")]
pub async fn approve_expense(expense: Expense) -> Result<String, WorkflowError> {
    if expense.amount > 100.0 {
        let decision: Decision = callback(|token| request_approval(token, expense.clone())).await?;
        if !decision.approved {
            fail!("Rejected", format!("rejected by {}", decision.approver));
        }
    }
    let payment = pay(expense).await?;
    Ok(payment)
}

fn spool() -> std::path::PathBuf {
    std::env::temp_dir().join("workflow-approval")
}

fn spool_file(token: &str) -> std::path::PathBuf {
    let name: String = token
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    spool().join(format!("{name}.json"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("send-task-success") {
        return send_task_success(&args[1..]);
    }
    if !args.is_empty() {
        return workflow_core::cli::main([approve_expense::workflow()]);
    }
    let asl = concat!(env!("CARGO_MANIFEST_DIR"), "/asl/approval.asl.json");
    if let Err(err) = std::fs::write(
        asl,
        workflow_core::cli::pretty(&approve_expense::workflow()),
    ) {
        eprintln!("approval: cannot write {asl}: {err}");
    }
    let expense = Expense {
        id: "e-1".into(),
        amount: 250.0,
        requester: "bo".into(),
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    runtime.block_on(async {
        let engine = Engine::default();
        let execution = match approve_expense::start(&engine, expense) {
            Ok(execution) => execution,
            Err(err) => {
                eprintln!("approval: {err}");
                return ExitCode::from(2);
            }
        };
        let _ = std::fs::create_dir_all(spool());
        loop {
            tokio::select! {
                result = execution.result() => {
                    println!("{result:?}");
                    return if result.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) };
                }
                () = tokio::time::sleep(std::time::Duration::from_millis(200)) => {
                    let tokens = TOKENS.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    for token in tokens {
                        let Ok(text) = std::fs::read_to_string(spool_file(&token)) else { continue };
                        let _ = std::fs::remove_file(spool_file(&token));
                        match serde_json::from_str(&text) {
                            Ok(output) => {
                                if let Err(err) = engine.send_task_success(&token, output).await {
                                    eprintln!("approval: {err}");
                                }
                            }
                            Err(err) => eprintln!("approval: the decision is not JSON: {err}"),
                        }
                    }
                }
            }
        }
    })
}

/// `send-task-success --token TOKEN --output JSON`: hands a decision to the running demo.
fn send_task_success(args: &[String]) -> ExitCode {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(token), Some(output)) = (value("--token"), value("--output")) else {
        eprintln!("usage: approval send-task-success --token TOKEN --output JSON");
        return ExitCode::from(2);
    };
    if let Err(err) = serde_json::from_str::<serde_json::Value>(&output) {
        eprintln!("approval: --output is not JSON: {err}");
        return ExitCode::from(2);
    }
    let _ = std::fs::create_dir_all(spool());
    match std::fs::write(spool_file(&token), output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("approval: {err}");
            ExitCode::from(2)
        }
    }
}
