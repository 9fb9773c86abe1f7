//! Unit tests of the validator: one small definition per rule, asserting each diagnostic's code
//! and location.

use serde_json::{Value, json};

use crate::asl::{Severity, load_str, load_value};

/// `(severity, code, location)` of every diagnostic of a definition that parses.
fn check(definition: Value) -> Vec<(&'static str, &'static str, String)> {
    let diags = match load_value(&definition) {
        Ok(validated) => validated.warnings,
        Err(diags) => diags.0,
    };
    diags
        .into_iter()
        .map(|d| (d.severity.as_str(), d.code.as_str(), d.location))
        .collect()
}

/// The `(code, location)` of each error.
fn errors(definition: Value) -> Vec<(&'static str, String)> {
    check(definition)
        .into_iter()
        .filter(|(severity, _, _)| *severity == Severity::Error.as_str())
        .map(|(_, code, at)| (code, at))
        .collect()
}

fn e(code: &'static str, at: &str) -> (&'static str, String) {
    (code, at.to_string())
}

/// A machine of one state named `S` (plus `states`), `S` first.
fn one(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state}})
}

fn jsonata(state: Value) -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": state}})
}

fn task(extra: Value) -> Value {
    let mut state =
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
    if let (Value::Object(state), Value::Object(extra)) = (&mut state, extra) {
        state.extend(extra);
    }
    state
}

const SCHEMA: &str = "SCHEMA_VALIDATION_FAILED";
const TARGET: &str = "MISSING_TRANSITION_TARGET";

#[test]
fn a_valid_machine_has_no_diagnostics() {
    let definition = json!({
        "Comment": "all state types",
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.r", "Next": "Work"},
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work",
                "Parameters": {"n.$": "$.r.n", "fmt.$": "States.Format('{}', $.r.n)"},
                "TimeoutSeconds": 30,
                "HeartbeatSeconds": 10,
                "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2.0},
                          {"ErrorEquals": ["States.ALL"]}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
                "Next": "Decide"
            },
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThanPath": "$.max", "Next": "Later"},
                            {"Not": {"Variable": "$.t", "TimestampEquals": "2024-01-01T00:00:00Z"}, "Next": "Fan"}],
                "Default": "Done"
            },
            "Later": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Fan"},
            "Fan": {"Type": "Parallel", "Next": "Each", "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Succeed"}}}
            ]},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "Next": "Done",
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}},
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "Cause": "it broke"}
        }
    });
    assert_eq!(check(definition), []);
}

// ---- graph rules -------------------------------------------------------------------------

#[test]
fn start_at_must_name_a_state() {
    let definition = json!({"StartAt": "Nope", "States": {"A": {"Type": "Succeed"}}});
    assert_eq!(
        errors(definition),
        [e(TARGET, "/StartAt"), e(TARGET, "/States/A")]
    );
}

#[test]
fn every_transition_must_name_a_state_of_its_graph() {
    let definition = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": true, "Next": "Gone"}], "Default": "Also gone"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Lost",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Missing"}]},
        "End": {"Type": "Succeed"}
    }});
    assert_eq!(
        errors(definition),
        [
            e(TARGET, "/States/C/Choices/0/Next"),
            e(TARGET, "/States/C/Default"),
            e(TARGET, "/States/T/Next"),
            e(TARGET, "/States/T/Catch/0/Next"),
            e(TARGET, "/States/T"),
            e(TARGET, "/States/End"),
        ]
    );
}

#[test]
fn transitions_cannot_leave_or_enter_a_nested_graph() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Inner", "Branches": [
            {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Next": "After"}, "Stop": {"Type": "Succeed"}}}
        ]},
        "After": {"Type": "Succeed"}
    }});
    let diags = load_value(&definition).unwrap_err();
    let found: Vec<_> = diags
        .0
        .iter()
        .map(|d| (d.code.as_str(), d.location.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (TARGET, "/States/P/Branches/0/States/Inner/Next"),
            (TARGET, "/States/P/Branches/0/States/Stop"),
            (TARGET, "/States/P/Next"),
            (TARGET, "/States/After"),
        ]
    );
    assert!(
        diags.0[0]
            .message
            .contains("a transition cannot enter or leave"),
        "{}",
        diags.0[0].message
    );
}

#[test]
fn a_state_nothing_names_is_unreachable() {
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "End": true},
        "Loop": {"Type": "Pass", "Next": "Loop"}
    }});
    assert_eq!(errors(definition), [e(TARGET, "/States/Loop")]);
}

