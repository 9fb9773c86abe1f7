// `#[task(..)]` on a statement overrides the settings of the task it calls; it needs a task call.
use workflow_core::prelude::*;

#[workflow]
async fn plain(n: u32) -> Result<u32, WorkflowError> {
    #[task(timeout = 5)]
    let m = n + 1;
    Ok(m)
}

fn main() {}
