//! Differential check against independent ASL interpreters.
//!
//! `tests/oracles/corpus/` holds small definitions (with inputs and Task mocks) and
//! `tests/oracles/asl-diff-results.jsonl` what `../shared/tools/asl-diff` recorded for them on
//! moto's and LocalStack's Step Functions interpreters (and aws-local-stepfunctions for plain
//! JSONPath). Where moto and LocalStack agree, our engine must give the same status, output and
//! error. Causes are not compared here: their exact texts are checked against AWS's own
//! recordings by the conformance test, and the oracles word some of them differently from AWS.
//!
//! Refresh the results with `../shared/tools/asl-diff tests/oracles/corpus/ > tests/oracles/asl-diff-results.jsonl`.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use workflow_core::exec::{Engine, EngineConfig, LoadOptions, Mocks, StartOptions, VirtualClock};

const RESULTS: &str = include_str!("../oracles/asl-diff-results.jsonl");

/// Cases where we knowingly differ from the oracles, with why; the list may only shrink.
const KNOWN_FAILURES: &[(&str, &str)] = &[(
    "02_jsonata_loop_vars.json",
    "the oracles let `Output` see the values `Assign` gives in the same state; AWS evaluates \
     every `Assign` and `Output` expression against the variables as of state entry, and so \
     do we (total 3, not 6)",
)];

fn corpus_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/oracles/corpus"))
}

fn read_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).expect("corpus files are JSON"))
}

#[tokio::test]
async fn agrees_with_the_oracles_where_they_agree() {
    let mut compared = 0;
    let mut skipped = Vec::new();
    let mut mismatches = Vec::new();
    for line in RESULTS.lines() {
        let row: Value = serde_json::from_str(line).expect("results are JSON lines");
        let name = row["definition"].as_str().expect("a definition name");
        let moto = &row["results"]["moto"];
        let localstack = &row["results"]["localstack"];
        let same = |a: &Value, b: &Value| {
            a["status"] == b["status"] && a["output"] == b["output"] && a["error"] == b["error"]
        };
        if !same(moto, localstack) || moto["status"] == "EXCEPTION" {
            skipped.push(name.to_string());
            continue;
        }
        let stem = name.trim_end_matches(".json");
        let dir = corpus_dir();
        let definition = std::fs::read_to_string(dir.join(name)).expect("definition file");
        let input = read_json(&dir.join(format!("{stem}.in.json"))).unwrap_or(Value::Null);
        let input = if input.is_null() {
            serde_json::json!({})
        } else {
            input
        };
        let mocks = read_json(&dir.join(format!("{stem}.mock.json")))
            .map(|m| Mocks::from_json(&m, None, None).expect("mock files are valid"));
        let engine = Engine::new(EngineConfig {
            clock: Arc::new(VirtualClock::starting_now()),
            ..EngineConfig::default()
        });
        let machine = match engine.load_str(
            &definition,
            LoadOptions {
                name: Some(stem.replace('.', "-")),
                mocks,
                express: false,
            },
        ) {
            Ok(m) => m,
            Err(e) => {
                mismatches.push(format!("{name}: does not load: {e}"));
                continue;
            }
        };
        let outcome = engine
            .run(
                &machine,
                input,
                StartOptions {
                    name: Some("oracle-exec".into()),
                },
            )
            .await
            .expect("starts");
        compared += 1;
        let status = outcome.status.as_str();
        if moto["status"] != status {
            mismatches.push(format!(
                "{name}: status {status}, oracles {} ({})",
                moto["status"],
                outcome.cause().unwrap_or_default()
            ));
            continue;
        }
        if let Some(output) = outcome.output() {
            if moto["output"] != *output {
                mismatches.push(format!(
                    "{name}: output {output}, oracles {}",
                    moto["output"]
                ));
            }
        } else if moto["error"] != outcome.error().map(Value::from).unwrap_or(Value::Null) {
            mismatches.push(format!(
                "{name}: error {:?}, oracles {}",
                outcome.error(),
                moto["error"]
            ));
        }
    }
    let known = |m: &String| KNOWN_FAILURES.iter().any(|(name, _)| m.starts_with(name));
    let passing_known: Vec<&str> = KNOWN_FAILURES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            !mismatches.iter().any(|m| m.starts_with(name)) && !skipped.iter().any(|s| s == name)
        })
        .collect();
    mismatches.retain(|m| !known(m));
    println!(
        "oracles: {compared} compared, {} skipped where moto and LocalStack disagree ({})",
        skipped.len(),
        skipped.join(", ")
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(
        passing_known.is_empty(),
        "these cases pass now; remove them from KNOWN_FAILURES: {passing_known:?}"
    );
    assert!(
        compared + KNOWN_FAILURES.len() >= 10,
        "only {compared} cases were compared"
    );
}