#[test]
fn a_graph_without_a_terminal_state_is_missing_its_end() {
    // As on AWS, an unreachable state is not reported when there is no terminal state.
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Next": "A"},
        "C": {"Type": "Pass", "Next": "A"}
    }});
    assert_eq!(errors(definition), [e("MISSING_END_STATE", "")]);
    let nested = one(
        json!({"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "L", "States": {
            "L": {"Type": "Wait", "Seconds": 1, "Next": "L"}
        }}}),
    );
    assert_eq!(
        errors(nested),
        [e("MISSING_END_STATE", "/States/S/ItemProcessor")]
    );
}

#[test]
fn loops_with_a_way_out_are_fine() {
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Wait", "Seconds": 1, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": true, "Next": "D"}], "Default": "A"},
        "D": {"Type": "Succeed"}
    }});
    assert_eq!(check(definition), []);
}

#[test]
fn state_names_are_unique_in_the_whole_machine() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "A", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}},
            {"StartAt": "A ", "States": {"A ": {"Type": "Succeed"}}}
        ]},
        "A": {"Type": "Succeed"}
    }});
    assert_eq!(errors(definition), [e("DUPLICATE_STATE_NAME", "/States/A")]);
}

#[test]
fn duplicate_keys_in_one_states_object_are_found_in_the_text() {
    let text = r#"{"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Succeed"},
        "A": {"Type": "Pass", "Next": "B"},
        "M": {"Type": "Map", "End": true, "Parameters": {"States": {"x": 1, "x": 2}},
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}, "I": {"Type": "Succeed"}}}}
    }}"#;
    let diags = load_str(text).unwrap_err();
    let found: Vec<_> = diags
        .0
        .iter()
        .map(|d| (d.code.as_str(), d.location.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("DUPLICATE_STATE_NAME", "/States/A"),
            ("DUPLICATE_STATE_NAME", "/States/M/ItemProcessor/States/I"),
            (TARGET, "/States/M"),
        ]
    );
}

#[test]
fn state_names_have_at_most_80_characters_and_no_control_characters() {
    let long = "x".repeat(81);
    let definition =
        json!({"StartAt": long.clone(), "States": {long.clone(): {"Type": "Succeed"}}});
    assert_eq!(
        errors(definition),
        [e("INVALID_STATE_NAME", &format!("/States/{long}"))]
    );
    let fine = "é".repeat(80);
    assert_eq!(
        check(json!({"StartAt": fine.clone(), "States": {fine: {"Type": "Succeed"}}})),
        []
    );
    let bell = json!({"StartAt": "a\u{7}", "States": {"a\u{7}": {"Type": "Succeed"}}});
    assert_eq!(errors(bell), [e("INVALID_STATE_NAME", "/States/a\u{7}")]);
}

#[test]
fn names_with_slashes_and_tildes_are_escaped_in_pointers() {
    let definition = json!({"StartAt": "a/b", "States": {"a/b": {"Type": "Pass", "Next": "c~d"}}});
    assert_eq!(
        errors(definition),
        [e(TARGET, "/States/a~1b/Next"), e("MISSING_END_STATE", "")]
    );
}

#[test]
fn nesting_deeper_than_the_limit_is_too_deep() {
    let mut inner = json!({"Type": "Succeed"});
    for _ in 0..=crate::asl::MAX_NESTING_DEPTH {
        inner = json!({"Type": "Parallel", "End": true, "Branches": [{"StartAt": "N", "States": {"N": inner}}]});
    }
    let found = errors(json!({"StartAt": "N", "States": {"N": inner}}));
    // State names repeat at every level, so only the first is unique.
    assert_eq!(
        found
            .iter()
            .filter(|(code, _)| *code == "TOO_DEEPLY_NESTED")
            .count(),
        1
    );
    let deepest = found
        .iter()
        .find(|(code, _)| *code == "TOO_DEEPLY_NESTED")
        .unwrap();
    assert_eq!(
        deepest.1.matches("/Branches/0").count(),
        crate::asl::MAX_NESTING_DEPTH,
        "{}",
        deepest.1
    );
}

// ---- fields per state type and query language ---------------------------------------------

