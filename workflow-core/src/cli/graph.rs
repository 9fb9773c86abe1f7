//! `workflow graph`: a state machine as a Mermaid or Graphviz diagram.

use std::path::PathBuf;

use crate::asl::graph::{to_dot, to_mermaid};
use anyhow::Context;

use super::source;
use super::{Exit, Io};

/// Print a state machine as a Mermaid or Graphviz (DOT) diagram
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Print a state machine as a Mermaid state diagram or a Graphviz (DOT) digraph. \
Parallel branches and Map processors are drawn nested in the state that runs them; Choice rules, \
defaults and catchers label their edges.\n\n\
The definition must be valid (see `workflow validate`).\n\n\
Examples:\n  \
workflow graph order.asl.json > order.mmd\n  \
workflow graph order.asl.json --format dot | dot -Tsvg > order.svg"
)]
pub struct Args {
    /// The definition file (Amazon States Language JSON)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The diagram language
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A Mermaid `stateDiagram-v2`
    Mermaid,
    /// A Graphviz `digraph`
    Dot,
}

pub(crate) fn graph(args: &Args, io: &mut Io<'_>) -> anyhow::Result<Exit> {
    let validated = source::definition(&args.file)?;
    let text = match args.format {
        Format::Mermaid => to_mermaid(&validated.machine),
        Format::Dot => to_dot(&validated.machine),
    };
    io.stdout
        .write_all(text.as_bytes())
        .context("cannot write the graph")?;
    Ok(Exit::Success)
}
