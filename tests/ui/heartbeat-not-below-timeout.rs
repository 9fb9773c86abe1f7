// A task's heartbeat must be shorter than its timeout.
use workflow_core::prelude::*;

#[derive(Debug, TaskError)]
enum E {
    Bad,
}

#[task(timeout = 10, heartbeat = 10)]
async fn slow(n: u32) -> Result<u32, E> {
    Ok(n)
}

fn main() {}
