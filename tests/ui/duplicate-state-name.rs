// Each `#[state("..")]` names a different state.
use workflow_core::prelude::*;

#[derive(Debug, TaskError)]
enum E {
    Bad,
}

#[task]
async fn double(n: u32) -> Result<u32, E> {
    Ok(n * 2)
}

#[workflow]
async fn twice(n: u32) -> Result<u32, WorkflowError> {
    #[state("Double")]
    let a = double(n).await?;
    #[state("Double")]
    let b = double(a).await?;
    Ok(b)
}

fn main() {}
