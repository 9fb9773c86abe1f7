//! A parent workflow that runs a child workflow (`states:startExecution.sync:2`) and waits for
//! its output.
//!
//! ```text
//! cargo run -p workflow-examples --example parent_child
//! ```

use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Purchase {
    pub id: String,
    pub address: String,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Shipment {
    pub purchase: String,
    pub address: String,
    pub parcels: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Fulfilment {
    pub purchase: String,
    pub tracking: String,
}

#[derive(Debug, Serialize, Deserialize, TaskError)]
pub enum CourierError {
    NoAddress,
}

#[task]
pub async fn print_label(shipment: Shipment) -> Result<String, CourierError> {
    if shipment.address.is_empty() {
        return Err(CourierError::NoAddress);
    }
    Ok(format!("LBL-{}-{}", shipment.purchase, shipment.parcels))
}

#[task]
pub async fn book_courier(label: String) -> Result<String, CourierError> {
    Ok(format!("TRK-{label}"))
}

/// The child: label and courier for one shipment.
#[workflow(name = "ShipParcels")]
pub async fn ship_parcels(shipment: Shipment) -> Result<String, WorkflowError> {
    let label = print_label(shipment).await?;
    let tracking = book_courier(label).await?;
    Ok(tracking)
}

/// The parent: runs the child and waits for it.
#[workflow(name = "FulfilPurchase")]
pub async fn fulfil_purchase(purchase: Purchase) -> Result<Fulfilment, WorkflowError> {
    let tracking = child_workflow(ship_parcels(Shipment {
        purchase: purchase.id.clone(),
        address: purchase.address.clone(),
        parcels: purchase.items.len(),
    }))
    .await?;
    Ok(Fulfilment {
        purchase: purchase.id,
        tracking,
    })
}

fn main() -> ExitCode {
    if std::env::args().len() > 1 {
        return workflow_core::cli::main([fulfil_purchase::workflow(), ship_parcels::workflow()]);
    }
    let asl = concat!(env!("CARGO_MANIFEST_DIR"), "/asl/parent_child.asl.json");
    if let Err(err) = std::fs::write(
        asl,
        workflow_core::cli::pretty(&fulfil_purchase::workflow()),
    ) {
        eprintln!("parent_child: cannot write {asl}: {err}");
    }
    let purchase = Purchase {
        id: "p-1".into(),
        address: "1 Main St".into(),
        items: vec!["book".into(), "lamp".into()],
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    runtime.block_on(async {
        let engine = Engine::default();
        match fulfil_purchase::start(&engine, purchase) {
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
                eprintln!("parent_child: {err}");
                ExitCode::from(2)
            }
        }
    })
}
