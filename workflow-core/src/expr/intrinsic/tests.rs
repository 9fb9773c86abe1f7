//! Parsing and evaluation of calls, through the public API only. The AWS-recorded cases are in
//! `corpus.rs`; these cover syntax, errors and limits that the recording does not.

use serde_json::{Value, json};

use super::Call;
use crate::expr::{ErrorName, EvalError, SimpleScope};

fn scope() -> SimpleScope {
    SimpleScope {
        variables: json!({"greeting": {"text": "hi"}})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        context: json!({"Execution": {"Id": "exec-1", "Name": "run"}}),
    }
}

fn eval(source: &str, input: &Value) -> Result<Value, EvalError> {
    let call = Call::parse(source).unwrap_or_else(|err| panic!("`{source}` does not parse: {err}"));
    call.eval(input, &scope())
}

/// `source` evaluates against `input` to `expected`.
fn check(source: &str, input: Value, expected: Value) {
    match eval(source, &input) {
        Ok(value) => assert_eq!(value, expected, "`{source}`"),
        Err(err) => panic!("`{source}` failed: {err}"),
    }
}

/// `source` fails to evaluate against `input` with `name`, and the cause contains `part`.
fn check_failure(source: &str, input: Value, name: ErrorName, part: &str) {
    match eval(source, &input) {
        Ok(value) => panic!("`{source}` gave {value}, expected a failure"),
        Err(err) => {
            assert_eq!(err.name, name, "`{source}`: {err}");
            assert!(err.message.contains(part), "`{source}`: {err}");
        }
    }
}

/// `source` does not parse, and the message contains `part`.
fn check_compile_error(source: &str, part: &str) {
    match Call::parse(source) {
        Ok(call) => panic!("`{source}` parsed as {call:?}"),
        Err(err) => assert!(err.message.contains(part), "`{source}`: {err}"),
    }
}

#[test]
fn literals_of_every_kind() {
    check(
        "States.Array('a', 1, -2, 1.5, 1e3, 0.0, true, false, null)",
        json!({}),
        json!(["a", 1, -2, 1.5, 1000.0, 0.0, true, false, null]),
    );
    check("States.Array()", json!({}), json!([]));
    check("  States.Array( 1 ,\n\t'x' )  ", json!({}), json!([1, "x"]));
}

