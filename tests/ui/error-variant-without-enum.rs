// A caught error names its enum (`PayError::Declined`): the ASL error name is `Enum.Variant`.
use workflow_core::prelude::*;

#[derive(Debug, TaskError)]
enum PayError {
    Declined,
}
use PayError::Declined;

#[task]
async fn pay(n: u32) -> Result<u32, PayError> {
    Ok(n)
}

#[workflow]
async fn checkout(n: u32) -> Result<u32, WorkflowError> {
    let paid = match pay(n).await {
        Ok(paid) => paid,
        Err(Declined) => 0,
    };
    Ok(paid)
}

fn main() {}
