//! Engine throughput: states entered per second on the workloads other ASL interpreters are
//! measured with (see `scripts/bench-vs-oracles`), printed as one JSON line per workload.
//!
//! ```text
//! workflow-bench [--runs N] [--write-workloads DIR] [WORKLOAD.json[:INPUT.json] ...]
//! ```
//!
//! Without workload files it runs the built-in set: a 1,000-Pass chain, a Choice loop of
//! 10,000 iterations (JSONPath), an inline Map over 1,000 items, and the JSONata variable loop
//! of 1,000 iterations. Each run starts an execution on a fresh engine and waits for its result;
//! history is recorded as always.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use workflow_core::exec::{Engine, LoadOptions, StartOptions};

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

fn choice_loop(n: usize) -> Value {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Parameters": {"i": 0}, "Next": "Loop"},
        "Loop": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": n, "Next": "Inc"}], "Default": "Done"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Loop"},
        "Done": {"Type": "Succeed"}}})
}

fn choice_loop_jsonata(n: usize) -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"i": 0}, "Next": "Loop"},
        "Loop": {"Type": "Choice", "Choices": [{"Condition": format!("{{% $i < {n} %}}"), "Next": "Inc"}], "Default": "Done"},
        "Inc": {"Type": "Pass", "Assign": {"i": "{% $i + 1 %}"}, "Next": "Loop"},
        "Done": {"Type": "Succeed", "Output": {"i": "{% $i %}"}}}})
}

fn map_n(n: usize) -> (Value, Value) {
    (
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                              "States": {"P": {"Type": "Pass", "End": true}}},
            "End": true}}}),
        json!({"items": (0..n).collect::<Vec<_>>()}),
    )
}

struct Workload {
    name: String,
    definition: Value,
    input: Value,
}

fn builtin() -> Vec<Workload> {
    let (map, map_input) = map_n(1000);
    vec![
        Workload {
            name: "pass_chain_1000.json".into(),
            definition: pass_chain(1000),
            input: json!({}),
        },
        Workload {
            name: "choice_loop_10000.json".into(),
            definition: choice_loop(10000),
            input: json!({}),
        },
        Workload {
            name: "map_1000.json".into(),
            definition: map,
            input: map_input,
        },
        Workload {
            name: "choice_loop_jsonata_1000.json".into(),
            definition: choice_loop_jsonata(1000),
            input: json!({}),
        },
    ]
}

fn write_workloads(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for w in builtin() {
        std::fs::write(dir.join(&w.name), w.definition.to_string())?;
        if w.input != json!({}) {
            let input_name = w.name.replace(".json", "_input.json");
            std::fs::write(dir.join(input_name), w.input.to_string())?;
        }
    }
    std::fs::write(dir.join("empty_input.json"), "{}")?;
    Ok(())
}

fn read_workload(spec: &str) -> anyhow::Result<Workload> {
    let (path, input) = match spec.split_once(':') {
        Some((p, i)) => (PathBuf::from(p), Some(PathBuf::from(i))),
        None => (PathBuf::from(spec), None),
    };
    let definition: Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", path.display()))?;
    let input = match input {
        Some(i) => serde_json::from_str(
            &std::fs::read_to_string(&i).with_context(|| format!("cannot read {}", i.display()))?,
        )
        .with_context(|| format!("{} is not JSON", i.display()))?,
        None => json!({}),
    };
    Ok(Workload {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        definition,
        input,
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

async fn bench(w: &Workload, runs: usize) -> anyhow::Result<Value> {
    let mut times = Vec::with_capacity(runs);
    let mut entered = 0;
    let mut status = String::new();
    // One warm-up run, not counted.
    for run in 0..=runs {
        let engine = Engine::default();
        let machine = engine
            .load_str(&w.definition.to_string(), LoadOptions::default())
            .map_err(|e| anyhow::anyhow!("{}: {e}", w.name))?;
        let start = Instant::now();
        let handle = engine.start(&machine, w.input.clone(), StartOptions::default())?;
        let outcome = handle.result().await;
        let elapsed = start.elapsed().as_secs_f64();
        entered = handle
            .history()
            .iter()
            .filter(|e| e.event_type.as_str().ends_with("StateEntered"))
            .count();
        status = outcome.status.as_str().to_string();
        if run > 0 {
            times.push(elapsed);
        }
    }
    let med = median(times.clone());
    Ok(json!({
        "engine": "workflow",
        "engine_version": env!("CARGO_PKG_VERSION"),
        "mode": "in-process",
        "workload": w.name,
        "status": status,
        "states_entered": entered,
        "runs": runs,
        "seconds": times.iter().map(|t| (t * 1e6).round() / 1e6).collect::<Vec<_>>(),
        "median_s": (med * 1e6).round() / 1e6,
        "states_per_s_median": (entered as f64 / med).round(),
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut runs = 5;
    let mut specs = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .context("--runs needs a number")?
                    .parse()
                    .context("--runs needs a number")?
            }
            "--write-workloads" => {
                let dir = args.next().context("--write-workloads needs a folder")?;
                return write_workloads(Path::new(&dir));
            }
            "-h" | "--help" => {
                println!(
                    "usage: workflow-bench [--runs N] [--write-workloads DIR] [WORKLOAD.json[:INPUT.json] ...]"
                );
                return Ok(());
            }
            other if other.starts_with('-') => bail!("unknown option {other}"),
            other => specs.push(other.to_string()),
        }
    }
    let workloads = if specs.is_empty() {
        builtin()
    } else {
        specs
            .iter()
            .map(|s| read_workload(s))
            .collect::<anyhow::Result<_>>()?
    };
    for w in &workloads {
        match bench(w, runs.max(1)).await {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("workflow-bench: {e:#}"),
        }
    }
    Ok(())
}
