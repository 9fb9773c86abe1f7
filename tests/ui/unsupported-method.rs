// Expressions may only call the documented methods.
use workflow_core::prelude::*;

#[workflow]
async fn power(n: u32) -> Result<u32, WorkflowError> {
    let squared = n.pow(2);
    Ok(squared)
}

fn main() {}
