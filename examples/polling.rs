//! A polling loop with `while` and `sleep`: start a report export, then check its status every
//! 30 seconds until it is done, giving up after 10 checks.
//!
//! ```text
//! cargo run -p workflow-examples --example polling -- run --input '{"report": "sales"}' --clock virtual
//! cargo run -p workflow-examples --example polling
//! ```

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct ExportRequest {
    pub report: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct ExportStatus {
    pub done: bool,
    pub url: String,
}

#[derive(Debug, Serialize, Deserialize, TaskError)]
pub enum ExportError {
    UnknownJob,
}

/// How many times each job's status was checked; an export is done at the third check.
static CHECKS: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

#[task]
pub async fn start_export(request: ExportRequest) -> Result<String, ExportError> {
    let job = format!("job-{}", request.report);
    let mut checks = CHECKS.lock().unwrap_or_else(|e| e.into_inner());
    checks
        .get_or_insert_with(HashMap::new)
        .insert(job.clone(), 0);
    Ok(job)
}

#[task(retry(interval = 1, max_attempts = 2))]
pub async fn export_status(job: String) -> Result<ExportStatus, ExportError> {
    let mut checks = CHECKS.lock().unwrap_or_else(|e| e.into_inner());
    let Some(count) = checks.get_or_insert_with(HashMap::new).get_mut(&job) else {
        return Err(ExportError::UnknownJob);
    };
    *count += 1;
    let done = *count >= 3;
    Ok(ExportStatus {
        done,
        url: if done {
            format!("https://exports.example/{job}.csv")
        } else {
            String::new()
        },
    })
}

#[workflow(name = "ExportReport")]
pub async fn export_report(request: ExportRequest) -> Result<String, WorkflowError> {
    let job = start_export(request).await?;
    let mut status = export_status(job.clone()).await?;
    let mut checks = 1;
    while !status.done {
        if checks >= 10 {
            fail!(
                "ExportTimedOut",
                "the export did not finish after 10 checks"
            );
        }
        sleep(30).await;
        status = export_status(job.clone()).await?;
        checks += 1;
    }
    Ok(status.url)
}

fn main() -> ExitCode {
    if std::env::args().len() > 1 {
        return workflow_core::cli::main([export_report::workflow()]);
    }
    let asl = concat!(env!("CARGO_MANIFEST_DIR"), "/asl/polling.asl.json");
    if let Err(err) = std::fs::write(asl, workflow_core::cli::pretty(&export_report::workflow())) {
        eprintln!("polling: cannot write {asl}: {err}");
    }
    let request = ExportRequest {
        report: "sales".into(),
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    runtime.block_on(async {
        // A virtual clock: the 30-second waits take no time.
        let engine = Engine::new(workflow_core::exec::EngineConfig {
            clock: std::sync::Arc::new(workflow_core::exec::VirtualClock::starting_now()),
            ..Default::default()
        });
        match export_report::start(&engine, request) {
            Ok(execution) => {
                let result = execution.result().await;
                println!("{result:?}");
                if result.is_ok() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(err) => {
                eprintln!("polling: {err}");
                ExitCode::from(2)
            }
        }
    })
}
