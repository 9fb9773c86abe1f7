//! Durable throughput: Standard executions on a SQLite store with every transition committed
//! (fsync) before the next state begins, as `workflow` runs them by default.
//!
//! ```text
//! durable-bench [--seconds S] [--clients 1,8] [--commit transition|step] [--dir DIR]
//! ```
//!
//! Two workloads, each driven by N concurrent clients that start an execution and wait for its
//! result, again and again:
//! - `three_tasks`: three Task states in a row, each calling a Rust handler (the workflow the
//!   DBOS and Restate benchmarks in `../shared/tools` run);
//! - `pass_chain_100`: 100 Pass states, to count transitions per second.
//!
//! The engine runs on tokio's default multi-threaded runtime (a worker per core), as in a
//! `#[tokio::main]` application.
//!
//! Prints one JSON line per (workload, clients): workflows/s, transitions/s, p50/p99 latency.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use workflow_core::exec::{
    CommitPolicy, Engine, EngineConfig, LoadOptions, StartOptions, Status, TaskRequest,
};
use workflow_core::store::{SqliteStore, Store};

fn three_tasks() -> Value {
    let task = |n: u32, next: Option<&str>| {
        let mut s = json!({
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": format!("step{n}"), "Payload.$": "$"},
            "OutputPath": "$.Payload"
        });
        match next {
            Some(next) => s["Next"] = json!(next),
            None => s["End"] = json!(true),
        }
        s
    };
    json!({"StartAt": "Step1", "States": {
        "Step1": task(1, Some("Step2")),
        "Step2": task(2, Some("Step3")),
        "Step3": task(3, None)
    }})
}

fn pass_chain(n: usize) -> Value {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let mut s = json!({"Type": "Pass"});
        if i + 1 < n {
            s["Next"] = json!(format!("S{}", i + 1));
        } else {
            s["End"] = json!(true);
        }
        states.insert(format!("S{i}"), s);
    }
    json!({"StartAt": "S0", "States": states})
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn bench(
    dir: &std::path::Path,
    workload: &str,
    definition: &Value,
    states: usize,
    clients: usize,
    seconds: f64,
    commit: CommitPolicy,
) -> anyhow::Result<Value> {
    let path = dir.join(format!("{workload}-{clients}.db"));
    let _ = std::fs::remove_file(&path);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
    let engine = Engine::new(EngineConfig {
        store: Some(store),
        commit,
        ..EngineConfig::default()
    });
    for n in 1..=3 {
        engine.register_function(format!("step{n}"), |req: TaskRequest| async move {
            Ok(req.payload)
        });
    }
    let machine = engine
        .load_str(
            &definition.to_string(),
            LoadOptions {
                name: Some(workload.replace('_', "-")),
                ..LoadOptions::default()
            },
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let engine = engine.clone();
        let machine = machine.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                let handle = match engine
                    .start_async(&machine, json!({"n": 1}), StartOptions::default())
                    .await
                {
                    Ok(h) => h,
                    Err(_) => {
                        failures += 1;
                        continue;
                    }
                };
                let outcome = handle.result().await;
                if !matches!(outcome.status, Status::Succeeded(_)) {
                    failures += 1;
                }
                latencies.push(t.elapsed().as_secs_f64() * 1e3);
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for worker in workers {
        let (l, f) = worker.await?;
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let workflows = latencies.len();
    Ok(json!({
        "engine": "workflow",
        "store": "sqlite (WAL, log fsynced before every acknowledgement)",
        "commit": format!("{commit:?}"),
        "workload": workload,
        "clients": clients,
        "workflows": workflows,
        "failures": failures,
        "seconds": (elapsed * 100.0).round() / 100.0,
        "workflows_per_s": (workflows as f64 / elapsed).round(),
        "transitions_per_s": ((workflows * states) as f64 / elapsed).round(),
        "p50_ms": (percentile(&latencies, 0.5) * 100.0).round() / 100.0,
        "p99_ms": (percentile(&latencies, 0.99) * 100.0).round() / 100.0,
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut seconds = 5.0;
    let mut clients = vec![1, 8];
    let mut commit = CommitPolicy::EveryTransition;
    let mut dir: Option<PathBuf> = None;
    let mut only: Option<String> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => seconds = args.next().context("--seconds needs a number")?.parse()?,
            "--clients" => {
                clients = args
                    .next()
                    .context("--clients needs a list like 1,8")?
                    .split(',')
                    .map(|c| c.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "--commit" => {
                commit = match args.next().as_deref() {
                    Some("transition") => CommitPolicy::EveryTransition,
                    Some("step") => CommitPolicy::EveryStep,
                    _ => bail!("--commit takes `transition` or `step`"),
                }
            }
            "--dir" => dir = Some(args.next().context("--dir needs a folder")?.into()),
            "--workload" => {
                only = Some(
                    args.next()
                        .context("--workload takes three_tasks or pass_chain_100")?,
                )
            }
            "-h" | "--help" => {
                println!(
                    "usage: durable-bench [--seconds S] [--clients 1,8] [--commit transition|step] [--workload three_tasks|pass_chain_100] [--dir DIR]"
                );
                return Ok(());
            }
            other => bail!("unknown argument {other}"),
        }
    }
    let keep = dir.is_some();
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("workflow-durable-bench-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let workloads = [
        ("three_tasks", three_tasks(), 3),
        ("pass_chain_100", pass_chain(100), 100),
    ];
    if let Some(only) = &only
        && !workloads.iter().any(|(name, ..)| name == only)
    {
        bail!("no workload named {only}: three_tasks or pass_chain_100");
    }
    for (name, definition, states) in &workloads {
        if only.as_ref().is_some_and(|only| only != name) {
            continue;
        }
        for &n in &clients {
            let line = bench(&dir, name, definition, *states, n, seconds, commit).await?;
            println!("{line}");
        }
    }
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
