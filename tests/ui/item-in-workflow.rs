// Items (functions, structs, `use`) are declared outside a workflow body.
use workflow_core::prelude::*;

#[workflow]
async fn nested(n: u32) -> Result<u32, WorkflowError> {
    fn inner(x: u32) -> u32 {
        x
    }
    Ok(n)
}

fn main() {}
