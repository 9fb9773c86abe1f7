//! The official JSONata test suite (tests/jsonata/suite.jsonl), run on our evaluator.
//!
//! Prints the pass count per group and a closing `N passed, N failed` line. Fails when a case
//! outside `tests/jsonata/known-failures.txt` fails, or when a listed case passes (the list may
//! only shrink: delete the line).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;
use workflow_core::expr::jsonata::Expr;

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/jsonata"))
}

/// Numbers compare as doubles (the suite's results come from JavaScript).
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn unordered_same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().all(|p| y.iter().any(|q| same(p, q)))
        }
        _ => same(a, b),
    }
}

/// Raise as the known-failures list shrinks.
const MIN_PASS_RATE: f64 = 99.8;

enum Outcome {
    Pass,
    Fail(String),
}

fn run_case(case: &Value, datasets: &Value) -> Outcome {
    let Some(expr) = case["expr"].as_str() else {
        return Outcome::Fail("no expression".into());
    };
    let input = match case.get("dataset") {
        Some(Value::String(name)) => datasets.get(name).cloned(),
        Some(_) => None,
        None => case.get("data").cloned(),
    };
    let bindings = case
        .get("bindings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let res = Expr::compile(expr)
        .map(|e| e.with_stack_budget(128 << 20))
        .map(|e| match case.get("depth").and_then(Value::as_u64) {
            Some(d) => e.with_max_depth(d as usize),
            None => e,
        })
        .and_then(|e| e.evaluate_input(input.as_ref(), &bindings));
    match (res, case.get("code")) {
        (Err(e), Some(code)) if code.as_str() == Some(e.code.as_str()) => Outcome::Pass,
        (Err(e), _) => Outcome::Fail(format!("error {} {}", e.code, e.message)),
        (Ok(v), Some(code)) => Outcome::Fail(format!("expected error {code}, got {v:?}")),
        (Ok(None), None) if case.get("undefinedResult").is_some() => Outcome::Pass,
        (Ok(Some(v)), None) => match case.get("result") {
            Some(want) if case.get("unordered").is_some() && unordered_same(&v, want) => {
                Outcome::Pass
            }
            Some(want) if same(&v, want) => Outcome::Pass,
            want => Outcome::Fail(format!("got {v}, want {want:?}")),
        },
        (Ok(None), None) => Outcome::Fail(format!("got undefined, want {:?}", case.get("result"))),
    }
}

#[test]
fn official_suite() {
    let text = std::fs::read_to_string(dir().join("suite.jsonl")).expect("suite.jsonl");
    let datasets: Value = serde_json::from_str(
        &std::fs::read_to_string(dir().join("datasets.json")).expect("datasets.json"),
    )
    .expect("datasets.json is JSON");
    let known: BTreeSet<String> = std::fs::read_to_string(dir().join("known-failures.txt"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    // A big stack: the evaluator limits its depth, but debug builds use large frames.
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let mut groups: BTreeMap<String, (usize, usize)> = BTreeMap::new();
            let mut unexpected = Vec::new();
            let mut fixed = Vec::new();
            let mut excluded = 0;
            let trace = std::env::var_os("JSONATA_SUITE_TRACE").is_some();
            for (i, line) in text.lines().enumerate() {
                let case: Value = match serde_json::from_str(line) {
                    Ok(c) => c,
                    Err(e) => {
                        // A lone surrogate (\ud800) cannot be a Rust string.
                        let id = format!("line{}", i + 1);
                        if !known.contains(&id) {
                            unexpected.push(format!("{id}: unreadable case: {e}"));
                        }
                        groups.entry("(unreadable)".into()).or_default().1 += 1;
                        continue;
                    }
                };
                if case.get("excluded").is_some() {
                    excluded += 1;
                    continue;
                }
                let id = case["id"].as_str().unwrap_or("?").to_string();
                let group = id.split('/').next().unwrap_or("?").to_string();
                if trace {
                    eprintln!("case {id}");
                }
                let outcome = std::panic::catch_unwind(|| run_case(&case, &datasets))
                    .unwrap_or_else(|_| Outcome::Fail("panicked".into()));
                let entry = groups.entry(group).or_default();
                match outcome {
                    Outcome::Pass => {
                        entry.0 += 1;
                        if known.contains(&id) {
                            fixed.push(id);
                        }
                    }
                    Outcome::Fail(why) => {
                        entry.1 += 1;
                        if !known.contains(&id) {
                            let expr = case["expr"].as_str().unwrap_or("");
                            unexpected.push(format!("{id}: {expr:?}: {why}"));
                        }
                    }
                }
            }
            (groups, unexpected, fixed, excluded)
        })
        .expect("spawn suite thread");
    let (groups, unexpected, fixed, excluded) = handle.join().expect("suite thread");
    let (mut passed, mut failed) = (0, 0);
    for (group, (p, f)) in &groups {
        println!("{group}: {p}/{}", p + f);
        passed += p;
        failed += f;
    }
    let rate = 100.0 * passed as f64 / (passed + failed).max(1) as f64;
    println!("{excluded} excluded (features Step Functions removes); pass rate {rate:.1}%");
    for u in &unexpected {
        println!("UNEXPECTED FAILURE {u}");
    }
    for f in &fixed {
        println!("NOW PASSING (remove from known-failures.txt) {f}");
    }
    println!("{passed} passed, {failed} failed");
    // The acceptance target is 95%.
    assert!(
        rate >= MIN_PASS_RATE,
        "pass rate {rate:.1}% is below {MIN_PASS_RATE}%"
    );
    assert!(
        unexpected.is_empty(),
        "{} unexpected failures",
        unexpected.len()
    );
    assert!(fixed.is_empty(), "{} known failures now pass", fixed.len());
}
