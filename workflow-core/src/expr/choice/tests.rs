use serde_json::{Value, json};

use super::{Rule, Timestamp, first_match};
use crate::asl::{self, ChoiceRule, ComparisonOp, Condition, Operand, StateKind};
use crate::expr::jsonpath::Path;
use crate::expr::{ErrorName, SimpleScope};

/// Parses one choice rule, written as in ASL without its `Next`.
fn parse_rule(rule: &Value) -> ChoiceRule {
    let mut rule = rule.clone();
    if let Some(fields) = rule.as_object_mut() {
        fields.insert("Next".into(), json!("Done"));
    }
    let definition = json!({
        "StartAt": "Check",
        "States": {
            "Check": { "Type": "Choice", "Choices": [rule] },
            "Done": { "Type": "Succeed" }
        }
    });
    let machine = asl::parse_value(&definition)
        .unwrap_or_else(|diags| panic!("test rule does not parse: {diags:?}"));
    match &machine.states["Check"].kind {
        StateKind::Choice(choice) => choice.choices[0].clone(),
        other => panic!("expected a Choice state, found {other:?}"),
    }
}

fn compile(rule: &Value) -> Rule {
    Rule::compile(&parse_rule(rule)).unwrap_or_else(|err| panic!("rule does not compile: {err}"))
}

fn scope() -> SimpleScope {
    let mut scope = SimpleScope {
        context: json!({ "Execution": { "Name": "exec-1" }, "State": { "RetryCount": 2 } }),
        ..SimpleScope::default()
    };
    scope.variables.insert("limit".into(), json!(10));
    scope
        .variables
        .insert("user".into(), json!({ "name": "bob" }));
    scope
}

/// Evaluates `rule` on `input`: `Ok(matched)`, or `Err(cause)` for a `States.Runtime` failure.
fn eval(rule: &Value, input: &Value) -> Result<bool, String> {
    compile(rule)
        .matches(input, &scope())
        .map_err(|err| match err.name {
            ErrorName::Runtime => err.message,
            other => format!("unexpected {}: {}", other.as_str(), err.message),
        })
}

#[track_caller]
fn check(rule: Value, input: Value, expected: Result<bool, &str>) {
    let got = eval(&rule, &input);
    assert_eq!(
        got.as_ref().copied().map_err(String::as_str),
        expected,
        "rule {rule} on input {input}"
    );
}

/// Checks one operator against many values of `$.v`: `(value, expected match)`.
#[track_caller]
fn check_values(rule: Value, cases: &[(Value, bool)]) {
    for (value, expected) in cases {
        check(rule.clone(), json!({ "v": value }), Ok(*expected));
    }
}

const MISSING_V: &str =
    "Invalid path '$.v': The choice state's condition path references an invalid value.";

#[test]
fn missing_variable_fails_except_under_is_present() {
    let input = json!({ "other": 1 });
    check(
        json!({"Variable": "$.v", "IsPresent": true}),
        input.clone(),
        Ok(false),
    );
    check(
        json!({"Variable": "$.v", "IsPresent": false}),
        input.clone(),
        Ok(true),
    );
    for rule in [
        json!({"Variable": "$.v", "IsNull": false}),
        json!({"Variable": "$.v", "IsString": false}),
        json!({"Variable": "$.v", "NumericEquals": 1}),
        json!({"Variable": "$.v", "StringMatches": "*"}),
        json!({"Variable": "$.v", "BooleanEqualsPath": "$.other"}),
        json!({"Not": {"Variable": "$.v", "StringEquals": "x"}}),
    ] {
        check(rule, input.clone(), Err(MISSING_V));
    }
    // Through a value that is not an object, and past the end of an array.
    check(
        json!({"Variable": "$.v.w", "IsPresent": true}),
        json!({"v": "text"}),
        Ok(false),
    );
    check(
        json!({"Variable": "$.v[3]", "IsPresent": true}),
        json!({"v": [1, 2]}),
        Ok(false),
    );
    // Null is present.
    check(
        json!({"Variable": "$.v", "IsPresent": true}),
        json!({"v": null}),
        Ok(true),
    );
}

