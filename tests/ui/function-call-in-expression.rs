// Plain function calls are not workflow expressions; call a `#[task]` in its own statement.
use workflow_core::prelude::*;

fn helper(n: u32) -> u32 {
    n + 1
}

#[workflow]
async fn helped(n: u32) -> Result<u32, WorkflowError> {
    let m = helper(n) * 2;
    Ok(m)
}

fn main() {}
