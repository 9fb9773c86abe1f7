// Statements in a workflow take `#[state("..")]` and `#[task(..)]` only.
use workflow_core::prelude::*;

#[workflow]
async fn tagged(n: u32) -> Result<u32, WorkflowError> {
    #[step("Add")]
    let m = n + 1;
    Ok(m)
}

fn main() {}
