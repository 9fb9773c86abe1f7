// A workflow body has no `loop`: every loop needs a condition (`while`).
use workflow_core::prelude::*;

#[workflow]
async fn spin(n: u32) -> Result<u32, WorkflowError> {
    loop {}
}

fn main() {}
