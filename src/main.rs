//! The namedcred binary: parses the flags, runs the command, and maps the
//! outcome to the exit codes documented in the README.

use std::process::ExitCode;

use clap::Parser;
use namedcred::cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout and exit 0, as clap prints them.
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => {
            namedcred::report_usage(&error);
            return ExitCode::from(namedcred::error::Kind::Usage.exit_code());
        }
    };
    namedcred::logging::init(cli.verbose);
    match namedcred::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            namedcred::report(&error);
            ExitCode::from(namedcred::error::exit_code(&error))
        }
    }
}
