// A task call's `Result` must be handled with `?` or a `match` (which becomes a Catch).
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
async fn careless(n: u32) -> Result<u32, WorkflowError> {
    let m = double(n).await;
    Ok(n)
}

fn main() {}
