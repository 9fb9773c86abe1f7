// `match` arms in a workflow test values; guards are not supported.
use workflow_core::prelude::*;

#[workflow]
async fn guarded(n: u32) -> Result<u32, WorkflowError> {
    let size = match n {
        0 => 0,
        x if x > 10 => 2,
        _ => 1,
    };
    Ok(size)
}

fn main() {}
