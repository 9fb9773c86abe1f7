use serde_json::{Value, json};

use super::{Expr, JsonataError, strip_delimiters};

fn eval(expr: &str, input: Value) -> Result<Option<Value>, JsonataError> {
    Expr::compile(expr)?.evaluate(&input, &())
}

fn ok(expr: &str) -> Value {
    match eval(expr, json!({})) {
        Ok(Some(v)) => v,
        other => panic!("{expr}: {other:?}"),
    }
}

fn err(expr: &str) -> JsonataError {
    match eval(expr, json!({})) {
        Err(e) => e,
        other => panic!("{expr}: expected an error, got {other:?}"),
    }
}

#[test]
fn expr_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Expr>();
}

#[test]
fn integral_results_are_json_integers() {
    assert_eq!(ok("5 + 5").to_string(), "10");
    assert_eq!(ok("10 / 4").to_string(), "2.5");
    assert_eq!(ok("[1.0, 2]").to_string(), "[1,2]");
}

#[test]
fn bindings_are_read_in_place() {
    let mut vars = serde_json::Map::new();
    vars.insert("counter".into(), json!(41));
    vars.insert("states".into(), json!({"input": {"x": [1, 2, 3]}}));
    let e = Expr::compile("$counter < 1000").unwrap();
    assert_eq!(e.evaluate(&json!(null), &vars).unwrap(), Some(json!(true)));
    let e = Expr::compile("{'counter': $counter + 1, 'sum': $sum($states.input.x)}").unwrap();
    assert_eq!(
        e.evaluate(&json!(null), &vars).unwrap(),
        Some(json!({"counter": 42, "sum": 6}))
    );
}

#[test]
fn strip_delimiters_needs_both_ends() {
    assert_eq!(strip_delimiters("{% $x %}"), Some(" $x "));
    assert_eq!(strip_delimiters(" {% $x %}"), None);
    assert_eq!(strip_delimiters("{% $x"), None);
}

#[test]
fn errors_carry_code_and_position() {
    let e = err("1 + 'a'");
    assert_eq!(e.code, "T2002");
    assert!(e.position.is_some());
    assert_eq!(err("(1 + ").code, "S0207");
}

#[test]
fn jsonata_2_1_operators_are_syntax_errors() {
    for expr in ["$x ?? 1", "a ?: 'b'", "(1 ?? 2)"] {
        let e = Expr::compile(expr).expect_err(expr);
        assert!(e.code.starts_with('S'), "{expr}: {e}");
    }
}

#[test]
fn eval_is_removed() {
    let e = err("$eval('1 + 1')");
    assert_eq!(e.code, "T1006");
    assert!(e.message.contains("$eval"), "{e}");
}

#[test]
fn partition() {
    assert_eq!(
        ok("$partition([1,2,3,4,5], 2)"),
        json!([[1, 2], [3, 4], [5]])
    );
    assert_eq!(ok("$partition([], 3)"), json!([]));
    assert_eq!(
        err("$partition([1], 0)").code,
        "States.QueryEvaluationError"
    );
}

#[test]
fn range() {
    assert_eq!(ok("$range(0, 10, 2)"), json!([0, 2, 4, 6, 8, 10]));
    assert_eq!(ok("$range(5, 1, -2)"), json!([5, 3, 1]));
    assert_eq!(ok("$range(1, 0, 1)"), json!([]));
    assert_eq!(ok("$range(1, 9, 9)"), json!(1));
    assert_eq!(err("$range(1, 5, 0)").code, "States.QueryEvaluationError");
}

