// Only `fail!`, `join!`, `format!` and `vec!` may appear in a workflow body.
use workflow_core::prelude::*;

#[workflow]
async fn noisy(n: u32) -> Result<u32, WorkflowError> {
    println!("{}", n);
    Ok(n)
}

fn main() {}