#[test]
fn fields_a_state_type_does_not_have() {
    let definition = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Parameters": {}, "ResultPath": "$.x", "ResultSelector": {},
              "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "W"}]},
        "W": {"Type": "Wait", "Seconds": 1, "Parameters": {}, "Next": "P"},
        "P": {"Type": "Pass", "ResultSelector": {}, "Next": "D"},
        "D": {"Type": "Succeed", "Assign": {"x": 1}, "ResultPath": "$.y"}
    }});
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/C/Parameters"),
            e(SCHEMA, "/States/C/ResultSelector"),
            e(SCHEMA, "/States/C/ResultPath"),
            e(SCHEMA, "/States/W/Parameters"),
            e(SCHEMA, "/States/P/ResultSelector"),
            e(SCHEMA, "/States/D/ResultPath"),
            e(SCHEMA, "/States/D/Assign"),
        ]
    );
    let pass_arguments = jsonata(json!({"Type": "Pass", "Arguments": {}, "End": true}));
    assert_eq!(errors(pass_arguments), [e(SCHEMA, "/States/S/Arguments")]);
    let map_arguments = jsonata(json!({"Type": "Map", "Arguments": {}, "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}));
    assert_eq!(errors(map_arguments), [e(SCHEMA, "/States/S/Arguments")]);
}

#[test]
fn jsonpath_fields_are_invalid_in_jsonata_states() {
    let definition = jsonata(task(json!({
        "InputPath": "$.a", "OutputPath": "$.b", "Parameters": {}, "ResultSelector": {},
        "ResultPath": "$.c", "TimeoutSecondsPath": "$.t", "HeartbeatSecondsPath": "$.h",
        "Catch": [{"ErrorEquals": ["X"], "ResultPath": "$.e", "Next": "S"}]
    })));
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/S/InputPath"),
            e(SCHEMA, "/States/S/OutputPath"),
            e(SCHEMA, "/States/S/Parameters"),
            e(SCHEMA, "/States/S/ResultSelector"),
            e(SCHEMA, "/States/S/ResultPath"),
            e(SCHEMA, "/States/S/TimeoutSecondsPath"),
            e(SCHEMA, "/States/S/HeartbeatSecondsPath"),
            e(SCHEMA, "/States/S/Catch/0/ResultPath"),
        ]
    );
    let pass = jsonata(json!({"Type": "Pass", "Result": 1, "End": true}));
    assert_eq!(errors(pass), [e(SCHEMA, "/States/S/Result")]);
    let wait = jsonata(json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}));
    assert_eq!(errors(wait), [e(SCHEMA, "/States/S/SecondsPath")]);
    let fail = jsonata(json!({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}));
    assert_eq!(
        errors(fail),
        [
            e(SCHEMA, "/States/S/ErrorPath"),
            e(SCHEMA, "/States/S/CausePath")
        ]
    );
    let map = jsonata(
        json!({"Type": "Map", "ItemsPath": "$.xs", "MaxConcurrencyPath": "$.m", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}),
    );
    assert_eq!(
        errors(map),
        [
            e(SCHEMA, "/States/S/ItemsPath"),
            e(SCHEMA, "/States/S/MaxConcurrencyPath")
        ]
    );
}

#[test]
fn jsonata_fields_are_invalid_in_jsonpath_states() {
    let definition = one(task(json!({
        "Arguments": {}, "Output": {},
        "Catch": [{"ErrorEquals": ["X"], "Output": "{% 1 %}", "Next": "S"}]
    })));
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/S/Arguments"),
            e(SCHEMA, "/States/S/Output"),
            e(SCHEMA, "/States/S/Catch/0/Output"),
        ]
    );
    let map = one(json!({"Type": "Map", "Items": [1, 2], "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}));
    assert_eq!(errors(map), [e(SCHEMA, "/States/S/Items")]);
    let choice = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Output": {}, "Next": "D"}]},
        "D": {"Type": "Succeed"}
    }});
    assert_eq!(
        errors(choice),
        [
            e(SCHEMA, "/States/C/Choices/0/Condition"),
            e(SCHEMA, "/States/C/Choices/0/Output")
        ]
    );
}

#[test]
fn jsonata_choice_rules_use_condition_only() {
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.x", "IsPresent": true, "Next": "D"},
            {"And": [{"Variable": "$.x", "IsPresent": true}], "Next": "D"},
            {"Not": {"Variable": "$.x", "IsPresent": true}, "Next": "D"},
            {"Condition": "{% $states.input.x %}", "Assign": {"seen": true}, "Output": "{% 1 %}", "Next": "D"},
            {"Condition": false, "Next": "D"}
        ]},
        "D": {"Type": "Succeed"}
    }});
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/C/Choices/0/Variable"),
            e(SCHEMA, "/States/C/Choices/1/And"),
            e(SCHEMA, "/States/C/Choices/2/Not"),
        ]
    );
}

