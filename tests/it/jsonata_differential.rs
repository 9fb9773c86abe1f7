//! Differential test: expressions evaluated once by the reference JSONata (npm jsonata 2.2.2
//! with Step Functions' functions, `jsonata-eval --aws --batch`), stored in
//! tests/jsonata/differential.jsonl by tests/jsonata/gen/gen_differential.py, and evaluated
//! here by our evaluator. Prints the agreement and every disagreement.

use std::path::Path;

use serde_json::Value;
use workflow_core::expr::jsonata::Expr;

use crate::jsonata_suite::same;

/// Agreement must not fall below this (raise it as the evaluator improves).
const MIN_AGREEMENT: f64 = 0.999;

#[test]
fn reference_agreement() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/jsonata"));
    let text = std::fs::read_to_string(dir.join("differential.jsonl")).expect("vectors");
    let datasets: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("datasets.json")).expect("datasets"),
    )
    .expect("datasets.json is JSON");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("differential-doc.json")).expect("doc"),
    )
    .expect("differential-doc.json is JSON");
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let (mut agree, mut total, mut code_mismatch) = (0usize, 0usize, 0usize);
            let mut disagreements = Vec::new();
            for line in text.lines() {
                let Ok(case) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                total += 1;
                let expr = case["expr"].as_str().unwrap_or("");
                let (input, bindings) = if case.get("doc").is_some() {
                    (
                        Some(doc["input"].clone()),
                        doc["bindings"].as_object().cloned().unwrap_or_default(),
                    )
                } else {
                    let input = match case.get("dataset") {
                        Some(Value::String(name)) => datasets.get(name).cloned(),
                        Some(_) => None,
                        None => case.get("data").cloned(),
                    };
                    (
                        input,
                        case.get("bindings")
                            .and_then(Value::as_object)
                            .cloned()
                            .unwrap_or_default(),
                    )
                };
                let ours = std::panic::catch_unwind(|| {
                    Expr::compile(expr)
                        .map(|e| e.with_stack_budget(128 << 20))
                        .and_then(|e| e.evaluate_input(input.as_ref(), &bindings))
                });
                let ok = match (&ours, case.get("result"), case.get("error")) {
                    (Ok(Ok(Some(v))), Some(want), _) => same(v, want),
                    (Ok(Ok(None)), None, None) => case.get("undefined").is_some(),
                    (Ok(Err(e)), _, Some(code)) => {
                        if code.as_str() != Some(e.code.as_str()) {
                            code_mismatch += 1;
                        }
                        true
                    }
                    _ => false,
                };
                if ok {
                    agree += 1;
                } else {
                    let want = case
                        .get("result")
                        .map(|r| r.to_string())
                        .or_else(|| case.get("error").map(|e| format!("error {e}")))
                        .unwrap_or_else(|| "undefined".into());
                    let got = match ours {
                        Ok(Ok(Some(v))) => v.to_string(),
                        Ok(Ok(None)) => "undefined".into(),
                        Ok(Err(e)) => format!("error {} {}", e.code, e.message),
                        Err(_) => "panic".into(),
                    };
                    disagreements.push(format!(
                        "{} {expr:?}: reference {want}, ours {got}",
                        case["id"]
                    ));
                }
            }
            (agree, total, code_mismatch, disagreements)
        })
        .expect("spawn");
    let (agree, total, code_mismatch, disagreements) = handle.join().expect("differential thread");
    for d in &disagreements {
        let short: String = d.chars().take(300).collect();
        println!("DISAGREE {short}");
    }
    let rate = agree as f64 / total.max(1) as f64;
    println!(
        "differential: {agree}/{total} agree ({:.1}%), {} disagree; {code_mismatch} agreeing errors have another code",
        100.0 * rate,
        total - agree
    );
    assert!(
        rate >= MIN_AGREEMENT,
        "agreement {:.1}% fell below {:.0}%",
        100.0 * rate,
        100.0 * MIN_AGREEMENT
    );
}
