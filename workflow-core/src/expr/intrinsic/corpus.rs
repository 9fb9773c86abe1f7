//! The intrinsic-function cases of the AWS-recorded conformance corpus, replayed against this
//! module.
//!
//! `corpus.jsonl` holds every JSONPath case of the corpus group `intrinsic-functions`, plus the
//! Fail state with intrinsic `ErrorPath`/`CausePath` and the variable references in intrinsic
//! arguments. Each line is one execution that real AWS Step Functions ran: the definition,
//! the input and the recorded result. The data comes from LocalStack's snapshot tests
//! (<https://github.com/localstack/localstack>, commit `8b9a79f0`, Apache-2.0); only the
//! fields used here were kept. The JSONata cases of that group (`$partition`, `$range`,
//! `$parse`) are not intrinsic function calls and are left out.
//!
//! The definitions are small Pass and Fail machines, so a few lines below stand in for the
//! executor: they follow `Next` from `StartAt`, evaluate `Parameters` (every `.$` key), literal
//! `Assign`, `ResultPath` and `OutputPath`, and compare with the recorded output. Values that
//! the recording masks are checked by shape: `States.MathRandom` results
//! (`RandomNumberGenerated`) must be integers, `States.UUID` results (`<uuid:1>`) v4 UUIDs.

use serde_json::{Map, Value, json};

use super::Call;
use crate::expr::SimpleScope;
use crate::expr::jsonpath::{Path, ReferencePath};

const CORPUS: &str = include_str!("corpus.jsonl");

#[test]
fn every_recorded_case_gives_the_recorded_result() {
    let mut n_passed = 0;
    let mut failures = Vec::new();
    for line in CORPUS.lines() {
        let case: Value =
            serde_json::from_str(line).expect("corpus.jsonl holds one JSON object per line");
        match replay(&case) {
            Ok(()) => n_passed += 1,
            Err(why) => failures.push(format!("{}: {why}", case["id"])),
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(n_passed, 133);
}

fn replay(case: &Value) -> Result<(), String> {
    let definition = &case["definition"];
    let input = &case["input"];
    let expected = &case["expected"];
    let mut scope = SimpleScope {
        variables: Map::new(),
        context: context_object(input),
    };
    let mut state_input = input.clone();
    let mut name = definition["StartAt"]
        .as_str()
        .ok_or("no StartAt")?
        .to_string();
    loop {
        let state = &definition["States"][&name];
        match state["Type"].as_str() {
            Some("Pass") => {
                if let Some(assign) = state.get("Assign") {
                    let Value::Object(assigned) = eval_template(assign, &state_input, &scope)?
                    else {
                        return Err("Assign is not an object".into());
                    };
                    scope.variables.extend(assigned);
                }
                let result = match (state.get("Parameters"), state.get("Result")) {
                    (Some(parameters), _) => eval_template(parameters, &state_input, &scope)?,
                    (None, Some(result)) => result.clone(),
                    (None, None) => state_input.clone(),
                };
                let mut output = match state.get("ResultPath").and_then(Value::as_str) {
                    Some(path) => ReferencePath::parse(path)
                        .map_err(|err| err.to_string())?
                        .apply(state_input.clone(), result)
                        .map_err(|err| err.to_string())?,
                    None => result,
                };
                if let Some(path) = state.get("OutputPath").and_then(Value::as_str) {
                    output = select(path, &output, &scope)?;
                }
                if state.get("End") == Some(&Value::Bool(true)) {
                    return compare(&output, &expected["output"]);
                }
                state_input = output;
                name = state["Next"]
                    .as_str()
                    .ok_or("a Pass state without Next or End")?
                    .to_string();
            }
            Some("Fail") => {
                for (field, recorded) in [("ErrorPath", "error"), ("CausePath", "cause")] {
                    if let Some(Value::String(source)) = state.get(field) {
                        let value = eval_expr(source, &state_input, &scope)?;
                        compare(&value, &expected[recorded])?;
                    }
                }
                return Ok(());
            }
            other => return Err(format!("state type {other:?} is not replayed here")),
        }
    }
}

/// The context object under the names the corpus README says the recording masked.
fn context_object(input: &Value) -> Value {
    json!({
        "Execution": {
            "Id": "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>",
            "Input": input,
            "Name": "<ExecArnPart_0idx>",
            "RoleArn": "snf_role_arn",
            "StartTime": "date",
        },
        "StateMachine": {
            "Id": "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
            "Name": "<ArnPart_0idx>",
        },
    })
}

fn eval_template(template: &Value, input: &Value, scope: &SimpleScope) -> Result<Value, String> {
    Ok(match template {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match (key.strip_suffix(".$"), value) {
                    (Some(name), Value::String(source)) => {
                        out.insert(name.to_string(), eval_expr(source, input, scope)?);
                    }
                    _ => {
                        out.insert(key.clone(), eval_template(value, input, scope)?);
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| eval_template(item, input, scope))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

fn eval_expr(source: &str, input: &Value, scope: &SimpleScope) -> Result<Value, String> {
    if Call::looks_like_call(source) {
        let call = Call::parse(source).map_err(|err| err.to_string())?;
        call.eval(input, scope).map_err(|err| err.to_string())
    } else {
        select(source, input, scope)
    }
}

fn select(source: &str, input: &Value, scope: &SimpleScope) -> Result<Value, String> {
    let path = Path::parse(source).map_err(|err| err.to_string())?;
    let value = path.select(input, scope).map_err(|err| err.to_string())?;
    value
        .map(|value| value.into_owned())
        .ok_or_else(|| format!("the path {source} matches nothing"))
}

/// Equality as JSON, with the masked values checked by shape.
fn compare(actual: &Value, expected: &Value) -> Result<(), String> {
    let matches = match (actual, expected) {
        (_, Value::String(mask)) if mask == "RandomNumberGenerated" => actual.is_i64(),
        (Value::String(uuid), Value::String(mask)) if mask.starts_with("<uuid:") => {
            is_uuid_v4(uuid)
        }
        (Value::Object(actual_map), Value::Object(expected_map)) => {
            actual_map.len() == expected_map.len()
                && expected_map.iter().all(|(key, expected_item)| {
                    actual_map
                        .get(key)
                        .is_some_and(|actual_item| compare(actual_item, expected_item).is_ok())
                })
        }
        (Value::Array(actual_items), Value::Array(expected_items)) => {
            actual_items.len() == expected_items.len()
                && actual_items
                    .iter()
                    .zip(expected_items)
                    .all(|(actual_item, expected_item)| compare(actual_item, expected_item).is_ok())
        }
        _ => actual == expected,
    };
    if matches {
        Ok(())
    } else {
        Err(format!("got {actual}, AWS gave {expected}"))
    }
}

fn is_uuid_v4(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|group| group.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|group| group.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}