#[test]
fn missing_path_operand_fails() {
    check(
        json!({"Variable": "$.v", "NumericEqualsPath": "$.w"}),
        json!({"v": 1}),
        Err("Invalid path '$.w': The choice state's condition path references an invalid value."),
    );
    // Even when the variable has the wrong type for the operator.
    check(
        json!({"Variable": "$.v", "TimestampLessThanPath": "$.w"}),
        json!({"v": true}),
        Err("Invalid path '$.w': The choice state's condition path references an invalid value."),
    );
}

#[test]
fn values_of_the_wrong_type_do_not_match() {
    let cases = [
        (
            json!({"Variable": "$.v", "NumericEquals": 1}),
            [
                json!(null),
                json!("1"),
                json!(true),
                json!([1]),
                json!({"a": 1}),
            ],
        ),
        (
            json!({"Variable": "$.v", "NumericLessThan": 2}),
            [json!(null), json!("1"), json!(false), json!([]), json!({})],
        ),
        (
            json!({"Variable": "$.v", "BooleanEquals": true}),
            [
                json!(null),
                json!("true"),
                json!(1),
                json!([true]),
                json!({}),
            ],
        ),
        (
            json!({"Variable": "$.v", "StringEquals": "1"}),
            [
                json!(null),
                json!(1),
                json!(true),
                json!(["1"]),
                json!({"a": "1"}),
            ],
        ),
        (
            json!({"Variable": "$.v", "StringMatches": "*"}),
            [json!(null), json!(1), json!(true), json!([""]), json!({})],
        ),
        (
            json!({"Variable": "$.v", "TimestampLessThan": "2000-01-01T00:00:00Z"}),
            [
                json!(null),
                json!(0),
                json!("1999-12-31"),
                json!("1999-12-31 00:00:00Z"),
                json!(["1999-12-31T00:00:00Z"]),
            ],
        ),
    ];
    for (rule, values) in cases {
        for value in values {
            check(rule.clone(), json!({ "v": value }), Ok(false));
        }
    }
    // The path operand of the wrong type does not match either.
    check(
        json!({"Variable": "$.v", "NumericEqualsPath": "$.w"}),
        json!({"v": 1, "w": "1"}),
        Ok(false),
    );
    check(
        json!({"Variable": "$.v", "StringEqualsPath": "$.w"}),
        json!({"v": "a", "w": ["a"]}),
        Ok(false),
    );
}

#[test]
fn is_type_tests() {
    let values = [
        json!(null),
        json!(0),
        json!(1.5),
        json!(""),
        json!("2016-03-14T01:59:00Z"),
        json!(true),
        json!([]),
        json!({}),
    ];
    let expect = |op: &str, value: &Value| match op {
        "IsNull" => value.is_null(),
        "IsNumeric" => value.is_number(),
        "IsString" => value.is_string(),
        "IsBoolean" => value.is_boolean(),
        "IsTimestamp" => value == &json!("2016-03-14T01:59:00Z"),
        _ => unreachable!("no such test {op}"),
    };
    for op in [
        "IsNull",
        "IsNumeric",
        "IsString",
        "IsBoolean",
        "IsTimestamp",
    ] {
        for value in &values {
            let expected = expect(op, value);
            check_values(
                json!({"Variable": "$.v", op: true}),
                &[(value.clone(), expected)],
            );
            check_values(
                json!({"Variable": "$.v", op: false}),
                &[(value.clone(), !expected)],
            );
        }
    }
}