#[test]
fn a_state_cannot_go_back_to_jsonpath_in_a_jsonata_machine() {
    let definition = jsonata(json!({"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}));
    assert_eq!(errors(definition), [e(SCHEMA, "/States/S/QueryLanguage")]);
    let forward =
        one(json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 %}", "End": true}));
    assert_eq!(check(forward), []);
}

#[test]
fn nested_states_inherit_the_machine_language_not_their_parents() {
    let definition = one(
        json!({"Type": "Map", "QueryLanguage": "JSONata", "Items": [1], "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Output": 1, "End": true}}}}),
    );
    assert_eq!(
        errors(definition),
        [e(SCHEMA, "/States/S/ItemProcessor/States/I/Output")]
    );
}

#[test]
fn map_processors_do_not_take_a_query_language() {
    let definition = one(json!({"Type": "Map", "End": true,
        "Iterator": {"QueryLanguage": "JSONPath", "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}));
    assert_eq!(
        errors(definition),
        [e(SCHEMA, "/States/S/Iterator/QueryLanguage")]
    );
}

// ---- mutually exclusive fields and ranges ---------------------------------------------------

#[test]
fn wait_takes_exactly_one_duration() {
    assert_eq!(
        errors(one(json!({"Type": "Wait", "End": true}))),
        [e(SCHEMA, "/States/S")]
    );
    let two = one(
        json!({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "TimestampPath": "$.t", "End": true}),
    );
    assert_eq!(
        errors(two),
        [
            e(SCHEMA, "/States/S/SecondsPath"),
            e(SCHEMA, "/States/S/TimestampPath")
        ]
    );
    let negative = one(json!({"Type": "Wait", "Seconds": -1, "End": true}));
    assert_eq!(errors(negative), [e(SCHEMA, "/States/S/Seconds")]);
    let fraction = one(json!({"Type": "Wait", "Seconds": 1.5, "End": true}));
    assert_eq!(errors(fraction), [e(SCHEMA, "/States/S/Seconds")]);
}

#[test]
fn timestamps_follow_rfc_3339_with_uppercase_t_and_z() {
    for bad in [
        "2016-03-14T01:59:00",
        "2016-03-14t01:59:00Z",
        "2016-13-14T01:59:00Z",
        "tomorrow",
    ] {
        let definition = one(json!({"Type": "Wait", "Timestamp": bad, "End": true}));
        assert_eq!(
            errors(definition),
            [e(SCHEMA, "/States/S/Timestamp")],
            "{bad}"
        );
    }
    let choice = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.t", "TimestampLessThan": "2016-03-14", "Next": "D"}]},
        "D": {"Type": "Succeed"}
    }});
    assert_eq!(
        errors(choice),
        [e(SCHEMA, "/States/C/Choices/0/TimestampLessThan")]
    );
    let expression =
        jsonata(json!({"Type": "Wait", "Timestamp": "{% $states.input.at %}", "End": true}));
    assert_eq!(check(expression), []);
}

#[test]
fn fail_error_and_cause_exclude_their_paths() {
    let definition = one(
        json!({"Type": "Fail", "Error": "E", "ErrorPath": "$.e", "Cause": "C", "CausePath": "$.c"}),
    );
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/S/ErrorPath"),
            e(SCHEMA, "/States/S/CausePath")
        ]
    );
    let bad_path = one(json!({"Type": "Fail", "ErrorPath": "error"}));
    assert_eq!(errors(bad_path), [e(SCHEMA, "/States/S/ErrorPath")]);
}

