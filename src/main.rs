//! The namedcred binary: parses the flags, runs the command, and maps the
//! outcome to the exit codes documented in the README.

use std::process::ExitCode;

use clap::Parser;
use namedcred::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    namedcred::logging::init(cli.verbose);
    match namedcred::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            namedcred::report(&error);
            ExitCode::from(namedcred::error::exit_code(&error))
        }
    }
}
