// A task must be an `async fn`.
use workflow_core::prelude::*;

#[derive(Debug, TaskError)]
enum E {
    Bad,
}

#[task]
fn double(n: u32) -> Result<u32, E> {
    Ok(n * 2)
}

fn main() {}
