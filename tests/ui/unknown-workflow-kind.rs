// A workflow's kind is "standard" or "express".
use workflow_core::prelude::*;

#[workflow(kind = "fast")]
async fn quick(n: u32) -> Result<u32, WorkflowError> {
    Ok(n)
}

fn main() {}
