//! Order processing, end to end: an ASL definition (`examples/asl/order.asl.json`) whose Task
//! states are served by Rust functions, run on the in-process engine.
//!
//! ```text
//! cargo run -p workflow-examples --example order
//! cargo run -p workflow-examples --example order -- '{"order_id": "o-2", "total": 5000, "lines": []}'
//! ```
//!
//! The warehouse is busy on the first call, so `CheckInventory` is retried; orders above 1,000
//! are declined and end in the `Declined` Fail state.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use workflow_core::exec::{Engine, LoadOptions, StartOptions, Status, TaskFailure, TaskRequest};

const DEFINITION: &str = include_str!("asl/order.asl.json");

#[tokio::main]
async fn main() {
    let input: Value = match std::env::args().nth(1) {
        Some(text) => match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("order: the input is not JSON: {e}");
                std::process::exit(2);
            }
        },
        None => json!({
            "order_id": "o-1",
            "total": 120,
            "lines": [{"sku": "apple"}, {"sku": "pear"}, {"sku": "plum"}]
        }),
    };

    let engine = Engine::default();
    let calls = Arc::new(AtomicUsize::new(0));
    engine.register_function("check_inventory", move |req: TaskRequest| {
        let attempt = calls.fetch_add(1, Ordering::SeqCst);
        async move {
            if attempt == 0 {
                return Err(TaskFailure::new("Inventory.Busy", "the warehouse is busy"));
            }
            let lines = req.payload["lines"].as_array().map_or(0, Vec::len);
            Ok(json!({"available": true, "reserved": lines}))
        }
    });
    engine.register_function("charge", |req: TaskRequest| async move {
        let amount = req.payload["amount"].as_f64().unwrap_or(0.0);
        if amount > 1000.0 {
            return Err(TaskFailure::new(
                "Payment.Declined",
                format!("{amount} is over the card limit"),
            ));
        }
        Ok(json!({"receipt": format!("R-{}", req.payload["order"].as_str().unwrap_or("?"))}))
    });
    engine.register_function("ship", |req: TaskRequest| async move {
        Ok(json!({"sku": req.payload["sku"], "tracking": format!("T{}", req.payload["line"])}))
    });

    let machine = match engine.load_str(
        DEFINITION,
        LoadOptions {
            name: Some("OrderProcessing".into()),
            ..LoadOptions::default()
        },
    ) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("order: {e}");
            std::process::exit(2);
        }
    };
    let handle = match engine.start(&machine, input, StartOptions::default()) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("order: {e}");
            std::process::exit(2);
        }
    };
    let outcome = handle.result().await;
    for event in handle.history() {
        println!("{:>3}  {}", event.id, event.event_type.as_str());
    }
    match &outcome.status {
        Status::Succeeded(output) => println!("SUCCEEDED {output}"),
        other => {
            println!(
                "{} {}: {}",
                other.as_str(),
                outcome.error().unwrap_or(""),
                outcome.cause().unwrap_or("")
            );
            std::process::exit(1);
        }
    }
}
