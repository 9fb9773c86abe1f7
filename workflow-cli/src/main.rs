//! The `workflow` command; see `workflow --help`.

use std::process::ExitCode;

use clap::Parser;
use workflow_cli::{Cli, Exit, Io};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    let mut io = Io {
        stdout: &mut stdout,
        stderr: &mut stderr,
    };
    match workflow_cli::run(cli, &mut io) {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            Exit::Invalid.into()
        }
    }
}
