// An express workflow cannot wait for a callback (`.waitForTaskToken`).
use workflow_core::prelude::*;

#[derive(Debug, TaskError)]
enum E {
    Bad,
}

#[task]
async fn ask(token: String, n: u32) -> Result<(), E> {
    let _ = (token, n);
    Ok(())
}

#[workflow(kind = "express")]
async fn approve(n: u32) -> Result<bool, WorkflowError> {
    let ok: bool = callback(|token| ask(token, n)).await?;
    Ok(ok)
}

fn main() {}
