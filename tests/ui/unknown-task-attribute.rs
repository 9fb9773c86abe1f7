// `#[task]` takes `retry(..)`, `timeout` and `heartbeat` only.
use workflow_core::prelude::*;

#[derive(Debug, TaskError)]
enum E {
    Bad,
}

#[task(retries = 3)]
async fn double(n: u32) -> Result<u32, E> {
    Ok(n * 2)
}

fn main() {}
