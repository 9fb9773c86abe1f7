// A workflow's input and output need concrete types: it cannot be generic.
use workflow_core::prelude::*;

#[workflow]
async fn echo<T>(value: T) -> Result<T, WorkflowError> {
    Ok(value)
}

fn main() {}