#[test]
fn task_timeouts() {
    let both = one(task(
        json!({"TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t",
        "HeartbeatSeconds": 5, "HeartbeatSecondsPath": "$.h"}),
    ));
    assert_eq!(
        errors(both),
        [
            e(SCHEMA, "/States/S/TimeoutSecondsPath"),
            e(SCHEMA, "/States/S/HeartbeatSecondsPath"),
            e(SCHEMA, "/States/S/HeartbeatSeconds"),
        ]
    );
    let zero = one(task(
        json!({"TimeoutSeconds": 0, "HeartbeatSeconds": 100000000}),
    ));
    assert_eq!(
        errors(zero),
        [
            e(SCHEMA, "/States/S/TimeoutSeconds"),
            e(SCHEMA, "/States/S/HeartbeatSeconds")
        ]
    );
    let expression_in_jsonpath = one(task(json!({"TimeoutSeconds": "{% 5 %}"})));
    assert_eq!(
        errors(expression_in_jsonpath),
        [e(SCHEMA, "/States/S/TimeoutSeconds")]
    );
    let expression_in_jsonata = jsonata(task(
        json!({"TimeoutSeconds": "{% 5 %}", "HeartbeatSeconds": "5"}),
    ));
    assert_eq!(
        errors(expression_in_jsonata),
        [e(SCHEMA, "/States/S/HeartbeatSeconds")]
    );
}

#[test]
fn retriers_ranges() {
    let definition = one(task(json!({"Retry": [{
        "ErrorEquals": ["X"], "IntervalSeconds": 0, "MaxAttempts": -1,
        "BackoffRate": 0.9, "MaxDelaySeconds": 31622401
    }]})));
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/S/Retry/0/IntervalSeconds"),
            e(SCHEMA, "/States/S/Retry/0/MaxAttempts"),
            e(SCHEMA, "/States/S/Retry/0/BackoffRate"),
            e(SCHEMA, "/States/S/Retry/0/MaxDelaySeconds"),
        ]
    );
    let edges = one(task(json!({"Retry": [{
        "ErrorEquals": ["X"], "IntervalSeconds": 1, "MaxAttempts": 0, "BackoffRate": 1, "MaxDelaySeconds": 31622400
    }]})));
    assert_eq!(check(edges), []);
}

#[test]
fn states_all_stands_alone_in_the_last_retrier_and_catcher() {
    let definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X", "States.ALL"]}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}, {"ErrorEquals": ["X"], "Next": "F"}]},
        "F": {"Type": "Fail"}
    }});
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/T/Retry/0/ErrorEquals"),
            e(SCHEMA, "/States/T/Retry/1/ErrorEquals"),
            e(SCHEMA, "/States/T/Catch/0/ErrorEquals"),
        ]
    );
}

#[test]
fn map_fields() {
    let processor = json!({"StartAt": "I", "States": {"I": {"Type": "Succeed"}}});
    let definition = one(
        json!({"Type": "Map", "End": true, "ItemProcessor": processor,
        "ItemsPath": "$.xs", "Parameters": {}, "ItemSelector": {},
        "MaxConcurrency": -1, "MaxConcurrencyPath": "$.m",
        "ToleratedFailurePercentage": 101, "ToleratedFailureCount": 1.5,
        "ToleratedFailureCountPath": "$.c"}),
    );
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/S/ItemSelector"),
            e(SCHEMA, "/States/S/MaxConcurrencyPath"),
            e(SCHEMA, "/States/S/MaxConcurrency"),
            e(SCHEMA, "/States/S/ToleratedFailurePercentage"),
            e(SCHEMA, "/States/S/ToleratedFailureCountPath"),
            e(SCHEMA, "/States/S/ToleratedFailureCount"),
        ]
    );
    let distributed = one(json!({"Type": "Map", "End": true, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}},
        "ItemReader": {"Resource": "s3:getObject", "Parameters": {"Bucket.$": "bucket"}},
        "ItemBatcher": {"MaxItemsPerBatch": -2},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Arguments": {}}}));
    assert_eq!(
        errors(distributed),
        [
            e(SCHEMA, "/States/S/ItemProcessor/ProcessorConfig"),
            e("INVALID_RESOURCE", "/States/S/ItemReader/Resource"),
            e(SCHEMA, "/States/S/ItemReader/Parameters/Bucket.$"),
            e(SCHEMA, "/States/S/ResultWriter/Arguments"),
            e(SCHEMA, "/States/S/ItemBatcher/MaxItemsPerBatch"),
        ]
    );
}

#[test]
fn map_labels_are_valid_and_unique() {
    let map = |label: &str, inner: &str, next: Value| {
        let mut state = json!({"Type": "Map", "Label": label,
            "ItemProcessor": {"StartAt": inner, "States": {inner: {"Type": "Succeed"}}}});
        if let Value::Object(state) = &mut state
            && let Value::Object(next) = next
        {
            state.extend(next);
        }
        state
    };
    let definition = json!({"StartAt": "A", "States": {
        "A": map("Same", "IA", json!({"Next": "B"})),
        "B": map("Same", "IB", json!({"Next": "C"})),
        "C": map("has space", "IC", json!({"End": true}))
    }});
    assert_eq!(
        errors(definition),
        [
            e("DUPLICATE_LABEL_NAME", "/States/B/Label"),
            e("INVALID_LABEL_NAME", "/States/C/Label")
        ]
    );
}

