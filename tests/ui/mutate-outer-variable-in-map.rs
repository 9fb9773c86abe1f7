// A `map` iteration cannot assign a variable of the workflow around it.
use workflow_core::prelude::*;

#[workflow]
async fn totals(xs: Vec<u32>) -> Result<u32, WorkflowError> {
    let mut last = 0;
    let ys = map(xs, |x| async move {
        last = x;
        Ok(x)
    })
    .await?;
    Ok(last)
}

fn main() {}