#[test]
fn numbers_compare_by_value() {
    check_values(
        json!({"Variable": "$.v", "NumericEquals": 1}),
        &[
            (json!(1), true),
            (json!(1.0), true),
            (json!(1.1), false),
            (json!(-1), false),
        ],
    );
    check_values(
        json!({"Variable": "$.v", "NumericEquals": 1.0}),
        &[(json!(1), true)],
    );
    check_values(
        json!({"Variable": "$.v", "NumericLessThan": 0}),
        &[(json!(-0.5), true), (json!(0), false), (json!(-0.0), false)],
    );
    check_values(
        json!({"Variable": "$.v", "NumericGreaterThanEquals": -2.5}),
        &[
            (json!(-2.5), true),
            (json!(-3), false),
            (json!(u64::MAX), true),
        ],
    );
    // Large integers compare exactly, even beyond 2^53.
    check_values(
        json!({"Variable": "$.v", "NumericLessThan": 9_007_199_254_740_993_i64}),
        &[
            (json!(9_007_199_254_740_992_i64), true),
            (json!(9_007_199_254_740_993_i64), false),
            (json!(i64::MIN), true),
        ],
    );
    check(
        json!({"Variable": "$.v", "NumericLessThanEqualsPath": "$.w"}),
        json!({"v": 2, "w": 2.0}),
        Ok(true),
    );
}

#[test]
fn strings_compare_by_utf16_code_unit() {
    let rule = |op: &str, literal: &str| json!({"Variable": "$.v", op: literal});
    check_values(
        rule("StringLessThan", "b"),
        &[
            (json!("a"), true),
            (json!("abc"), true),
            (json!("b"), false),
            (json!("B"), true),
            (json!(""), true),
        ],
    );
    check_values(
        rule("StringGreaterThanEquals", "AB"),
        &[
            (json!("AB"), true),
            (json!("A"), false),
            (json!("AB "), true),
        ],
    );
    // U+10000 is the surrogate pair D800 DC00 in UTF-16, which sorts before U+FFFF (Java),
    // although its code point is larger.
    check_values(
        rule("StringLessThan", "\u{FFFF}"),
        &[(json!("\u{10000}"), true), (json!("\u{FFFE}"), true)],
    );
    check_values(
        rule("StringGreaterThan", "\u{E000}"),
        &[(json!("\u{1F600}"), false), (json!("é"), false)],
    );
    check_values(
        rule("StringEquals", "\t\r\n"),
        &[(json!("\t\r\n"), true), (json!("\t\n"), false)],
    );
    check(
        json!({"Variable": "$.v", "StringLessThanEqualsPath": "$.w"}),
        json!({"v": "apple", "w": "apricot"}),
        Ok(true),
    );
}

#[test]
fn string_matches_wildcards_and_escapes() {
    let cases: &[(&str, &str, bool)] = &[
        ("log-*.txt", "log-2024.txt", true),
        ("log-*.txt", "log-.txt", true),
        ("log-*.txt", "log-2024.txt.gz", false),
        ("*.log", "zebra.log", true),
        ("foo*.*", "foobar.zebra", true),
        ("foo*.*", "foobar", false),
        ("*", "", true),
        ("**", "anything", true),
        ("", "", true),
        ("", "x", false),
        ("abc", "abc", true),
        ("abc", "abcd", false),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "acb", false),
        ("a*a", "a", false),
        ("a*a", "aa", true),
        ("*ab*ab*", "abab", true),
        ("*ab*ab*", "aab", false),
        // `?`, `.` and brackets have no special meaning.
        ("a?c", "abc", false),
        ("a?c", "a?c", true),
        ("[a]", "[a]", true),
        // `\*` is a literal star, `\\` a literal backslash.
        (r"a\*", "a*", true),
        (r"a\*", "ab", false),
        (r"a\\*", r"a\bc", true),
        (r"a\\\*", r"a\*", true),
        // A backslash before anything else stands for itself.
        (r"a\b", r"a\b", true),
        (r"a\", r"a\", true),
        ("ü*ö", "üxyzö", true),
        ("*é", "café", true),
    ];
    for (pattern, text, expected) in cases {
        check(
            json!({"Variable": "$.v", "StringMatches": pattern}),
            json!({ "v": text }),
            Ok(*expected),
        );
    }
}