#[test]
fn parallel_needs_a_branch() {
    let definition = one(json!({"Type": "Parallel", "Branches": [], "End": true}));
    assert_eq!(errors(definition), [e(SCHEMA, "/States/S/Branches")]);
}

#[test]
fn machine_timeout_is_positive() {
    let definition =
        json!({"TimeoutSeconds": 0, "StartAt": "S", "States": {"S": {"Type": "Succeed"}}});
    assert_eq!(errors(definition), [e(SCHEMA, "/TimeoutSeconds")]);
}

// ---- values: resources, paths, templates, variables, JSONata ---------------------------------

#[test]
fn task_resources_are_arns() {
    for bad in [
        "lambda",
        "arn:aws:lambda",
        "arn:azure:states:::lambda:invoke",
        "${LambdaArn}",
    ] {
        let definition = one(json!({"Type": "Task", "Resource": bad, "End": true}));
        assert_eq!(
            errors(definition),
            [e("INVALID_RESOURCE", "/States/S/Resource")],
            "{bad}"
        );
    }
}

#[test]
fn paths_must_parse() {
    // These hold whatever the JSONPath implementation accepts; a path without `$` never parses.
    let definition = one(
        json!({"Type": "Pass", "InputPath": "input", "OutputPath": "out",
        "ResultPath": "result", "End": true}),
    );
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/S/InputPath"),
            e(SCHEMA, "/States/S/OutputPath"),
            e(SCHEMA, "/States/S/ResultPath"),
        ]
    );
    let null_paths = one(
        json!({"Type": "Pass", "InputPath": null, "OutputPath": null, "ResultPath": null, "End": true}),
    );
    assert_eq!(check(null_paths), []);
    let context_result = one(json!({"Type": "Pass", "ResultPath": "$$.Execution", "End": true}));
    assert_eq!(errors(context_result), [e(SCHEMA, "/States/S/ResultPath")]);
    let choice = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "x", "IsNull": true, "Next": "D"},
            {"Variable": "$.x", "StringEqualsPath": "y", "Next": "D"}
        ]},
        "D": {"Type": "Succeed"}
    }});
    assert_eq!(
        errors(choice),
        [
            e(SCHEMA, "/States/C/Choices/0/Variable"),
            e(SCHEMA, "/States/C/Choices/1/StringEqualsPath"),
        ]
    );
}

#[test]
fn payload_template_dollar_keys_hold_paths_or_intrinsics() {
    let definition = one(task(json!({
        "Parameters": {"ok.$": "$.a", "ctx.$": "$$.Execution.Id", "var.$": "$v",
            "call.$": "States.Array($.a)", "bad.$": "a.b", "num.$": 3,
            "nested": {"deep.$": "nope", "list": [{"inner.$": "x"}]}},
        "ResultSelector": "$.x"
    })));
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/S/Parameters/bad.$"),
            e(SCHEMA, "/States/S/Parameters/num.$"),
            e(SCHEMA, "/States/S/Parameters/nested/deep.$"),
            e(SCHEMA, "/States/S/Parameters/nested/list/0/inner.$"),
            e(SCHEMA, "/States/S/ResultSelector"),
        ]
    );
}

#[test]
fn assign_names_variables() {
    let definition = one(json!({"Type": "Pass", "End": true, "Assign": {
        "ok": 1, "ok2.$": "$.a", "1x": 1, "a-b": 2, "states": 3, "bad.$": "nope"
    }}));
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/S/Assign/1x"),
            e(SCHEMA, "/States/S/Assign/a-b"),
            e(SCHEMA, "/States/S/Assign/states"),
            e(SCHEMA, "/States/S/Assign/bad.$"),
        ]
    );
    let not_object = one(json!({"Type": "Pass", "Assign": "{% 1 %}", "End": true}));
    assert_eq!(errors(not_object), [e(SCHEMA, "/States/S/Assign")]);
    let in_jsonata =
        jsonata(json!({"Type": "Pass", "End": true, "Assign": {"x.$": "$.a", "y": "{% $z"}}));
    assert_eq!(
        errors(in_jsonata),
        [
            e(SCHEMA, "/States/S/Assign/x.$"),
            e(SCHEMA, "/States/S/Assign/y")
        ]
    );
}

