// Closures are only allowed as the argument of `map`, `callback` and iterator adaptors.
use workflow_core::prelude::*;

#[workflow]
async fn closures(n: u32) -> Result<u32, WorkflowError> {
    let add_one = |x: u32| x + 1;
    Ok(n)
}

fn main() {}
