//! Order processing as a workflow: reserve stock (retried while the warehouse is busy), stop
//! when nothing is in stock, charge the card (a declined card ends in a `Declined` failure),
//! then ship every line, two at a time.
//!
//! ```text
//! cargo run -p workflow-examples --example order
//! cargo run -p workflow-examples --example order -- run --input '{"order_id": "o-2", "total": 5000, "lines": [{"sku": "apple", "quantity": 1}]}'
//! cargo run -p workflow-examples --example order -- export --out /tmp/asl
//! cargo run -p workflow-examples --example order -- graph
//! ```
//!
//! Without arguments it runs one order on the in-process engine (the warehouse is busy on the
//! first call, so `CheckInventory` is retried), prints the history and the receipt, and writes
//! the ASL to `examples/asl/order.asl.json`. With arguments it is a workflow binary:
//! `run`, `export`, `graph`, `validate`.

use std::process::ExitCode;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Line {
    pub sku: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Order {
    pub order_id: String,
    pub total: f64,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Stock {
    pub available: bool,
    pub reserved: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Receipt {
    pub order_id: String,
    pub receipt: String,
    pub shipments: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, TaskError)]
pub enum InventoryError {
    Busy,
}

#[derive(Debug, Serialize, Deserialize, TaskError)]
pub enum PaymentError {
    Declined { amount: f64 },
}

#[derive(Debug, Serialize, Deserialize, TaskError)]
pub enum ShippingError {
    UnknownSku(String),
}

/// The order whose next `check_inventory` call fails with `InventoryError.Busy` (the demo sets
/// it to show the retry).
pub static WAREHOUSE_BUSY_FOR: Mutex<Option<String>> = Mutex::new(None);

#[task(retry(on = ["InventoryError.Busy"], interval = 2, max_attempts = 3, backoff = 2.0), timeout = 30)]
pub async fn check_inventory(order: Order) -> Result<Stock, InventoryError> {
    let mut busy_for = WAREHOUSE_BUSY_FOR.lock().unwrap_or_else(|e| e.into_inner());
    if busy_for.as_deref() == Some(order.order_id.as_str()) {
        *busy_for = None;
        return Err(InventoryError::Busy);
    }
    drop(busy_for);
    let reserved: u32 = order.lines.iter().map(|line| line.quantity).sum();
    Ok(Stock {
        available: reserved > 0,
        reserved,
    })
}

#[task(timeout = 10)]
pub async fn charge(order_id: String, amount: f64) -> Result<String, PaymentError> {
    if amount > 1000.0 {
        return Err(PaymentError::Declined { amount });
    }
    Ok(format!("R-{order_id}"))
}

#[task(retry(max_attempts = 2))]
pub async fn ship(line: Line) -> Result<String, ShippingError> {
    if line.sku.is_empty() {
        return Err(ShippingError::UnknownSku(line.sku));
    }
    Ok(format!("T-{}-{}", line.sku, line.quantity))
}

#[workflow(
    name = "OrderProcessing",
    comment = "Reserve stock, charge the card, ship every line"
)]
pub async fn process_order(order: Order) -> Result<Receipt, WorkflowError> {
    let stock = check_inventory(order.clone()).await?;
    if !stock.available {
        fail!("OutOfStock", "no stock for the order");
    }
    let receipt = match charge(order.order_id.clone(), order.total).await {
        Ok(receipt) => receipt,
        Err(PaymentError::Declined { .. }) => fail!("Declined", "the card was declined"),
    };
    let shipments = map(order.lines.clone(), |line| async move {
        let tracking = ship(line).await?;
        Ok(tracking)
    })
    .max_concurrency(2)
    .await?;
    Ok(Receipt {
        order_id: order.order_id,
        receipt,
        shipments,
    })
}

fn main() -> ExitCode {
    if std::env::args().len() > 1 {
        return workflow_core::cli::main([process_order::workflow()]);
    }
    let asl = concat!(env!("CARGO_MANIFEST_DIR"), "/asl/order.asl.json");
    if let Err(err) = std::fs::write(asl, workflow_core::cli::pretty(&process_order::workflow())) {
        eprintln!("order: cannot write {asl}: {err}");
    }
    let order = Order {
        order_id: "o-1".into(),
        total: 120.0,
        lines: vec![
            Line {
                sku: "apple".into(),
                quantity: 2,
            },
            Line {
                sku: "pear".into(),
                quantity: 1,
            },
        ],
    };
    *WAREHOUSE_BUSY_FOR.lock().unwrap_or_else(|e| e.into_inner()) = Some(order.order_id.clone());
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    runtime.block_on(async {
        let engine = Engine::default();
        let execution = match process_order::start(&engine, order) {
            Ok(execution) => execution,
            Err(err) => {
                eprintln!("order: {err}");
                return ExitCode::from(2);
            }
        };
        let result = execution.result().await;
        for event in execution.history() {
            println!("{:>3}  {}", event.id, event.event_type.as_str());
        }
        match result {
            Ok(receipt) => {
                println!("SUCCEEDED {receipt:?}");
                println!("ASL written to {asl}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                println!("{err}");
                ExitCode::from(1)
            }
        }
    })
}
