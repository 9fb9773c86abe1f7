// `if let` is not part of the workflow subset; test options with `is_some()`.
use workflow_core::prelude::*;

#[workflow]
async fn maybe(n: Option<u32>) -> Result<u32, WorkflowError> {
    if let Some(m) = n {
        return Ok(m);
    }
    Ok(0)
}

fn main() {}
