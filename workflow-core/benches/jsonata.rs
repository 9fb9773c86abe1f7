//! Cost of JSONata evaluations on the engine's hot path (Choice loop with a counter).
//!
//!     cargo bench -p workflow-core --bench jsonata

use std::hint::black_box;
use std::time::Instant;

use serde_json::{Map, Value, json};
use workflow_core::expr::jsonata::Expr;

fn bench(name: &str, expr: &str, input: &Value, vars: &Map<String, Value>) {
    let e = Expr::compile(expr).expect("compiles");
    let n = 1_000_000;
    // Warm up, then time.
    for _ in 0..10_000 {
        black_box(e.evaluate(input, vars).expect("evaluates"));
    }
    let start = Instant::now();
    for _ in 0..n {
        black_box(e.evaluate(black_box(input), vars).expect("evaluates"));
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    println!("{name:<40} {ns:>8.1} ns/eval");
}

fn main() {
    let mut big = Map::new();
    for i in 0..2000 {
        big.insert(
            format!("k{i}"),
            json!({"a": i, "b": "some string value", "c": [1, 2, 3]}),
        );
    }
    let big = Value::Object(big);
    let mut vars = Map::new();
    vars.insert("counter".into(), json!(417));
    vars.insert(
        "states".into(),
        json!({"input": big.clone(), "context": {"Execution": {"Name": "x"}}}),
    );
    bench(
        "$counter < 1000 (2,000-key input)",
        "$counter < 1000",
        &big,
        &vars,
    );
    bench(
        "$counter + 1 (2,000-key input)",
        "$counter + 1",
        &big,
        &vars,
    );
    bench(
        "{'counter': $counter + 1}",
        "{'counter': $counter + 1}",
        &big,
        &vars,
    );
    bench(
        "$states.input.k1999.a",
        "$states.input.k1999.a",
        &big,
        &vars,
    );
    bench(
        "$sum($states.input.k5.c) * 2",
        "$sum($states.input.k5.c) * 2",
        &big,
        &vars,
    );
    let start = Instant::now();
    for _ in 0..100_000 {
        black_box(Expr::compile(black_box("$counter < 1000")).expect("compiles"));
    }
    println!(
        "{:<40} {:>8.1} ns/compile",
        "compile `$counter < 1000`",
        start.elapsed().as_nanos() as f64 / 100_000.0
    );
}