#[test]
fn string_escapes() {
    check(
        r"States.Format('It\'s \{\} {} \\ done', 'x')",
        json!({}),
        json!(r"It's {} x \ done"),
    );
    check(r"States.Array('\{}')", json!({}), json!(["{}"]));
    check_compile_error(r"States.Array('a\nb')", r"invalid escape `\n`");
    check_compile_error(r"States.Array('a\", "unterminated string literal");
    check_compile_error(
        "States.Array('abc",
        "unterminated string literal (column 14)",
    );
}

#[test]
fn paths_of_every_root() {
    let input = json!({"a": {"b c": [10, 20]}, "k,v": 1});
    check(
        "States.Array($, $.a['b c'][1], $['k,v'], $$.Execution.Id, $greeting.text)",
        input.clone(),
        json!([input, 20, 1, "exec-1", "hi"]),
    );
    check_failure(
        "States.Array($.missing)",
        json!({}),
        ErrorName::Runtime,
        "'$.missing'",
    );
    check_compile_error("States.Array($..)", "invalid path argument");
}

#[test]
fn nested_calls() {
    check(
        "States.Format('{}-{}', States.ArrayLength($.a), States.ArrayGetItem(States.StringSplit($.s, ','), 1))",
        json!({"a": [1, 2, 3], "s": "x,y"}),
        json!("3-y"),
    );
    let nested = |depth: usize| format!("{}1{}", "States.Array(".repeat(depth), ")".repeat(depth));
    assert!(Call::parse(&nested(10)).is_ok());
    check_compile_error(&nested(11), "nested more than 10 deep");
}

#[test]
fn syntax_errors_name_the_problem_and_the_column() {
    check_compile_error(
        "States.Foo(1)",
        "unknown intrinsic function `States.Foo`; expected one of `States.Format`",
    );
    check_compile_error("States.Format", "expected `(` after `States.Format`");
    check_compile_error("States.Array(1, 2", "is not closed with `)`");
    check_compile_error("States.Array(1,)", "expected an argument");
    check_compile_error(
        "States.Array(1 2)",
        "unexpected `2`; expected `,` or `)` (column 16)",
    );
    check_compile_error("States.Array(yes)", "expected an argument");
    check_compile_error("States.Array(1.)", "invalid number `1.`");
    check_compile_error(
        "States.UUID() x",
        "unexpected `x` after the end of the call",
    );
}

#[test]
fn argument_counts() {
    check_compile_error(
        "States.ArrayLength($.a, $.b)",
        "`States.ArrayLength` takes 1 argument, but 2 were given",
    );
    check_compile_error(
        "States.MathRandom(1)",
        "`States.MathRandom` takes 2 or 3 arguments, but 1 was given",
    );
    check_compile_error(
        "States.Format()",
        "takes at least 1 argument, but 0 were given",
    );
    check_compile_error("States.UUID(1)", "`States.UUID` takes 0 arguments");
}

#[test]
fn literal_arguments_checked_when_parsed() {
    check_compile_error(
        "States.Format('{} and {}', 1)",
        "has 2 `{}` placeholders, but 1 argument follow",
    );
    check_compile_error("States.Format(1)", "must be a string");
    check_compile_error("States.JsonMerge($.a, $.b, true)", "only shallow merging");
    check_compile_error(
        "States.Hash($.a, 'SHA-3')",
        "unknown `States.Hash` algorithm",
    );
}

#[test]
fn api_accessors() {
    let call = Call::parse("States.Format('{}', States.Array($$.Execution.Id))")
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(call.name(), "States.Format");
    assert_eq!(
        call.source(),
        "States.Format('{}', States.Array($$.Execution.Id))"
    );
    assert!(call.uses_context());
    assert!(!call.uses_randomness());
    let call =
        Call::parse("States.Array($.a, States.UUID())").unwrap_or_else(|err| panic!("{err}"));
    assert!(!call.uses_context());
    assert!(call.uses_randomness());
    let seeded = Call::parse("States.MathRandom(1, 9, 7)").unwrap_or_else(|err| panic!("{err}"));
    assert!(!seeded.uses_randomness());
    assert!(Call::looks_like_call(" States.UUID()"));
    assert!(!Call::looks_like_call("$.States"));
}

#[test]
fn format_prints_values_as_java() {
    check(
        "States.Format('{} {} {} {} {} {}', $.f, $.i, $.b, $.n, $.a, $.o)",
        json!({"f": 1.0, "i": 7, "b": true, "n": null, "a": [1, "x", 1e20], "o": {"k": {"z": 0.5}}}),
        json!("1.0 7 true null [1, x, 1.0E20] {k={z=0.5}}"),
    );
    check(
        "States.Format($.template, $.name)",
        json!({"template": "Hello {}!", "name": "Ann"}),
        json!("Hello Ann!"),
    );
    check_failure(
        "States.Format($.template)",
        json!({"template": "{}"}),
        ErrorName::IntrinsicFailure,
        "has 1 '{}' placeholders, but 0 values",
    );
    check_failure(
        "States.Format($.template)",
        json!({"template": 5}),
        ErrorName::IntrinsicFailure,
        "argument 1 must be a string, but was the number 5",
    );
}

#[test]
fn json_to_string_writes_compact_jackson_json() {
    check(
        "States.JsonToString($)",
        json!({"a": 1.0, "b": [1e20, -0.0, 3], "c": "q\"\n/é"}),
        json!(r#"{"a":1.0,"b":[1.0E20,-0.0,3],"c":"q\"\n/é"}"#),
    );
}

#[test]
fn string_to_json_parses_as_jackson() {
    check("States.StringToJson($)", json!("-0"), json!(0));
    check(
        "States.StringToJson($)",
        json!(r#"[-0, "-0", -0.5, -0e1]"#),
        json!([0, "-0", -0.5, -0.0]),
    );
    check("States.StringToJson($)", json!(" \n"), Value::Null);
    check(
        "States.StringToJson($)",
        json!(r#"{"a": 1.0}"#),
        json!({"a": 1.0}),
    );
    check_failure(
        "States.StringToJson($)",
        json!("{nope"),
        ErrorName::IntrinsicFailure,
        "is not valid JSON",
    );
    check_failure(
        "States.StringToJson($)",
        json!({"a": 1}),
        ErrorName::IntrinsicFailure,
        "must be a string",
    );
}

#[test]
fn array_partition() {
    check(
        "States.ArrayPartition($, 4)",
        json!([1, 2, 3, 4, 5, 6, 7, 8, 9]),
        json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    );
    check(
        "States.ArrayPartition($, 1.5)",
        json!([1, 2, 3]),
        json!([[1, 2], [3]]),
    );
    check_failure(
        "States.ArrayPartition($, 0)",
        json!([1]),
        ErrorName::IntrinsicFailure,
        "must be a positive integer",
    );
    check_failure(
        "States.ArrayPartition($.a, 1)",
        json!({"a": "x"}),
        ErrorName::IntrinsicFailure,
        "argument 1 must be an array",
    );
    let big = Value::Array(vec![json!("x".repeat(1000)); 300]);
    check_failure(
        "States.ArrayPartition($, 1)",
        big,
        ErrorName::IntrinsicFailure,
        "more than the payload limit of 262144 bytes",
    );
}

#[test]
fn array_contains_compares_as_json() {
    check("States.ArrayContains($, 1.0)", json!([1, 2]), json!(false));
    check("States.ArrayContains($, 1)", json!([1, 2]), json!(true));
    check(
        "States.ArrayContains($.a, $.b)",
        json!({"a": [{"x": 1, "y": [2]}], "b": {"y": [2], "x": 1}}),
        json!(true),
    );
}

#[test]
fn array_range() {
    check(
        "States.ArrayRange(1, 9, 2)",
        json!({}),
        json!([1, 3, 5, 7, 9]),
    );
    check("States.ArrayRange(9, 1, -3)", json!({}), json!([9, 6, 3]));
    check("States.ArrayRange(1, 9, -1)", json!({}), json!([]));
    check("States.ArrayRange(0.5, 2.4, 1)", json!({}), json!([1, 2]));
    assert_eq!(
        eval("States.ArrayRange(0, 999, 1)", &json!({})).map(|v| v.as_array().map(Vec::len)),
        Ok(Some(1000))
    );
    check_failure(
        "States.ArrayRange(0, 1000, 1)",
        json!({}),
        ErrorName::IntrinsicFailure,
        "would have 1001 elements, more than the limit of 1000",
    );
    check_failure(
        "States.ArrayRange(0, 10, 0)",
        json!({}),
        ErrorName::IntrinsicFailure,
        "must not be 0",
    );
    check_failure(
        "States.ArrayRange(0, 3000000000, 1)",
        json!({}),
        ErrorName::IntrinsicFailure,
        "argument 2 must be an integer from -2147483648 to 2147483647",
    );
}

#[test]
fn array_get_item_length_and_unique() {
    check("States.ArrayGetItem($, 0)", json!(["a", "b"]), json!("a"));
    check_failure(
        "States.ArrayGetItem($, 2)",
        json!(["a", "b"]),
        ErrorName::IntrinsicFailure,
        "the index 2 is out of bounds for an array of length 2",
    );
    check_failure(
        "States.ArrayGetItem($, -1)",
        json!(["a"]),
        ErrorName::IntrinsicFailure,
        "out of bounds",
    );
    check("States.ArrayLength($)", json!([]), json!(0));
    check(
        "States.ArrayUnique($)",
        json!([1, 2, 2, 1.0, null, null, {"a": 1, "b": [2]}, {"b": [2], "a": 1}, "1"]),
        json!([1, 2, 1.0, null, {"a": 1, "b": [2]}, "1"]),
    );
}

#[test]
fn base64() {
    check(
        "States.Base64Encode($)",
        json!("Data to encode"),
        json!("RGF0YSB0byBlbmNvZGU="),
    );
    check("States.Base64Encode($)", json!("é✓"), json!("w6ninJM="));
    check("States.Base64Decode($)", json!("w6ninJM"), json!("é✓"));
    check("States.Base64Decode($)", json!("/w=="), json!("\u{fffd}"));
    check_failure(
        "States.Base64Decode($)",
        json!("a b"),
        ErrorName::IntrinsicFailure,
        "` ` at position 1 is not in the Base64 alphabet",
    );
    assert!(eval("States.Base64Encode($)", &json!("x".repeat(10_000))).is_ok());
    check_failure(
        "States.Base64Encode($)",
        json!("x".repeat(10_001)),
        ErrorName::IntrinsicFailure,
        "has 10001 characters, more than the limit of 10000",
    );
    check_failure(
        "States.Base64Decode($)",
        json!("A".repeat(10_004)),
        ErrorName::IntrinsicFailure,
        "more than the limit of 10000",
    );
}

#[test]
fn hash() {
    check(
        "States.Hash($, 'SHA-1')",
        json!("input data"),
        json!("aaff4a450a104cd177d28d18d74485e8cae074b7"),
    );
    check(
        "States.Hash('', 'MD5')",
        json!({}),
        json!("d41d8cd98f00b204e9800998ecf8427e"),
    );
    check_failure(
        "States.Hash('x', $)",
        json!("sha-256"),
        ErrorName::IntrinsicFailure,
        "the algorithm 'sha-256' is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512",
    );
    check_failure(
        "States.Hash($, 'MD5')",
        json!("x".repeat(10_001)),
        ErrorName::IntrinsicFailure,
        "more than the limit of 10000",
    );
}

#[test]
fn json_merge_is_shallow_and_ordered_like_a_java_hash_map() {
    let merged = eval(
        "States.JsonMerge($.a, $.b, false)",
        &json!({"a": {"constant_in_literal": "x", "b": {"deep": 1}}, "b": {"b": 2, "constant_input_field": "y"}}),
    );
    let keys = merged.map(|value| {
        value.as_object().map(|map| {
            map.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        })
    });
    assert_eq!(
        keys,
        Ok(Some(vec![
            "constant_input_field=\"y\"".to_string(),
            "b=2".to_string(),
            "constant_in_literal=\"x\"".to_string(),
        ]))
    );
    check_failure(
        "States.JsonMerge($, $, $.deep)",
        json!({"deep": true}),
        ErrorName::IntrinsicFailure,
        "deep merging is not supported",
    );
    check_failure(
        "States.JsonMerge($, 'x', false)",
        json!({}),
        ErrorName::IntrinsicFailure,
        "argument 2 must be an object, but was the string \"x\"",
    );
}

#[test]
fn math_random() {
    for _ in 0..200 {
        let value = eval("States.MathRandom(-3, 4)", &json!({})).map(|v| v.as_i64());
        assert!(matches!(value, Ok(Some(-3..=3))), "{value:?}");
    }
    // A seed gives the number `java.util.Random` gives: `new Random(3).nextInt(999)` is 239.
    check("States.MathRandom(0, 999, 3)", json!({}), json!(239));
    check("States.MathRandom(0.4, 998.5, 3.2)", json!({}), json!(239));
    check_failure(
        "States.MathRandom(5, 5)",
        json!({}),
        ErrorName::IntrinsicFailure,
        "the end (5) must be greater than the start (5)",
    );
    check_failure(
        "States.MathRandom('1', 5)",
        json!({}),
        ErrorName::IntrinsicFailure,
        "argument 1 must be an integer",
    );
}

#[test]
fn math_add_rounds_each_argument_and_stays_in_int_range() {
    check("States.MathAdd(111, -1)", json!({}), json!(110));
    check("States.MathAdd(1.5, -2.5)", json!({}), json!(0));
    check_failure(
        "States.MathAdd(2147483647, 1)",
        json!({}),
        ErrorName::IntrinsicFailure,
        "the sum 2147483648 is outside the integer range",
    );
    check_failure(
        "States.MathAdd($, 1)",
        Value::Null,
        ErrorName::IntrinsicFailure,
        "argument 1 must be an integer, but was null",
    );
}

#[test]
fn string_split_on_any_delimiter_character() {
    check(
        "States.StringSplit('a,b;;c', ';,')",
        json!({}),
        json!(["a", "b", "c"]),
    );
    check(
        "States.StringSplit('a→b', '→')",
        json!({}),
        json!(["a", "b"]),
    );
    check("States.StringSplit('abc', '')", json!({}), json!(["abc"]));
    check("States.StringSplit('', ',')", json!({}), json!([]));
}

#[test]
fn uuid_is_version_4_and_can_be_made_repeatable() {
    let call = Call::parse("States.UUID()").unwrap_or_else(|err| panic!("{err}"));
    let mut counter = 0u64;
    let mut next = || {
        counter += 1;
        counter.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    };
    let uuid = call.eval_with_random(&json!({}), &scope(), &mut next);
    assert_eq!(uuid, Ok(json!("9e3779b9-7f4a-4c15-bc6e-f372fe94f82a")));
    let random = call.eval(&json!({}), &scope());
    let random = random.as_ref().map(|v| v.as_str().map(str::len));
    assert_eq!(random, Ok(Some(36)));
}
