// Values flow between steps with their Rust types: passing a `Stock` where a task wants an
// `Order` is a type error on the user's expression.
use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Order {
    id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stock {
    available: bool,
}

#[derive(Debug, TaskError)]
enum E {
    Bad,
}

#[task]
async fn check(order: Order) -> Result<Stock, E> {
    Ok(Stock { available: !order.id.is_empty() })
}

#[task]
async fn charge(order: Order) -> Result<String, E> {
    Ok(order.id)
}

#[workflow]
async fn process(order: Order) -> Result<String, WorkflowError> {
    let stock = check(order).await?;
    let receipt = charge(stock).await?;
    Ok(receipt)
}

fn main() {}
