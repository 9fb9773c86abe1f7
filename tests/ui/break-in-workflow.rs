// A workflow loop ends by its `while` condition, not with `break`.
use workflow_core::prelude::*;

#[workflow]
async fn count(n: u32) -> Result<u32, WorkflowError> {
    let mut i = 0;
    while i < n {
        i += 1;
        break;
    }
    Ok(i)
}

fn main() {}