#[test]
fn hash() {
    let cases = [
        ("MD5", "5d41402abc4b2a76b9719d911017c592"),
        ("SHA-1", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        (
            "SHA-256",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ),
        (
            "SHA-384",
            "59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f",
        ),
        (
            "SHA-512",
            "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
        ),
    ];
    for (algorithm, digest) in cases {
        assert_eq!(
            ok(&format!("$hash('hello', '{algorithm}')")),
            json!(digest),
            "{algorithm}"
        );
    }
    assert_eq!(
        err("$hash('hello', 'CRC32')").code,
        "States.QueryEvaluationError"
    );
}

#[test]
fn random_with_and_without_seed() {
    let a = ok("$random(42)").as_f64().unwrap();
    let b = ok("$random(42)").as_f64().unwrap();
    let c = ok("$random(7)").as_f64().unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    for _ in 0..100 {
        let r = ok("$random()").as_f64().unwrap();
        assert!((0.0..1.0).contains(&r));
    }
}

#[test]
fn uuid_is_version_4() {
    let u = ok("$uuid()");
    let u = u.as_str().unwrap();
    assert_eq!(u.len(), 36);
    let parts: Vec<&str> = u.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(parts[2].starts_with('4'));
    assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
    assert_ne!(ok("$uuid()"), ok("$uuid()"));
}

#[test]
fn parse() {
    assert_eq!(
        ok(r#"$parse('{"a": [1, 2.5, null]}')"#),
        json!({"a": [1, 2.5, null]})
    );
    assert_eq!(ok("$parse('3')"), json!(3));
    assert_eq!(err("$parse('{oops')").code, "States.QueryEvaluationError");
}

#[test]
fn deep_recursion_is_an_error_not_a_crash() {
    let e = err("($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000000))");
    assert_eq!(e.code, "U1001");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let nested = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(Expr::compile(&nested).is_err());
}

#[test]
fn regex_is_linear_time() {
    let input = json!({"s": format!("{}!", "a".repeat(30))});
    let e = Expr::compile("$contains(s, /(a+)+$/)").unwrap();
    assert_eq!(e.evaluate(&input, &()).unwrap(), Some(json!(false)));
}

#[test]
fn pictures_are_bounded_user_input() {
    // Widths are capped, so a picture cannot ask for gigabytes of padding.
    let year = ok("$fromMillis(0, '[Y,99999999999999]')");
    assert_eq!(year.as_str().map(str::len), Some(64));
    // Numbers too large for roman numerals fall back to digits.
    assert_eq!(ok("$formatInteger(20000000, 'I')"), json!("20000000"));
    assert_eq!(
        ok("$formatNumber(1e21, '#,##0.00')"),
        json!("1,000,000,000,000,000,000,000.00")
    );
    assert_eq!(ok("$round(1e308, 2)"), json!(1e308));
    assert_eq!(err("$fromMillis(0, '[Y]', 'CET')").code, "D3110");
    assert_eq!(err("$fromMillis(1e20, '[Y]')").code, "D3110");
    // Text that does not fit the picture is undefined, however long.
    let digits = "9".repeat(10_000);
    let e = Expr::compile(&format!("$toMillis('{digits}', '[Y][M][D][H][m][s]')")).unwrap();
    assert_eq!(e.evaluate(&json!({}), &()).unwrap(), None);
}

#[test]
fn parsed_dates_carry_over_like_javascript() {
    // February 30th is March 2nd, as `Date.UTC` has it.
    assert_eq!(
        ok("$toMillis('2018-02-30', '[Y]-[M]-[D]') ~> $fromMillis()"),
        json!("2018-03-02T00:00:00.000Z")
    );
}

#[test]
fn parent_operator_reads_the_step_it_came_from() {
    let input = json!({"orders": [
        {"id": "a", "items": [{"sku": 1}, {"sku": 2}]},
        {"id": "b", "items": [{"sku": 3}]}
    ]});
    let got = eval("orders.items.{'sku': sku, 'order': %.id}", input.clone()).unwrap();
    assert_eq!(
        got,
        Some(json!([
            {"sku": 1, "order": "a"},
            {"sku": 2, "order": "a"},
            {"sku": 3, "order": "b"}
        ]))
    );
    let got = eval("orders.items[%.id = 'b'].sku", input.clone()).unwrap();
    assert_eq!(got, Some(json!(3)));
    // A `%` with no step to serve it is a compile error.
    for expr in ["%", "orders.%.%", "{'a': 1}.%", "$.%"] {
        let e = Expr::compile(expr).expect_err(expr);
        assert_eq!(e.code, "S0217", "{expr}");
    }
    // The modulo operator is unaffected.
    assert_eq!(eval("7 % 4", input).unwrap(), Some(json!(3)));
}

#[test]
fn custom_matchers_drive_the_string_functions() {
    // A matcher for "b": {match, start, end, groups, next}.
    let matcher = "$m := function($s, $o) {( $i := $length($substringBefore($s, 'b')); \
        $i < $length($s) ? {'match': 'b', 'start': $i + ($o ? $o : 0), \
        'end': $i + 1 + ($o ? $o : 0), 'groups': [], \
        'next': function() { $m($substring($s, $i + 1), $i + 1 + ($o ? $o : 0)) }} )};";
    let run = |call: &str| ok(&format!("({matcher} {call})"));
    assert_eq!(run("$replace('abcb', $m, 'X')"), json!("aXcX"));
    assert_eq!(run("$split('abcb', $m)"), json!(["a", "c", ""]));
    assert_eq!(run("$contains('abc', $m)"), json!(true));
    assert_eq!(run("$count($match('abcb', $m))"), json!(2));
    assert_eq!(err("$split('some text', $uppercase)").code, "T1010");
}

#[test]
fn nan_results_are_null() {
    assert_eq!(ok("[5 % 0, $round(5 % 0, 2)]"), json!([null, null]));
}
