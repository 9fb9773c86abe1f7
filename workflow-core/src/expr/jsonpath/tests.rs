//! Expected values come from Jayway JsonPath's documented behaviour (its README's bookstore
//! examples), from what AWS recorded in the conformance corpus, and from AWS's documentation.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::*;
use crate::expr::SimpleScope;
use crate::expr::java;

fn scope() -> SimpleScope {
    let mut scope = SimpleScope {
        context: json!({"Execution": {"Id": "arn:exec", "Input": {"k": "v"}}, "State": {"Name": "S"}}),
        ..SimpleScope::default()
    };
    scope
        .variables
        .insert("order".into(), json!({"items": [{"id": 1}, {"id": 2}]}));
    scope.variables.insert("n".into(), json!(42));
    scope
}

fn bookstore() -> Value {
    json!({
        "store": {
            "book": [
                {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
                {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
                {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
                {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
            ],
            "bicycle": {"color": "red", "price": 19.95}
        },
        "expensive": 10
    })
}

/// Evaluates each `(path, expected)` against `input`; `None` means "selects nothing".
fn check(input: Value, cases: &[(&str, Option<Value>)]) {
    let scope = scope();
    for (source, expected) in cases {
        let path = Path::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
        let got = path
            .select(&input, &scope)
            .unwrap_or_else(|e| panic!("{source}: {e}"))
            .map(Cow::into_owned);
        assert_eq!(&got, expected, "path {source}");
    }
}

fn titles(indexes: &[usize]) -> Value {
    let books = bookstore()["store"]["book"].clone();
    Value::Array(indexes.iter().map(|&i| books[i].clone()).collect())
}

#[test]
fn jayway_bookstore_examples() {
    let all_authors = json!([
        "Nigel Rees",
        "Evelyn Waugh",
        "Herman Melville",
        "J. R. R. Tolkien"
    ]);
    check(
        bookstore(),
        &[
            ("$.store.book[*].author", Some(all_authors.clone())),
            ("$..author", Some(all_authors)),
            (
                "$.store.*",
                Some(json!([
                    bookstore()["store"]["book"],
                    bookstore()["store"]["bicycle"]
                ])),
            ),
            (
                "$.store..price",
                Some(json!([8.95, 12.99, 8.99, 22.99, 19.95])),
            ),
            ("$..book[2]", Some(titles(&[2]))),
            ("$..book[-2]", Some(titles(&[2]))),
            ("$..book[0,1]", Some(titles(&[0, 1]))),
            ("$..book[:2]", Some(titles(&[0, 1]))),
            ("$..book[1:2]", Some(titles(&[1]))),
            ("$..book[-2:]", Some(titles(&[2, 3]))),
            ("$..book[2:]", Some(titles(&[2, 3]))),
            ("$..book[?(@.isbn)]", Some(titles(&[2, 3]))),
            ("$.store.book[?(@.price < 10)]", Some(titles(&[0, 2]))),
            (
                "$..book[?(@.price <= $['expensive'])]",
                Some(titles(&[0, 2])),
            ),
            ("$..book[?(@.author =~ /.*REES/i)]", Some(titles(&[0]))),
            // Step Functions does not run path functions; `length()` is a field name.
            ("$..book.length()", Some(json!([]))),
            ("$.store.book.length()", None),
        ],
    );
}

#[test]
fn deep_scan_visits_parents_before_children() {
    let input = json!({"a": {"a": 1, "b": [{"a": 2}]}, "c": [[{"a": 3}]]});
    check(
        input.clone(),
        &[
            ("$..a", Some(json!([{"a": 1, "b": [{"a": 2}]}, 1, 2, 3]))),
            ("$..a.a", Some(json!([1]))),
            ("$..[0]", Some(json!([{"a": 2}, [{"a": 3}], {"a": 3}]))),
            ("$..missing", Some(json!([]))),
            ("$..[?(@.a == 2)]", Some(json!([{"a": 2}]))),
            ("$..['a','b']", Some(json!([{"a": 1, "b": [{"a": 2}]}]))),
        ],
    );
    check(
        json!({"x": {"y": 1}, "z": [2, {"w": 3}]}),
        &[(
            "$..*",
            Some(json!([{"y": 1}, [2, {"w": 3}], 1, 2, {"w": 3}, 3])),
        )],
    );
}

#[test]
fn definite_paths() {
    let input = json!({
        "a": {"b": {"c": 1}},
        "n": null,
        "arr": ["x", "y", "z"],
        "a b": 2,
        "a.b": 3,
        "a-b": 4,
        "abc": {"def ghi": 5},
        "f": {"length()": 6}
    });
    check(
        input.clone(),
        &[
            ("$", Some(input.clone())),
            ("$.a.b.c", Some(json!(1))),
            ("$['a']['b']", Some(json!({"c": 1}))),
            ("$[\"a\"].b", Some(json!({"c": 1}))),
            ("$['a b']", Some(json!(2))),
            ("$['a.b']", Some(json!(3))),
            ("$.a-b", Some(json!(4))),
            ("$.abc.['def ghi']", Some(json!(5))),
            ("$.n", Some(Value::Null)),
            ("$.missing", None),
            ("$.a.missing.c", None),
            ("$.n.x", None),
            ("$.arr[0]", Some(json!("x"))),
            ("$.arr[-1]", Some(json!("z"))),
            ("$.arr[ 1 ]", Some(json!("y"))),
            ("$.arr[3]", None),
            ("$.arr[-4]", None),
            ("$.arr.x", None),
            ("$.a[0]", None),
            ("$.f.length()", Some(json!(6))),
            ("  $.a.b.c  ", Some(json!(1))),
        ],
    );
}

#[test]
fn roots() {
    check(
        json!({"x": 1}),
        &[
            ("$$", Some(scope().context)),
            ("$$.Execution.Id", Some(json!("arn:exec"))),
            ("$$['State'].Name", Some(json!("S"))),
            ("$$.Execution.Input.k", Some(json!("v"))),
            ("$order.items[1].id", Some(json!(2))),
            ("$order.items[*].id", Some(json!([1, 2]))),
            ("$n", Some(json!(42))),
            ("$undefined", None),
            ("$undefined.x", None),
            ("$undefined[*]", None),
        ],
    );
}

#[test]
fn wildcards() {
    check(
        json!({"o": {"a": 1, "b": {"c": 2}}, "arr": [{"b": 1}, {"c": 2}, {"b": null}, 5], "s": "x"}),
        &[
            ("$.o.*", Some(json!([1, {"c": 2}]))),
            ("$.o[*]", Some(json!([1, {"c": 2}]))),
            // Elements without `b`, and scalars, are skipped; a null `b` counts.
            ("$.arr[*].b", Some(json!([1, null]))),
            ("$.s.*", Some(json!([]))),
            ("$.missing[*]", Some(json!([]))),
            ("$.missing.deeper[*]", Some(json!([]))),
            ("$.o.*.c", Some(json!([2]))),
            ("$[ * ].a", Some(json!([1]))),
        ],
    );
    // What AWS returned for indefinite paths on an empty input.
    check(
        json!({}),
        &[
            ("$[*]", Some(json!([]))),
            ("$.items[*]", Some(json!([]))),
            ("$.items[1:]", Some(json!([]))),
            ("$.items[:1]", Some(json!([]))),
            ("$.item.items[1:5]", Some(json!([]))),
            ("$.items[*].itemValue", Some(json!([]))),
            ("$.item.items[1:5].itemValue", Some(json!([]))),
        ],
    );
}

#[test]
fn slices_follow_jayway() {
    let input = json!({"a": ["a", "b", "c", "d"], "e": [], "o": {"x": 1}});
    check(
        input,
        &[
            ("$.a[1:3]", Some(json!(["b", "c"]))),
            ("$.a[1:]", Some(json!(["b", "c", "d"]))),
            ("$.a[:2]", Some(json!(["a", "b"]))),
            ("$.a[-2:]", Some(json!(["c", "d"]))),
            ("$.a[:-1]", Some(json!(["a", "b", "c"]))),
            ("$.a[0:10]", Some(json!(["a", "b", "c", "d"]))),
            ("$.a[5:]", Some(json!([]))),
            ("$.a[-10:]", Some(json!(["a", "b", "c", "d"]))),
            ("$.a[:-10]", Some(json!([]))),
            ("$.a[2:1]", Some(json!([]))),
            // In [from:to] Jayway normalises neither bound.
            ("$.a[1:-1]", Some(json!([]))),
            ("$.a[-2:2]", Some(json!(["c", "d", "a", "b"]))),
            ("$.a[-1:0]", Some(json!(["d"]))),
            // The step is ignored.
            ("$.a[0:4:2]", Some(json!(["a", "b", "c", "d"]))),
            ("$.a[1::2]", Some(json!(["b", "c", "d"]))),
            ("$.e[0:2]", Some(json!([]))),
            ("$.o[0:2]", Some(json!([]))),
        ],
    );
}

#[test]
fn unions() {
    let input = json!({"arr": [10, 11, 12], "o": {"a": 1, "b": {"c": 2}, "d": {"c": 3}}});
    check(
        input,
        &[
            ("$.arr[0,2]", Some(json!([10, 12]))),
            ("$.arr[2,0]", Some(json!([12, 10]))),
            ("$.arr[0,-1]", Some(json!([10, 12]))),
            ("$.arr[0, 9]", Some(json!([10]))),
            // At the end of a path several names merge into one object.
            ("$.o['a','b']", Some(json!({"a": 1, "b": {"c": 2}}))),
            ("$.o['a','x']", Some(json!({"a": 1}))),
            ("$.o[ 'x' , 'y' ]", Some(json!({}))),
            ("$.arr['a','b']", None),
            // Elsewhere they select each field that exists.
            ("$.o['b','x','d'].c", Some(json!([2, 3]))),
        ],
    );
}

#[test]
fn filters() {
    let input = json!({
        "items": [
            {"id": 1, "price": 5, "name": "apple", "tags": ["red", "fruit"], "n": "10"},
            {"id": 2, "price": 15, "name": "Banana", "tags": [], "stock": null},
            {"id": 3, "price": 10.0, "name": "cherry", "tags": ["red"], "n": 10},
            "scalar",
            [1, 2]
        ],
        "max": 10,
        "single": {"kind": "x", "v": 1},
        "strings": ["a", "b"]
    });
    let ids = |v: &[i64]| -> Option<Value> { Some(json!(v)) };
    check(
        input,
        &[
            ("$.items[?(@.price < 10)].id", ids(&[1])),
            ("$.items[?(@.price <= 10)].id", ids(&[1, 3])),
            ("$.items[?(@.price > 10)].id", ids(&[2])),
            ("$.items[?(@.price >= 10)].id", ids(&[2, 3])),
            ("$.items[?(@.price == 10)].id", ids(&[3])),
            ("$.items[?(@.price != 10)].id", ids(&[1, 2])),
            ("$.items[?(@.price==5)].id", ids(&[1])),
            ("$.items[?(@.name == 'apple')].id", ids(&[1])),
            ("$.items[?(@.name == \"Banana\")].id", ids(&[2])),
            ("$.items[?(@.name > 'b')].id", ids(&[3])),
            ("$.items[?(@.price < $.max)].id", ids(&[1])),
            ("$.items[?(@.price < 10 || @.price > 12)].id", ids(&[1, 2])),
            (
                "$.items[?(@.price >= 5 && @.name != 'apple')].id",
                ids(&[2, 3]),
            ),
            ("$.items[?(!(@.price < 10))].id", ids(&[2, 3])),
            (
                "$.items[?((@.id == 1 || @.id == 2) && @.price > 6)].id",
                ids(&[2]),
            ),
            // Existence: a null value exists.
            ("$.items[?(@.stock)].id", ids(&[2])),
            ("$.items[?(!@.stock)].id", ids(&[1, 3])),
            ("$.items[?(@.stock exists true)].id", ids(&[2])),
            ("$.items[?(@.stock == null)].id", ids(&[2])),
            // A missing field is only "not equal".
            ("$.items[?(@.missing != 1)].id", ids(&[1, 2, 3])),
            ("$.items[?(@.missing == 1)].id", ids(&[])),
            // Numbers and numeric strings compare by value.
            ("$.items[?(@.n == 10)].id", ids(&[1, 3])),
            ("$.items[?(@.n === 10)].id", ids(&[3])),
            ("$.items[?(@.n !== 10)].id", ids(&[1, 2])),
            ("$.items[?(@.name =~ /^[a-c].*/)].id", ids(&[1, 3])),
            ("$.items[?(@.name =~ /b.*/i)].id", ids(&[2])),
            ("$.items[?(@.name =~ /an/)].id", ids(&[])),
            ("$.items[?(@.name in ['apple', 'cherry'])].id", ids(&[1, 3])),
            ("$.items[?(@.name nin ['apple', 'cherry'])].id", ids(&[2])),
            ("$.items[?(@.tags contains 'red')].id", ids(&[1, 3])),
            ("$.items[?(@.name contains 'an')].id", ids(&[2])),
            ("$.items[?(@.tags size 2)].id", ids(&[1])),
            ("$.items[?(@.name size 6)].id", ids(&[2, 3])),
            ("$.items[?(@.tags empty true)].id", ids(&[2])),
            ("$.items[?(@.tags empty false)].id", ids(&[1, 3])),
            (
                "$.items[?(@.tags subsetof ['red', 'fruit', 'x'])].id",
                ids(&[1, 2, 3]),
            ),
            ("$.items[?(@.tags anyof ['fruit'])].id", ids(&[1])),
            ("$.items[?(@.tags noneof ['fruit'])].id", ids(&[2, 3])),
            ("$.items[?(@.tags == ['red'])].id", ids(&[3])),
            ("$.items[?(@.tags[0] == 'red')].id", ids(&[1, 3])),
            ("$.items[?(@.tags[*] contains 'fruit')].id", ids(&[1])),
            // Step Functions' `@` only matches objects: scalars and arrays never pass.
            ("$.strings[?(@ == 'a')]", Some(json!([]))),
            ("$.items[?(@[0] == 1)]", Some(json!([]))),
            // On an object the filter tests the object itself.
            ("$.single[?(@.kind == 'x')].v", Some(json!([1]))),
            ("$.single[?(@.kind == 'y')].v", Some(json!([]))),
            ("$.max[?(@.a)]", Some(json!([]))),
            // Literals may be compared with each other.
            ("$.single[?(1 == 1)].v", Some(json!([1]))),
        ],
    );
    // The case AWS recorded.
    check(
        json!({"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]}),
        &[(
            "$.users[?(@.status == 0)]",
            Some(json!([{"year": 1997, "status": 0}])),
        )],
    );
}

#[test]
fn quoted_names_keep_backslashes() {
    // Recorded on AWS: the key in the input is `Test\""Name"`.
    check(
        json!({"Test\\\"\"Name\"": "Value\"\\"}),
        &[(r#"$['Test\""Name"']"#, Some(json!("Value\"\\")))],
    );
    check(
        json!({"it\\'s": 1, "q\\\"": 2}),
        &[
            (r"$['it\'s']", Some(json!(1))),
            (r#"$["q\""]"#, Some(json!(2))),
        ],
    );
}

#[test]
fn definiteness() {
    for (source, definite) in [
        ("$", true),
        ("$.a.b[0]", true),
        ("$['a']", true),
        ("$.a['b','c']", true),
        ("$.a['b','c'].d", false),
        ("$.a[*]", false),
        ("$.*", false),
        ("$..a", false),
        ("$.a[0,1]", false),
        ("$.a[1:]", false),
        ("$.a[?(@.x)]", false),
        ("$$.Execution", true),
        ("$var.x", true),
    ] {
        assert_eq!(
            Path::parse(source).unwrap().is_definite(),
            definite,
            "{source}"
        );
    }
    assert!(Path::parse("$").unwrap().is_identity());
    assert!(!Path::parse("$$").unwrap().is_identity());
    assert!(Path::parse("$.a[0]['b']").unwrap().is_reference());
    assert!(!Path::parse("$.a['b','c']").unwrap().is_reference());
}

#[test]
fn simple_paths_borrow() {
    let input = json!({"a": [{"b": 1}]});
    let scope = scope();
    for source in ["$", "$.a[0].b", "$$.Execution", "$order.items"] {
        let got = Path::parse(source).unwrap().select(&input, &scope).unwrap();
        assert!(matches!(got, Some(Cow::Borrowed(_))), "{source}");
    }
}

#[test]
fn normalized() {
    for (source, expected) in [
        ("$", "$"),
        ("$.NoSuchInputPath", "$['NoSuchInputPath']"),
        ("$.a.b[0]", "$['a']['b'][0]"),
        ("$['a b'][-1]", "$['a b'][-1]"),
        ("$$.Execution.Id", "$['Execution']['Id']"),
        ("$var.x", "$['x']"),
        ("$.a['b','c']", "$['a']['b','c']"),
        ("$.a[0,1]", "$['a'][0,1]"),
        ("$.a[1:2]", "$['a'][1:2]"),
        ("$.a[:2]", "$['a'][:2]"),
        ("$.a[-1:]", "$['a'][-1:]"),
        ("$.a[*].b", "$['a'][*]['b']"),
        ("$..a", "$..['a']"),
        ("$.a[?(@.x > 1)]", "$['a'][?]"),
    ] {
        assert_eq!(
            Path::parse(source).unwrap().normalized(),
            expected,
            "{source}"
        );
    }
}

#[test]
fn invalid_path_errors() {
    let scope = scope();
    for (source, input, expected) in [
        (
            "$.NoSuchInputPath",
            json!({"a": 1}),
            "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']",
        ),
        (
            "$.a.b",
            json!({}),
            "Invalid path '$.a.b' : Missing property in path $['a']",
        ),
        (
            "$.a.b.c",
            json!({"a": {}}),
            "Invalid path '$.a.b.c' : Missing property in path $['a']['b']",
        ),
        (
            "$.a.b",
            json!({"a": 5}),
            "Invalid path '$.a.b' : Expected to find an object with property ['b'] in path $['a'] but found 'java.lang.Integer'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'.",
        ),
        (
            "$.a.b",
            json!({"a": null}),
            "Invalid path '$.a.b' : Expected to find an object with property ['b'] in path $['a'] but found 'null'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'.",
        ),
        (
            "$.a[0].b",
            json!({"a": {"x": 1}}),
            "Invalid path '$.a[0].b' : Filter: [0]['b'] can only be applied to arrays. Current context is: {\"x\":1}",
        ),
        (
            "$.a[3]",
            json!({"a": [1]}),
            "Invalid path '$.a[3]' : No results for path: $['a'][3]",
        ),
        (
            "$.a[3].b",
            json!({"a": [1]}),
            "Invalid path '$.a[3].b' : No results for path: $['a'][3]['b']",
        ),
        (
            "$.a[0]",
            json!({"a": null}),
            "Invalid path '$.a[0]' : The path $['a'] is null",
        ),
        (
            "$$.Nope",
            json!({}),
            "Invalid path '$$.Nope' : No results for path: $['Nope']",
        ),
        (
            "$undefined.x",
            json!({}),
            "Invalid path '$undefined.x' : No results for path: $['x']",
        ),
    ] {
        let path = Path::parse(source).unwrap();
        assert_eq!(path.select(&input, &scope).unwrap(), None, "{source}");
        let err = path.invalid_path_error(&input, &scope);
        assert_eq!(err.name, ErrorName::Runtime);
        assert_eq!(err.message, expected, "{source}");
    }
    assert_eq!(
        Path::parse("$.x").unwrap().no_results_error().message,
        "Invalid path '$.x' : No results for path: $['x']"
    );
    assert_eq!(
        Path::parse("$.x")
            .unwrap()
            .not_found_error("ErrorPath", &json!({"int-literal": 0}))
            .message,
        "The JSONPath '$.x' specified for the field 'ErrorPath' could not be found in the input '{\"int-literal\":0}'"
    );
}

#[test]
fn parse_errors() {
    for (source, expected) in [
        ("", "invalid path '': a path must start with '$'"),
        ("a.b", "invalid path 'a.b': a path must start with '$'"),
        (
            "$.",
            "invalid path '$.': a path must not end with '.' or '..'",
        ),
        (
            "$..",
            "invalid path '$..': a path must not end with '.' or '..'",
        ),
        (
            "$.a.",
            "invalid path '$.a.': a path must not end with '.' or '..'",
        ),
        (
            "$...a",
            "invalid path '$...a': unexpected '.' at position 3",
        ),
        (
            "$a-b.c",
            "invalid path '$a-b.c': '$a-b' is not a variable name; expected letters, digits and '_' after '$'",
        ),
        (
            "$$x",
            "invalid path '$$x': unexpected character at position 2; expected '.' or '['",
        ),
        (
            "$.a b",
            "invalid path '$.a b': use bracket notation ['my prop'] if a property contains blank characters",
        ),
        (
            "$[",
            "invalid path '$[': could not parse the selector at position 1; expected ?, ', \", 0-9, - or *",
        ),
        (
            "$['a'",
            "invalid path '$['a'': property names must be separated by ',' and closed by ']' (position 5)",
        ),
        (
            "$['a]",
            "invalid path '$['a]': unclosed quote at position 2",
        ),
        (
            "$[x]",
            "invalid path '$[x]': could not parse the selector at position 1; expected ?, ', \", 0-9, - or *",
        ),
        ("$[1", "invalid path '$[1': unclosed '[' at position 1"),
        (
            "$[1a]",
            "invalid path '$[1a]': invalid array selector '[1a]'",
        ),
        (
            "$[::2]",
            "invalid path '$[::2]': invalid slice '[::2]'; expected a start or an end",
        ),
        (
            "$[:]",
            "invalid path '$[:]': invalid slice '[:]'; expected a start or an end",
        ),
        (
            "$[*",
            "invalid path '$[*': expected ']' after '*' at position 2",
        ),
        ("$.f(", "invalid path '$.f(': unclosed '(' at position 3"),
        (
            "$[?(@.a ==)]",
            "invalid path '$[?(@.a ==)]': unexpected character at position 10 in the filter",
        ),
        (
            "$[?(@.a type 'x')]",
            "invalid path '$[?(@.a type 'x')]': unsupported operator 'type'; expected one of ==, !=, ===, !==, <, <=, >, >=, =~, in, nin, contains, all, subsetof, anyof, noneof, size, empty, exists",
        ),
        (
            "$[?(@.a <> 1)]",
            "invalid path '$[?(@.a <> 1)]': unknown operator '<>'",
        ),
        (
            "$[?(@.a =~ /(/)]",
            "invalid path '$[?(@.a =~ /(/)]': invalid regular expression /(/: unclosed group",
        ),
        (
            "$[?(@.a =~ /x/q)]",
            "invalid path '$[?(@.a =~ /x/q)]': unknown regular expression flag 'q'",
        ),
        (
            "$[?(@.a =~ 'x')]",
            "invalid path '$[?(@.a =~ 'x')]': '=~' needs a /regular expression/ on one side",
        ),
        (
            "$[?(1)]",
            "invalid path '$[?(1)]': expected a comparison operator at position 5",
        ),
        (
            "$[?(@.a)",
            "invalid path '$[?(@.a)': expected ']' to close the filter at position 8",
        ),
        (
            "$[?(@.a == 'x)]",
            "invalid path '$[?(@.a == 'x)]': unclosed string at position 11",
        ),
    ] {
        let err = Path::parse(source).unwrap_err();
        assert_eq!(err.message, expected, "{source}");
    }
}

#[test]
fn filter_literals() {
    let input = json!({"a": [
        {"v": -1.5}, {"v": 2e3}, {"v": true}, {"v": {"k": [1]}}, {"v": "it's"}, {"v": "tab\t"}
    ]});
    check(
        input,
        &[
            ("$.a[?(@.v == -1.5)].v", Some(json!([-1.5]))),
            ("$.a[?(@.v == 2000)].v", Some(json!([2e3]))),
            ("$.a[?(@.v == true)].v", Some(json!([true]))),
            ("$.a[?(@.v == {'k': [1]})].v", Some(json!([{"k": [1]}]))),
            ("$.a[?(@.v == 'it\\'s')].v", Some(json!(["it's"]))),
            ("$.a[?(@.v == \"it's\")].v", Some(json!(["it's"]))),
            ("$.a[?(@.v == 'tab\\t')].v", Some(json!(["tab\t"]))),
        ],
    );
}

#[test]
fn reference_paths() {
    let apply = |source: &str, target: Value, value: Value| {
        ReferencePath::parse(source).unwrap().apply(target, value)
    };
    for (source, target, expected) in [
        ("$", json!({"a": 1}), json!("R")),
        ("$.r", json!({"a": 1}), json!({"a": 1, "r": "R"})),
        ("$.a", json!({"a": 1, "b": 2}), json!({"a": "R", "b": 2})),
        (
            "$.x.y.z",
            json!({"a": 1}),
            json!({"a": 1, "x": {"y": {"z": "R"}}}),
        ),
        (
            "$.x.y",
            json!({"x": {"k": 0}}),
            json!({"x": {"k": 0, "y": "R"}}),
        ),
        ("$['a b']", json!({}), json!({"a b": "R"})),
        ("$.arr[1]", json!({"arr": [0, 1]}), json!({"arr": [0, "R"]})),
        (
            "$.arr[-1].k",
            json!({"arr": [{}, {}]}),
            json!({"arr": [{}, {"k": "R"}]}),
        ),
        ("$[0]", json!([1, 2]), json!(["R", 2])),
    ] {
        assert_eq!(
            apply(source, target, json!("R")).unwrap(),
            expected,
            "{source}"
        );
    }
    for (source, target, expected) in [
        (
            "$.someTaskResult",
            json!("input1"),
            "Unable to apply ReferencePath $.someTaskResult to input \"input1\"",
        ),
        (
            "$.x",
            Value::Null,
            "Unable to apply ReferencePath $.x to input null",
        ),
        (
            "$.x",
            json!(3),
            "Unable to apply ReferencePath $.x to input 3",
        ),
        (
            "$.x",
            json!([{"messageId": "m"}]),
            "Unable to apply step \"x\" to input [{\"messageId\":\"m\"}]",
        ),
        (
            "$.a.b",
            json!({"a": "s"}),
            "Unable to apply step \"b\" to input {\"a\":\"s\"}",
        ),
        (
            "$.a.b",
            json!({"a": null}),
            "Unable to apply step \"b\" to input {\"a\":null}",
        ),
        (
            "$.a[5]",
            json!({"a": [1]}),
            "Unable to apply step \"5\" to input {\"a\":[1]}",
        ),
        (
            "$.a[0]",
            json!({}),
            "Unable to apply step \"0\" to input {}",
        ),
        (
            "$.a[0]",
            json!({"a": {"0": 1}}),
            "Unable to apply step \"0\" to input {\"a\":{\"0\":1}}",
        ),
    ] {
        let err = apply(source, target, json!("R")).unwrap_err();
        assert_eq!(err.name, ErrorName::ReferencePathConflict, "{source}");
        assert_eq!(err.message, expected, "{source}");
    }
    for (source, expected) in [
        (
            "$$.a",
            "the reference path '$$.a' must start with '$.' or '$['; the context object and variables cannot be written",
        ),
        (
            "$v.a",
            "the reference path '$v.a' must start with '$.' or '$['; the context object and variables cannot be written",
        ),
        (
            "$.a[*]",
            "the reference path '$.a[*]' must name a single node; use only '.name', \"['name']\" and '[n]' steps",
        ),
        (
            "$..a",
            "the reference path '$..a' must name a single node; use only '.name', \"['name']\" and '[n]' steps",
        ),
        (
            "$.a[?(@.x)]",
            "the reference path '$.a[?(@.x)]' must name a single node; use only '.name', \"['name']\" and '[n]' steps",
        ),
    ] {
        assert_eq!(
            ReferencePath::parse(source).unwrap_err().message,
            expected,
            "{source}"
        );
    }
}

#[test]
fn jackson_rendering() {
    for (value, expected) in [
        (json!(1), "1"),
        (json!(-7), "-7"),
        (json!(18446744073709551615u64), "18446744073709551615"),
        (json!(1.0), "1.0"),
        (json!(1.5), "1.5"),
        (json!(100.0), "100.0"),
        (json!(0.001), "0.001"),
        (json!(0.0001), "1.0E-4"),
        (json!(1234567.0), "1234567.0"),
        (json!(12345678.9), "1.23456789E7"),
        (json!(1e20), "1.0E20"),
        (json!(-2.5e-7), "-2.5E-7"),
        (json!(0.0), "0.0"),
        (
            json!("a\"b\\c\n\t\u{1}\u{7f}é😀/"),
            "\"a\\\"b\\\\c\\n\\t\\u0001\u{7f}é😀/\"",
        ),
        (
            json!({"a": [1, null, true], "b": {}}),
            "{\"a\":[1,null,true],\"b\":{}}",
        ),
    ] {
        assert_eq!(to_json_string(&value), expected, "{value}");
    }
}

#[test]
fn java_hash_map_order() {
    assert_eq!(java::string_hash("hello"), 99162322);
    assert_eq!(java::string_hash("polygenelubricants"), i32::MIN);
    assert_eq!(hash_map_order(&["Iterations", "Values"]), [1, 0]);
    assert_eq!(hash_map_order::<&str>(&[]), Vec::<usize>::new());
}

#[test]
fn more_operators() {
    let input = json!({
        "a": [
            {"id": 1, "t": ["x", "y"], "v": 12, "b": true},
            {"id": 2, "t": ["y"], "v": "12", "b": false, "o": {"k": 1}}
        ],
        "limit": 1
    });
    check(
        input,
        &[
            ("$.a[?(@.t all ['x', 'y'])].id", Some(json!([1]))),
            ("$.a[?(@.t all ['y'])].id", Some(json!([1, 2]))),
            ("$.a[?(@.v =~ /1\\d/)].id", Some(json!([1, 2]))),
            ("$.a[?(@.b =~ /tr.*/)].id", Some(json!([1]))),
            ("$.a[?(@.t =~ /x/)].id", Some(json!([1]))),
            ("$.a[?(@.o size 1)].id", Some(json!([2]))),
            ("$.a[?(@.o empty false)].id", Some(json!([2]))),
            ("$.a[?(@.id > $.limit)].id", Some(json!([2]))),
            ("$.a[?(@.id == $.a[1].id)].id", Some(json!([2]))),
            ("$.a[?(@.missing exists false)].id", Some(json!([1, 2]))),
            ("$.a[?(@.v IN [12])].id", Some(json!([1, 2]))),
            // A filter right after `..` also tests the root.
            ("$..[?(@.limit == 1)].limit", Some(json!([1]))),
        ],
    );
    // Inside a `$$` path, `$` in a filter is the context object.
    let scope = SimpleScope {
        context: json!({"Items": [{"n": 1}, {"n": 2}], "Pick": 2}),
        ..SimpleScope::default()
    };
    let path = Path::parse("$$.Items[?(@.n == $.Pick)]").unwrap();
    assert_eq!(
        path.select(&json!({}), &scope)
            .unwrap()
            .unwrap()
            .into_owned(),
        json!([{"n": 2}])
    );
}

/// Parsing and evaluating arbitrary text never panics.
#[test]
fn no_panics_on_arbitrary_paths() {
    const PIECES: &[&str] = &[
        "$", "$$", "@", ".", "..", "[", "]", "(", ")", "?", "*", ":", ",", "-", "1", "0", "'",
        "\"", "\\", " ", "a", "é", "😀", "==", "<", "!", "&&", "||", "/", "=~", "in ", "{", "}",
        "true", "null", "size ", "()", "$x",
    ];
    let input = json!({"a": [{"a": 1, "é": [2, {"😀": 3}]}, "s", null], "1": {"a": true}});
    let scope = scope();
    // A small linear congruential generator keeps the sweep deterministic.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |bound: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize % bound
    };
    for _ in 0..20_000 {
        let len = 1 + next(12);
        let mut source = String::from("$");
        for _ in 0..len {
            source.push_str(PIECES[next(PIECES.len())]);
        }
        if let Ok(path) = Path::parse(&source) {
            let _ = path.select(&input, &scope);
            let _ = path.invalid_path_error(&input, &scope);
            let _ = path.normalized();
        }
        let _ = ReferencePath::parse(&source).map(|r| r.apply(input.clone(), json!(0)));
    }
}

#[test]
fn limits() {
    let deep = format!("$[?({}@.a{})]", "(".repeat(100), ")".repeat(100));
    assert_eq!(
        Path::parse(&deep).unwrap_err().message,
        format!("invalid path '{deep}': filters and parentheses nest more than 64 deep")
    );
    let long = format!("${}", ".a".repeat(1001));
    assert_eq!(
        Path::parse(&long).unwrap_err().message,
        format!("invalid path '{long}': a path may have at most 1000 segments")
    );
    assert!(Path::parse(&format!("${}", ".a".repeat(1000))).is_ok());
}