#[test]
fn timestamps_parse_as_iso_8601_offset_date_times() {
    let accepted = [
        "2016-03-14T01:59:00Z",
        "2016-03-14T01:59:00.1Z",
        "2016-03-05T21:29:29.243167252Z",
        "2012-10-09T19:00:55+01:00",
        "2012-10-09T19:00:55-0130",
        "2012-10-09T19:00:55+01",
        "2012-10-09T19:00:55+01:30:15",
        "2012-10-09T19:00Z",
        "2016-03-14t01:59:00z",
        "2016-02-29T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999-18:00",
    ];
    let rejected = [
        "2012-10-09T19:00:55",
        "2012-10-09T19:00:55.000000",
        "2016-12-05 21:29:29Z",
        "2023-02-24",
        "2023-02-24 12:15:56.832957",
        "2016-13-05T21:29:29Z",
        "2016-12-05T25:29:29Z",
        "2016-12-05T24:00:00Z",
        "2016-12-31T23:59:60Z",
        "2015-02-29T00:00:00Z",
        "05-12-2016T21:29:29Z",
        "2016-12-05T21:29:29.Z",
        "2016-12-05T21:29:29.1234567890Z",
        "2016-12-05T21:29:29+19:00",
        "2016-12-05T21:29:29+01:60",
        "2016-12-05T21:29:29Z ",
        " 2016-12-05T21:29:29Z",
        "2016-12-05T21:29:29ZZ",
        "2016-12-05T21:29:29+1",
        "2016-1-05T21:29:29Z",
        "",
    ];
    for text in accepted {
        assert!(Timestamp::parse(text).is_some(), "{text:?} is a timestamp");
    }
    for text in rejected {
        assert_eq!(Timestamp::parse(text), None, "{text:?} is not a timestamp");
    }
    let epoch = Timestamp::parse("1970-01-01T01:00:00.5+01:00");
    assert_eq!(
        epoch.map(|t| (t.unix_seconds(), t.subsec_nanos())),
        Some((0, 500_000_000))
    );
}

#[test]
fn timestamps_compare_as_instants() {
    let rule = |op: &str| json!({"Variable": "$.v", op: "2012-10-09T19:00:55Z"});
    check_values(
        rule("TimestampEquals"),
        &[
            (json!("2012-10-09T19:00:55Z"), true),
            (json!("2012-10-09T20:00:55+01:00"), true),
            (json!("2012-10-09T19:00:55.000Z"), true),
            (json!("2012-10-09T19:00:55.001Z"), false),
            (json!("2012-10-09T19:00:55"), false),
        ],
    );
    check_values(
        rule("TimestampLessThan"),
        &[
            (json!("2012-10-09T19:00:54.999Z"), true),
            (json!("2012-10-09T19:00:55Z"), false),
            (json!("2012-10-09T19:00:55-00:01"), false),
            (json!("2012-10-09T20:00:54+01:00"), true),
        ],
    );
    check_values(
        rule("TimestampGreaterThanEquals"),
        &[
            (json!("2012-10-09T19:00:55Z"), true),
            (json!("2012-10-09T19:00:54Z"), false),
        ],
    );
    check_values(
        rule("TimestampLessThanEquals"),
        &[(json!("2000-01-01T00:00:00Z"), true)],
    );
    check(
        json!({"Variable": "$.v", "TimestampGreaterThanPath": "$.w"}),
        json!({"v": "2012-10-09T19:00:56Z", "w": "2012-10-09T19:00:55Z"}),
        Ok(true),
    );
    check(
        json!({"Variable": "$.v", "TimestampEqualsPath": "$.w"}),
        json!({"v": "2012-10-09T19:00:55Z", "w": "not a timestamp"}),
        Ok(false),
    );
}

