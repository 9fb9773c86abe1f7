// Workflow expressions read the workflow's variables; constants are not available to JSONata.
use workflow_core::prelude::*;

const LIMIT: u32 = 10;

#[workflow]
async fn limited(n: u32) -> Result<bool, WorkflowError> {
    let over = n > LIMIT;
    Ok(over)
}

fn main() {}
