//! The `hits` command-line program: runs every experiment headless.
//!
//! Each subcommand is one library call; see `hits --help`.
//!
//! Errors print as `Error: ...` with their causes and exit 1. Commands write through
//! [`say!`]/[`note!`], which never panic; should any other write to a closed or full stdout
//! panic (`println!` does), the program stops with a message instead of a panic report:
//! everything it wrote is complete, since every file goes through an atomic rename.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// Whether a panic payload is Rust's "failed printing to stdout/stderr".
fn is_output_failure(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    text.starts_with("failed printing to std")
}

fn main() -> ExitCode {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_output_failure(info.payload()) {
            default_hook(info);
        }
    }));
    let args = cli::Cli::parse();
    match std::panic::catch_unwind(|| cli::run(args)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            note!("Error: {e:?}");
            ExitCode::FAILURE
        }
        Err(payload) if is_output_failure(&*payload) => {
            note!(
                "hits: stopped because standard output was closed or full; every file written \
                 so far is complete (interrupted training resumes with --resume)"
            );
            ExitCode::FAILURE
        }
        Err(payload) => std::panic::resume_unwind(payload),
    }
}