#[test]
fn boolean_equals() {
    check_values(
        json!({"Variable": "$.v", "BooleanEquals": false}),
        &[
            (json!(false), true),
            (json!(true), false),
            (json!(0), false),
        ],
    );
    check(
        json!({"Variable": "$.v", "BooleanEqualsPath": "$.w"}),
        json!({"v": true, "w": true}),
        Ok(true),
    );
}

#[test]
fn and_or_not_nest_and_short_circuit() {
    // The docs' pattern: `IsPresent` guards a comparison on a key that might not exist.
    let guarded = json!({"And": [
        {"Variable": "$.v", "IsPresent": true},
        {"Variable": "$.v", "StringEquals": "foo"}
    ]});
    check(guarded.clone(), json!({}), Ok(false));
    check(guarded.clone(), json!({"v": "foo"}), Ok(true));
    check(
        json!({"Or": [
            {"Variable": "$.v", "IsPresent": false},
            {"Variable": "$.v", "NumericGreaterThan": 1}
        ]}),
        json!({}),
        Ok(true),
    );
    // Without a guard, evaluation reaches the missing path.
    check(
        json!({"Or": [
            {"Variable": "$.w", "IsNull": true},
            {"Variable": "$.v", "NumericGreaterThan": 1}
        ]}),
        json!({"w": 0}),
        Err(MISSING_V),
    );
    let nested = json!({"Not": {"Or": [
        {"And": [
            {"Variable": "$.v", "NumericGreaterThanEquals": 20},
            {"Variable": "$.v", "NumericLessThan": 30}
        ]},
        {"Not": {"Not": {"Variable": "$.v", "NumericEquals": 0}}}
    ]}});
    check_values(
        nested,
        &[
            (json!(0), false),
            (json!(22), false),
            (json!(30), true),
            (json!(5), true),
        ],
    );
    check(
        json!({"And": [{"Variable": "$.v", "IsNumeric": true}]}),
        json!({"v": 3}),
        Ok(true),
    );
}

#[test]
fn variables_and_context_object() {
    check(
        json!({"Variable": "$limit", "NumericGreaterThan": 5}),
        json!({}),
        Ok(true),
    );
    check(
        json!({"Variable": "$user.name", "StringEquals": "bob"}),
        json!({}),
        Ok(true),
    );
    check(
        json!({"Variable": "$.v", "NumericLessThanPath": "$limit"}),
        json!({"v": 3}),
        Ok(true),
    );
    check(
        json!({"Variable": "$$.Execution.Name", "StringMatches": "exec-*"}),
        json!({}),
        Ok(true),
    );
    check(
        json!({"Variable": "$$.State.RetryCount", "NumericEquals": 2}),
        json!({}),
        Ok(true),
    );
    check(
        json!({"Variable": "$missing", "IsPresent": false}),
        json!({}),
        Ok(true),
    );
    check(
        json!({"Variable": "$missing", "IsNull": true}),
        json!({}),
        Err(
            "Invalid path '$missing': The choice state's condition path references an invalid value.",
        ),
    );
    check(
        json!({"Variable": "$", "IsString": true}),
        json!("whole input"),
        Ok(true),
    );
}

