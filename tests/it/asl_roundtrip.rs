//! Every definition of the AWS-recorded corpus parses and serialises back to the same JSON.

use serde_json::Value;
use workflow_core::asl;

fn corpus() -> Vec<(String, Value)> {
    let text = include_str!("../conformance/localstack-aws-recorded.jsonl");
    text.lines()
        .map(|line| {
            let case: Value = serde_json::from_str(line).expect("corpus line is JSON");
            (
                case["id"].as_str().unwrap_or_default().to_string(),
                case["definition"].clone(),
            )
        })
        .collect()
}

#[test]
fn corpus_definitions_round_trip_losslessly() {
    let mut failures = Vec::new();
    let cases = corpus();
    for (id, definition) in &cases {
        match asl::parse_value(definition) {
            Ok(machine) => {
                let back = machine.to_json();
                // Compare as text so that key order counts too.
                let want = serde_json::to_string(definition).unwrap();
                let got = serde_json::to_string(&back).unwrap();
                if want != got {
                    failures.push(format!(
                        "{id}: round trip differs\n  want {want}\n  got  {got}"
                    ));
                }
            }
            Err(diags) => {
                let msgs: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
                failures.push(format!("{id}: does not parse: {}", msgs.join("; ")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} definitions fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
