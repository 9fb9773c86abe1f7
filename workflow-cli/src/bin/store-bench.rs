//! Durable-store throughput: commits and events per second of the SQLite store, each commit a
//! transition of 3 events and a ~500-byte snapshot, with 1 and 8 concurrent writers (threads,
//! one execution each). Prints one JSON line per measurement, the machine's fsync rate first.
//!
//! ```text
//! store-bench [--seconds S] [--writers 1,8] [--dir DIR]
//! ```
//!
//! The store file lives in a fresh directory under DIR (default: the system temp dir), removed
//! afterwards. Every commit is durable (its WAL fsynced) before its writer makes the
//! next; writers share fsyncs through the store's group commit.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use serde_json::json;
use workflow_core::store::{
    EventRecord, MachineType, MemoryStore, NewExecution, SqliteStore, StateMachineRecord, Store,
    Transition,
};

const MACHINE_ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:bench";
const EVENTS_PER_COMMIT: u64 = 3;

struct Args {
    seconds: f64,
    writers: Vec<usize>,
    dir: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        seconds: 3.0,
        writers: vec![1, 8],
        dir: std::env::temp_dir(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => args.seconds = value()?.parse().context("--seconds")?,
            "--writers" => {
                args.writers = value()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()
                    .context("--writers")?;
            }
            "--dir" => args.dir = value()?.into(),
            other => bail!("unknown argument `{other}`; expected --seconds, --writers or --dir"),
        }
    }
    Ok(args)
}

/// fsyncs per second of a 4 KiB overwrite in `dir`.
fn fsync_rate(dir: &Path, seconds: f64) -> anyhow::Result<f64> {
    let path = dir.join("fsync-probe");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    let block = [0x5a_u8; 4096];
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        file.write_all(&block)?;
        file.sync_data()?;
        count += 1;
    }
    let rate = count as f64 / start.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(rate)
}

fn transition(arn: &str, n: u64, snapshot: &[u8]) -> Transition {
    let first = (n - 1) * EVENTS_PER_COMMIT + 1;
    let now = Utc::now();
    Transition {
        events: (first..first + EVENTS_PER_COMMIT)
            .map(|id| EventRecord {
                id,
                event_type: "TaskStateEntered".into(),
                timestamp: now,
                json: format!(
                    r#"{{"id":{id},"previousEventId":{},"type":"TaskStateEntered","stateEnteredEventDetails":{{"name":"Step","input":"{{\"n\":{n}}}"}}}}"#,
                    id - 1
                ),
            })
            .collect(),
        snapshot: Some(snapshot.to_vec()),
        ..Transition::new(arn)
    }
}

/// Runs `writers` threads committing for `seconds` and prints the rates and latencies.
fn measure(store: &dyn Store, label: &str, writers: usize, seconds: f64) -> anyhow::Result<()> {
    let snapshot: Vec<u8> = (0..500).map(|i| b'a' + (i % 26) as u8).collect();
    let arns: Vec<String> = (0..writers)
        .map(|w| format!("arn:aws:states:us-east-1:123456789012:execution:bench:{label}-{w}"))
        .collect();
    for (w, arn) in arns.iter().enumerate() {
        store.start_execution(NewExecution::new(
            arn,
            format!("{label}-{w}"),
            MACHINE_ARN,
            "{}",
            Utc::now(),
        ))?;
    }
    let barrier = Barrier::new(writers);
    let duration = Duration::from_secs_f64(seconds);
    let results: Vec<anyhow::Result<Vec<Duration>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = arns
            .iter()
            .map(|arn| {
                let barrier = &barrier;
                let snapshot = &snapshot;
                scope.spawn(move || -> anyhow::Result<Vec<Duration>> {
                    barrier.wait();
                    let start = Instant::now();
                    let mut latencies = Vec::new();
                    let mut n = 0;
                    while start.elapsed() < duration {
                        n += 1;
                        let transition = transition(arn, n, snapshot);
                        let before = Instant::now();
                        store.commit(transition)?;
                        latencies.push(before.elapsed());
                    }
                    Ok(latencies)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a writer panicked")))
            })
            .collect()
    });
    let mut latencies = Vec::new();
    for result in results {
        latencies.extend(result?);
    }
    latencies.sort_unstable();
    let commits = latencies.len() as f64;
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    emit(&json!({
            "backend": label,
            "writers": writers,
            "seconds": seconds,
            "commits": latencies.len(),
            "events": latencies.len() as u64 * EVENTS_PER_COMMIT,
            "commits_per_sec": (commits / seconds).round(),
            "events_per_sec": (commits * EVENTS_PER_COMMIT as f64 / seconds).round(),
            "latency_p50_us": percentile(0.5).round(),
            "latency_p99_us": percentile(0.99).round(),
    }))
}

/// Prints one JSON line; a closed stdout is an error, not a panic.
fn emit(line: &serde_json::Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    Ok(())
}

fn machine() -> StateMachineRecord {
    StateMachineRecord {
        arn: MACHINE_ARN.into(),
        name: "bench".into(),
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.into(),
        machine_type: MachineType::Standard,
        role_arn: String::new(),
        creation_date: Utc::now(),
        update_date: None,
        deleted: false,
    }
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let dir = args
        .dir
        .join(format!("workflow-store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let result = run(&args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(args: &Args, dir: &Path) -> anyhow::Result<()> {
    let rate = fsync_rate(dir, args.seconds.min(2.0))?;
    emit(&json!({"measure": "fsync", "block_bytes": 4096, "per_sec": rate.round()}))?;
    for &writers in &args.writers {
        // A fresh file per measurement, so earlier runs do not grow the tables.
        let path = dir.join(format!("store-{writers}.db"));
        let store = SqliteStore::open(&path)?;
        store.put_state_machine(machine())?;
        measure(&store, "sqlite", writers, args.seconds)?;
    }
    for &writers in &args.writers {
        let store = MemoryStore::default();
        store.put_state_machine(machine())?;
        measure(&store, "memory", writers, args.seconds.min(1.0))?;
    }
    Ok(())
}
