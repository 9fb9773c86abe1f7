// A workflow body may read the fields of a type only if it derives `WorkflowType`, which
// proves that its JSON field names are its Rust field names.
use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Order {
    total: f64,
}

#[workflow]
async fn big(order: Order) -> Result<bool, WorkflowError> {
    let over = order.total > 100.0;
    Ok(over)
}

fn main() {}
