// An express workflow cannot start a child workflow and wait for it (`.sync`).
use workflow_core::prelude::*;

#[workflow]
async fn child(n: u32) -> Result<u32, WorkflowError> {
    Ok(n)
}

#[workflow(kind = "express")]
async fn parent(n: u32) -> Result<u32, WorkflowError> {
    let m = child_workflow(child(n)).await?;
    Ok(m)
}

fn main() {}