#[test]
fn compile_rejects_operands_of_the_wrong_type() {
    let compare = |op, operand| ChoiceRule {
        condition: Condition::Compare {
            variable: "$.v".into(),
            op,
            operand,
        },
        next: None,
        comment: None,
        assign: None,
        output: None,
        key_order: Vec::new(),
    };
    let cases = [
        (
            compare(ComparisonOp::NumericEquals, Operand::Literal(json!("1"))),
            "`NumericEquals` must be a number, found \"1\"",
        ),
        (
            compare(ComparisonOp::IsNull, Operand::Literal(json!(1))),
            "`IsNull` must be a boolean, found 1",
        ),
        (
            compare(ComparisonOp::IsPresent, Operand::Path("$.w".into())),
            "`IsPresent` has no path form; compare with a literal instead",
        ),
        (
            compare(
                ComparisonOp::TimestampEquals,
                Operand::Literal(json!("2016-03-14")),
            ),
            "`TimestampEquals` must be a timestamp such as \"2016-03-14T01:59:00Z\", found \"2016-03-14\"",
        ),
        (
            compare(ComparisonOp::StringEquals, Operand::Path("x".into())),
            "invalid path 'x': a path must start with '$'",
        ),
        (
            ChoiceRule {
                condition: Condition::Jsonata(json!(true)),
                ..compare(ComparisonOp::IsNull, Operand::Literal(json!(true)))
            },
            "a JSONata `Condition` is not a JSONPath choice rule",
        ),
    ];
    for (rule, message) in cases {
        let got = Rule::compile(&rule).map(|_| ()).map_err(|err| err.message);
        assert_eq!(got, Err(message.to_string()), "{rule:?}");
    }
}

#[test]
fn first_match_stops_at_the_first_matching_rule() {
    let rules = [
        compile(&json!({"Variable": "$.v", "NumericLessThan": 0})),
        compile(&json!({"Variable": "$.v", "NumericLessThan": 10})),
        // Never evaluated when an earlier rule matches, so its missing path cannot fail.
        compile(&json!({"Variable": "$.missing", "IsNull": true})),
    ];
    let scope = scope();
    assert_eq!(first_match(&rules, &json!({"v": 5}), &scope), Ok(Some(1)));
    assert_eq!(
        first_match(&rules[..2], &json!({"v": 50}), &scope),
        Ok(None)
    );
    assert_eq!(
        first_match(&rules, &json!({"v": 50}), &scope).map_err(|err| err.message),
        Err(
            "Invalid path '$.missing': The choice state's condition path references an invalid value."
                .to_string()
        )
    );
}

/// How one recorded case came out.
enum Outcome {
    Explained,
    Skipped(&'static str),
    Unexplained(String),
}

/// Replays the recorded AWS executions of the `choice` group: finds the Choice state reached
/// from `StartAt`, picks a branch with this module, and checks that the branch produces the
/// output AWS recorded.
#[test]
fn aws_recorded_choice_cases() {
    let fixture: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/choice-aws-recorded.json"
    ))
    .expect("the fixture is JSON");
    let machines: Vec<asl::StateMachine> = fixture["definitions"]
        .as_array()
        .expect("`definitions` is an array")
        .iter()
        .map(|definition| {
            asl::parse_value(definition)
                .unwrap_or_else(|diags| panic!("fixture definition does not parse: {diags:?}"))
        })
        .collect();
    let cases = fixture["cases"].as_array().expect("`cases` is an array");

    let mut explained = 0;
    let mut skipped = Vec::new();
    let mut unexplained = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?");
        let machine = case["definition"]
            .as_u64()
            .and_then(|idx| machines.get(usize::try_from(idx).ok()?))
            .expect("a case names a definition");
        match replay(machine, &case["input"], &case["output"]) {
            Outcome::Explained => explained += 1,
            Outcome::Skipped(reason) => skipped.push(format!("{id}: {reason}")),
            Outcome::Unexplained(why) => unexplained.push(format!("{id}: {why}")),
        }
    }
    eprintln!(
        "choice corpus: {explained} explained, {} skipped, {} unexplained, of {}",
        skipped.len(),
        unexplained.len(),
        cases.len()
    );
    assert!(
        unexplained.is_empty(),
        "{} cases unexplained:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    // The six JSONata `Condition` cases are out of scope here.
    assert_eq!(skipped.len(), 6, "skipped:\n{}", skipped.join("\n"));
    assert_eq!(explained, 495);
}

