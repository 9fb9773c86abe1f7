//! Parallel fan-out and fan-in with `join!`: quote a flight and a hotel at the same time, then
//! add the prices.
//!
//! ```text
//! cargo run -p workflow-examples --example fan_out
//! ```

use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use workflow_core::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Trip {
    pub id: String,
    pub city: String,
    pub nights: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Offer {
    pub vendor: String,
    pub price: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct TripQuote {
    pub trip: String,
    pub flight: Offer,
    pub hotel: Offer,
    pub total: f64,
}

#[derive(Debug, Serialize, Deserialize, TaskError)]
pub enum QuoteError {
    NoOffer,
}

#[task(timeout = 20)]
pub async fn quote_flight(trip: Trip) -> Result<Offer, QuoteError> {
    Ok(Offer {
        vendor: format!("air-{}", trip.city),
        price: 180.0,
    })
}

#[task(timeout = 20)]
pub async fn quote_hotel(trip: Trip) -> Result<Offer, QuoteError> {
    if trip.nights == 0 {
        return Err(QuoteError::NoOffer);
    }
    Ok(Offer {
        vendor: format!("inn-{}", trip.city),
        price: 95.5 * trip.nights as f64,
    })
}

#[workflow(name = "QuoteTrip")]
pub async fn quote_trip(trip: Trip) -> Result<TripQuote, WorkflowError> {
    let (flight, hotel) = join!(
        async {
            let flight = quote_flight(trip.clone()).await?;
            Ok(flight)
        },
        async {
            let hotel = quote_hotel(trip.clone()).await?;
            Ok(hotel)
        },
    )?;
    let total = flight.price + hotel.price;
    Ok(TripQuote {
        trip: trip.id,
        flight,
        hotel,
        total,
    })
}

fn main() -> ExitCode {
    if std::env::args().len() > 1 {
        return workflow_core::cli::main([quote_trip::workflow()]);
    }
    let asl = concat!(env!("CARGO_MANIFEST_DIR"), "/asl/fan_out.asl.json");
    if let Err(err) = std::fs::write(asl, workflow_core::cli::pretty(&quote_trip::workflow())) {
        eprintln!("fan_out: cannot write {asl}: {err}");
    }
    let trip = Trip {
        id: "t-1".into(),
        city: "lisbon".into(),
        nights: 2,
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    runtime.block_on(async {
        let engine = Engine::default();
        match quote_trip::start(&engine, trip) {
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
                eprintln!("fan_out: {err}");
                ExitCode::from(2)
            }
        }
    })
}
