//! An image batch: make a thumbnail of every image, four at a time. A corrupt image does not
//! fail the batch: its iteration catches the error and records `None` (a tolerated failure).
//!
//! ```text
//! cargo run -p workflow-examples --example image_batch
//! ```

use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Batch {
    pub id: String,
    pub images: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Summary {
    pub batch: String,
    pub thumbnails: Vec<Option<String>>,
    pub failed: usize,
}

#[derive(Debug, Serialize, Deserialize, TaskError)]
pub enum ImageError {
    Corrupt { image: String },
}

#[task(retry(on = ["States.Timeout"], max_attempts = 2), timeout = 60)]
pub async fn thumbnail(image: String) -> Result<String, ImageError> {
    if image.contains("corrupt") {
        return Err(ImageError::Corrupt { image });
    }
    Ok(format!("thumbs/{image}"))
}

#[workflow(name = "ThumbnailBatch")]
pub async fn thumbnail_batch(batch: Batch) -> Result<Summary, WorkflowError> {
    let thumbnails = map(batch.images.clone(), |image| async move {
        let thumb = match thumbnail(image).await {
            Ok(thumb) => Some(thumb),
            Err(ImageError::Corrupt { .. }) => None,
        };
        Ok(thumb)
    })
    .max_concurrency(4)
    .await?;
    let failed = thumbnails.iter().filter(|t| t.is_none()).count();
    Ok(Summary {
        batch: batch.id,
        thumbnails,
        failed,
    })
}

fn main() -> ExitCode {
    if std::env::args().len() > 1 {
        return workflow_core::cli::main([thumbnail_batch::workflow()]);
    }
    let asl = concat!(env!("CARGO_MANIFEST_DIR"), "/asl/image_batch.asl.json");
    if let Err(err) = std::fs::write(
        asl,
        workflow_core::cli::pretty(&thumbnail_batch::workflow()),
    ) {
        eprintln!("image_batch: cannot write {asl}: {err}");
    }
    let batch = Batch {
        id: "b-1".into(),
        images: vec!["a.png".into(), "corrupt.png".into(), "c.png".into()],
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    runtime.block_on(async {
        let engine = Engine::default();
        match thumbnail_batch::start(&engine, batch) {
            Ok(execution) => {
                let result = execution.result().await;
                println!("{result:?}");
                if result.is_ok() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(err) => {
                eprintln!("image_batch: {err}");
                ExitCode::from(2)
            }
        }
    })
}