fn replay(machine: &asl::StateMachine, input: &Value, expected: &Value) -> Outcome {
    let scope = SimpleScope {
        context: json!({ "Execution": { "Input": input } }),
        ..SimpleScope::default()
    };
    let mut state_name = machine.start_at.as_str();
    let mut value = input.clone();
    let mut seen_choice = false;
    for _ in 0..machine.states.len() + 1 {
        let Some(state) = machine.states.get(state_name) else {
            return Outcome::Unexplained(format!("no state named {state_name}"));
        };
        if state.query_language(machine.query_language()) == asl::QueryLanguage::Jsonata {
            return Outcome::Skipped("JSONata state");
        }
        match &state.kind {
            StateKind::Pass(pass) => {
                let plain = asl::Io {
                    input_path: None,
                    output_path: None,
                    parameters: None,
                    result_selector: None,
                    result_path: None,
                    arguments: None,
                    output: None,
                    assign: None,
                };
                if pass.io != plain {
                    return Outcome::Skipped("Pass state with input or output processing");
                }
                if let Some(result) = &pass.result {
                    value = result.clone();
                }
                match &pass.transition {
                    asl::Transition::Next(next) => state_name = next,
                    asl::Transition::End => break,
                }
            }
            StateKind::Succeed(_) => break,
            StateKind::Choice(choice) => {
                seen_choice = true;
                match choose(choice, &value, &scope) {
                    Ok(Some(next)) => state_name = next,
                    Ok(None) => {
                        return Outcome::Unexplained(
                            "no rule matched and there is no Default (States.NoChoiceMatched)"
                                .into(),
                        );
                    }
                    Err(Choose::Skip(reason)) => return Outcome::Skipped(reason),
                    Err(Choose::Fail(why)) => return Outcome::Unexplained(why),
                }
                if let Some(asl::PathOrNull::Path(output_path)) = &choice.io.output_path {
                    match apply_path(output_path, &value, &scope) {
                        Ok(selected) => value = selected,
                        Err(why) => return Outcome::Unexplained(why),
                    }
                }
            }
            other => {
                return Outcome::Unexplained(format!(
                    "the branch reaches a {} state",
                    other.type_name()
                ));
            }
        }
    }
    if !seen_choice {
        return Outcome::Skipped("no Choice state reached");
    }
    if &value == expected {
        Outcome::Explained
    } else {
        Outcome::Unexplained(format!("branch output {value}, AWS output {expected}"))
    }
}

enum Choose {
    Skip(&'static str),
    Fail(String),
}

/// The state a Choice state moves to on `input`.
fn choose<'c>(
    choice: &'c asl::Choice,
    input: &Value,
    scope: &SimpleScope,
) -> Result<Option<&'c str>, Choose> {
    let effective;
    let input = match &choice.io.input_path {
        Some(asl::PathOrNull::Path(input_path)) => {
            effective = apply_path(input_path, input, scope).map_err(Choose::Fail)?;
            &effective
        }
        Some(asl::PathOrNull::Null) => &Value::Null,
        None => input,
    };
    let mut rules = Vec::new();
    for rule in &choice.choices {
        if matches!(rule.condition, Condition::Jsonata(_)) {
            return Err(Choose::Skip("JSONata Condition"));
        }
        rules.push(Rule::compile(rule).map_err(|err| Choose::Fail(err.message))?);
    }
    let matched = first_match(&rules, input, scope)
        .map_err(|err| Choose::Fail(format!("{} raised: {}", err.name.as_str(), err.message)))?;
    Ok(match matched {
        Some(rule_idx) => choice.choices[rule_idx].next.as_deref(),
        None => choice.default.as_deref(),
    })
}

fn apply_path(source: &str, input: &Value, scope: &SimpleScope) -> Result<Value, String> {
    let path = Path::parse(source).map_err(|err| err.message)?;
    match path.select(input, scope) {
        Ok(Some(value)) => Ok(value.into_owned()),
        Ok(None) => Err(format!("{source} selects nothing")),
        Err(err) => Err(err.message),
    }
}