#[test]
fn jsonata_expressions_are_wrapped_in_percent_braces() {
    let definition = jsonata(json!({"Type": "Map", "End": true,
        "Items": "$states.input.items",
        "ItemSelector": {"value": "{% $states.context.Map.Item.Value", "fine": "{% 1 %}", "plain": "text"},
        "MaxConcurrency": "{% %}",
        "Output": ["{% ok %}", "broken %}"],
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}));
    assert_eq!(
        errors(definition),
        [
            e(SCHEMA, "/States/S/Output/1"),
            e(SCHEMA, "/States/S/Items"),
            e(SCHEMA, "/States/S/ItemSelector/value"),
            e(SCHEMA, "/States/S/MaxConcurrency"),
        ]
    );
    let condition = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "$states.input.ok", "Next": "D"}]},
        "D": {"Type": "Succeed"}
    }});
    assert_eq!(
        errors(condition),
        [e(SCHEMA, "/States/C/Choices/0/Condition")]
    );
    let fail = jsonata(json!({"Type": "Fail", "Error": "{% 'E' %}", "Cause": "{% $states.input"}));
    assert_eq!(errors(fail), [e(SCHEMA, "/States/S/Cause")]);
}

// ---- warnings ---------------------------------------------------------------------------

#[test]
fn warnings_for_paths_used_as_literals() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"a": "$.x", "b": "States.Format('{}', $.y)", "c": "plain"},
              "Result": {"r.$": "$.z"}, "Next": "F"},
        "F": {"Type": "Fail", "Error": "$.error", "Cause": "static"}
    }});
    let validated = load_value(&definition).expect("warnings do not fail validation");
    let found: Vec<_> = validated
        .warnings
        .iter()
        .map(|d| (d.severity, d.code.as_str(), d.location.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (Severity::Warning, "NO_DOLLAR", "/States/P/Parameters/a"),
            (Severity::Warning, "NO_DOLLAR", "/States/P/Parameters/b"),
            (
                Severity::Warning,
                "PASS_RESULT_IS_STATIC",
                "/States/P/Result"
            ),
            (Severity::Warning, "NO_PATH", "/States/F/Error"),
        ]
    );
}

// ---- loading ------------------------------------------------------------------------------

#[test]
fn load_reports_parse_errors_and_empty_documents() {
    let empty = load_str("  ").unwrap_err();
    assert_eq!(empty.0[0].code.as_str(), "MISSING_DESCRIPTION");
    let not_json = load_str("{").unwrap_err();
    assert_eq!(not_json.0[0].code.as_str(), "INVALID_JSON_DESCRIPTION");
    let unknown_field =
        load_str(r#"{"StartAt": "S", "States": {"S": {"Type": "Succeed", "Next": "S"}}}"#)
            .unwrap_err();
    assert_eq!(
        unknown_field
            .0
            .iter()
            .map(|d| (d.code.as_str(), d.location.as_str()))
            .collect::<Vec<_>>(),
        [(SCHEMA, "/States/S/Next")]
    );
}

#[test]
fn load_returns_the_machine_and_its_warnings() {
    let text = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"a": "$.x"}, "End": true}}}"#;
    let validated = load_str(text).expect("valid");
    assert_eq!(validated.machine.start_at, "P");
    assert_eq!(validated.warnings.len(), 1);
    assert_eq!(validated.warnings[0].code.as_str(), "NO_DOLLAR");
}

#[test]
fn messages_follow_the_house_style() {
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "x", "TimeoutSeconds": 0, "Next": "Nowhere",
              "Retry": [{"ErrorEquals": ["States.ALL", "X"], "BackoffRate": 0}], "InputPath": "bad"},
        "B": {"Type": "Wait", "End": true}
    }});
    let diags = load_value(&definition).unwrap_err();
    assert!(diags.0.len() >= 6);
    for d in &diags.0 {
        let first = d.message.chars().next().unwrap();
        assert!(!first.is_uppercase(), "starts lowercase: {}", d.message);
        assert!(
            !d.message.ends_with('.'),
            "no trailing period: {}",
            d.message
        );
        assert!(
            d.message.contains('`'),
            "names the field in backticks: {}",
            d.message
        );
    }
}
