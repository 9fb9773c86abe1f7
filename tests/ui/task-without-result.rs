// A task must return `Result<T, E>` so that its failures have names.
use workflow_core::prelude::*;

#[task]
async fn double(n: u32) -> u32 {
    n * 2
}

fn main() {}
