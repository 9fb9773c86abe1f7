// Ranges are not part of the workflow subset.
use workflow_core::prelude::*;

#[workflow]
async fn ranged(n: u32) -> Result<u32, WorkflowError> {
    let mut total = 0;
    for i in 0..n {
        total += i;
    }
    Ok(total)
}

fn main() {}
