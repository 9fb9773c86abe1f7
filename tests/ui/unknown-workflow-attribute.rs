// `#[workflow]` takes `name`, `kind` and `comment` only.
use workflow_core::prelude::*;

#[workflow(nmae = "Hello")]
async fn hello(n: u32) -> Result<u32, WorkflowError> {
    Ok(n)
}

fn main() {}
