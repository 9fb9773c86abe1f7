//! Human approval with a callback: expenses over 100 wait for an approver, who completes the
//! task token (`SendTaskSuccess`) with a decision; a rejection fails the workflow.
//!
//! ```text
//! cargo run -p workflow-examples --example approval
//! ```
//!
//! The demo runs the workflow durably on a SQLite store, prints the task token and waits.
//! Approve from another terminal with the binary's own command, which writes to the same store:
//!
//! ```text
//! cargo run -p workflow-examples --example approval -- send-task-success \
//!     --store STORE --token 'TOKEN' --output '{"approved": true, "approver": "ana"}'
//! ```
//!
//! If the demo is stopped meanwhile, `approval -- worker --store STORE` resumes the execution
//! where it was. With arguments the program is a workflow binary (`run`, `start`, `worker`,
//! `executions`, `send-task-success`, ...). Tests complete the token directly with
//! `Engine::send_task_success`.

use std::process::ExitCode;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use workflow_core::exec::EngineConfig;
use workflow_core::prelude::*;
use workflow_core::store::SqliteStore;

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
    println!("approval needed for {} ({})", expense.id, expense.amount);
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

/// The demo's store.
fn store_path() -> std::path::PathBuf {
    std::env::temp_dir()
        .join("workflow-approval")
        .join("state.db")
}

fn main() -> ExitCode {
    if std::env::args().len() > 1 {
        return workflow_core::cli::main([approve_expense::workflow()]);
    }
    let asl = concat!(env!("CARGO_MANIFEST_DIR"), "/asl/approval.asl.json");
    if let Err(err) = std::fs::write(
        asl,
        workflow_core::cli::pretty(&approve_expense::workflow()),
    ) {
        eprintln!("approval: cannot write {asl}: {err}");
    }
    let path = store_path();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let store = match SqliteStore::open(&path) {
        Ok(store) => store,
        Err(err) => {
            eprintln!("approval: cannot open the store {}: {err}", path.display());
            return ExitCode::from(2);
        }
    };
    let expense = Expense {
        id: "e-1".into(),
        amount: 250.0,
        requester: "bo".into(),
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    runtime.block_on(async {
        let engine = Engine::new(EngineConfig {
            store: Some(std::sync::Arc::new(store)),
            ..EngineConfig::default()
        });
        let execution = match approve_expense::start(&engine, expense) {
            Ok(execution) => execution,
            Err(err) => {
                eprintln!("approval: {err}");
                return ExitCode::from(2);
            }
        };
        let mut told = false;
        loop {
            tokio::select! {
                result = execution.result() => {
                    println!("{result:?}");
                    return if result.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) };
                }
                () = tokio::time::sleep(std::time::Duration::from_millis(100)), if !told => {
                    let tokens = TOKENS.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    if let Some(token) = tokens.iter().find(|t| t.starts_with(execution.arn())) {
                        println!(
                            "waiting for the decision; from another terminal:\n  cargo run -p \
                             workflow-examples --example approval -- send-task-success --store \
                             '{}' --token '{token}' --output '{{\"approved\": true, \"approver\": \
                             \"ana\"}}'",
                            path.display()
                        );
                        told = true;
                    }
                }
            }
        }
    })
}
