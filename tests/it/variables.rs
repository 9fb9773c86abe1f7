//! Workflow variables, with AWS's rules: values as of state entry, scopes, size limits.

use serde_json::{Value, json};
use workflow_core::exec::{Engine, LoadOptions, Outcome, StartOptions};

async fn run(definition: Value, input: Value) -> Outcome {
    let engine = Engine::default();
    let machine = engine
        .load_str(&definition.to_string(), LoadOptions::default())
        .unwrap_or_else(|e| panic!("loads: {e}"));
    engine
        .run(&machine, input, StartOptions::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn assign_and_output_see_the_values_of_state_entry() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}", "y": "{% $x %}"},
                  "Output": {"x": "{% $x %}"}, "Next": "C"},
            "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "End": true}
        }}),
        json!({}),
    )
    .await;
    // In B, `y` and `Output` read x = 1, the value at entry; C sees the new values.
    assert_eq!(outcome.output(), Some(&json!({"x": 2, "y": 1})));
}

#[tokio::test]
async fn inner_scopes_read_outer_variables_but_do_not_assign_them() {
    let reads = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"base": 10}, "Next": "M"},
            "M": {"Type": "Map", "Items": [1, 2],
                  "ItemProcessor": {"StartAt": "P", "States": {"P": {
                      "Type": "Pass", "Assign": {"local": "{% $states.input %}"},
                      "Next": "Q"},
                      "Q": {"Type": "Pass", "Output": "{% $base + $local %}", "End": true}}},
                  "End": true}
        }}),
        json!({}),
    )
    .await;
    assert_eq!(reads.output(), Some(&json!([11, 12])));
    let shadows = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"base": 10}, "Next": "M"},
            "M": {"Type": "Map", "Items": [1],
                  "ItemProcessor": {"StartAt": "P", "States": {"P": {
                      "Type": "Pass", "Assign": {"base": 1}, "End": true}}},
                  "End": true}
        }}),
        json!({}),
    )
    .await;
    assert_eq!(shadows.error(), Some("States.Runtime"));
    assert!(
        shadows.cause().unwrap().contains("'$base'"),
        "{:?}",
        shadows.cause()
    );
}

#[tokio::test]
async fn a_distributed_map_does_not_see_outer_variables() {
    let outcome = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"base": 10}, "Next": "M"},
            "M": {"Type": "Map", "Items": [1],
                  "ItemProcessor": {
                      "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                      "StartAt": "P", "States": {"P": {
                          "Type": "Pass", "Output": "{% $base %}", "End": true}}},
                  "End": true}
        }}),
        json!({}),
    )
    .await;
    assert_eq!(outcome.error(), Some("States.QueryEvaluationError"));
}

#[tokio::test]
async fn variables_are_limited_in_size() {
    let big = "x".repeat(200 * 1024);
    let one_too_big = run(
        json!({"StartAt": "A", "States": {"A": {
            "Type": "Pass", "Assign": {"v.$": "States.Format('{}{}', $.s, $.s)"}, "End": true}}}),
        json!({"s": big}),
    )
    .await;
    assert_eq!(one_too_big.error(), Some("States.Runtime"));
    assert!(one_too_big.cause().unwrap().contains("variable '$v'"));
    let assign_too_big = run(
        json!({"StartAt": "A", "States": {"A": {
            "Type": "Pass", "Assign": {"a.$": "$.s", "b.$": "$.s"}, "End": true}}}),
        json!({"s": big}),
    )
    .await;
    assert!(
        assign_too_big
            .cause()
            .unwrap()
            .contains("one Assign assigns at most")
    );
    // 60 variables of 200 KiB each: over 10 MiB in all.
    let states: serde_json::Map<String, Value> = (0..60)
        .map(|i| {
            let mut s = json!({"Type": "Pass", "Assign": {format!("v{i}.$"): "$.s"}});
            if i < 59 {
                s["Next"] = json!(format!("S{}", i + 1));
            } else {
                s["End"] = json!(true);
            }
            (format!("S{i}"), s)
        })
        .collect();
    let total = run(
        json!({"StartAt": "S0", "States": states}),
        json!({"s": big}),
    )
    .await;
    assert_eq!(total.error(), Some("States.Runtime"));
    assert!(
        total.cause().unwrap().contains("10485760"),
        "{:?}",
        total.cause()
    );
}

#[tokio::test]
async fn assigned_variables_appear_in_the_exit_event() {
    let engine = Engine::default();
    let machine = engine
        .load_str(
            &json!({"StartAt": "A", "States": {"A": {
                "Type": "Pass", "Assign": {"n": 1}, "End": true}}})
            .to_string(),
            LoadOptions::default(),
        )
        .unwrap();
    let handle = engine
        .start(&machine, json!({}), StartOptions::default())
        .unwrap();
    handle.result().await;
    let exited = handle
        .history()
        .iter()
        .find(|e| e.event_type.as_str() == "PassStateExited")
        .map(|e| e.to_json())
        .unwrap();
    assert_eq!(
        exited["stateExitedEventDetails"]["assignedVariables"],
        json!({"n": "1"})
    );
}
