// `WorkflowType` rejects serde attributes that rename fields: a workflow's JSONata paths use
// Rust field names.
use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;

#[derive(Debug, Clone, Serialize, Deserialize, WorkflowType)]
struct Order {
    #[serde(rename = "Total")]
    total: f64,
}

fn main() {}
