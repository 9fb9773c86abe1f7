// A workflow calls `#[task]` functions; a plain `async fn` has no task to run on the engine.
use workflow_core::prelude::*;

async fn plain(n: u32) -> Result<u32, WorkflowError> {
    Ok(n)
}

#[workflow]
async fn caller(n: u32) -> Result<u32, WorkflowError> {
    let m = plain(n).await?;
    Ok(m)
}

fn main() {}
