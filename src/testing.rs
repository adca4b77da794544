//! Support for the project's own tests: a skip that is never silent.
//!
//! A test that cannot run here (the authors' checkpoints in `../shared/data` missing, a CPU
//! without AVX-512, a `cuda` build) returns early through [`skip`]. cargo hides what a passing
//! test prints, so the reason is also appended to the file named by `HITS_SKIP_LOG` when that is
//! set: `./test.sh` sets it and prints every skipped test, with its reason, after the
//! `cargo-test` phase, whose line then says how many were skipped.

use std::io::Write;

/// Say loudly that the calling test is skipped, and why (see the module docs). The test still
/// has to `return` itself.
pub fn skip(test: &str, reason: &str) {
    let line = format!("SKIPPED {test}: {reason}");
    eprintln!("{line}");
    if let Some(path) = std::env::var_os("HITS_SKIP_LOG") {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = appended {
            eprintln!(
                "could not record the skip in {}: {e}",
                std::path::Path::new(&path).display()
            );
        }
    }
}
