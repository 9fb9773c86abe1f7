// A workflow body reads `.0` only on tuples: a newtype serializes as its inner value.
use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meters(f64);

#[workflow]
async fn far(distance: Meters) -> Result<bool, WorkflowError> {
    let far = distance.0 > 1000.0;
    Ok(far)
}

fn main() {}
