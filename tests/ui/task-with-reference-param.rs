// Task parameters arrive as JSON, so they are taken by value.
use workflow_core::prelude::*;

#[derive(Debug, TaskError)]
enum E {
    Bad,
}

#[task]
async fn shout(text: &str) -> Result<String, E> {
    Ok(text.to_uppercase())
}

fn main() {}
