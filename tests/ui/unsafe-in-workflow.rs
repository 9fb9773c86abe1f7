// A workflow body has no `unsafe` blocks.
use workflow_core::prelude::*;

#[workflow]
async fn risky(n: u32) -> Result<u32, WorkflowError> {
    let m = unsafe { n };
    Ok(m)
}

fn main() {}
