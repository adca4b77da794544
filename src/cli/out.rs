//! Output that never panics: `println!` aborts the program when stdout is a closed pipe
//! (`hits train | head`) or a full device, which would end a training run for a progress line.
//!
//! [`say!`](crate::say) writes a line to stdout, [`note!`](crate::note) to stderr; a failed write
//! is remembered and later writes to that stream are skipped, and the work goes on. Results are
//! in the files written, so losing the printout loses nothing.

use std::fmt::Arguments;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_LOST: AtomicBool = AtomicBool::new(false);
static STDERR_LOST: AtomicBool = AtomicBool::new(false);

/// Write one line to stdout; on failure stop writing there.
pub fn out_line(args: Arguments<'_>) {
    if STDOUT_LOST.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{args}").and_then(|()| out.flush()).is_err() {
        STDOUT_LOST.store(true, Ordering::Relaxed);
    }
}

/// Write one line to stderr; on failure stop writing there.
pub fn err_line(args: Arguments<'_>) {
    if STDERR_LOST.load(Ordering::Relaxed) {
        return;
    }
    let mut err = std::io::stderr().lock();
    if writeln!(err, "{args}").and_then(|()| err.flush()).is_err() {
        STDERR_LOST.store(true, Ordering::Relaxed);
    }
}

/// `println!` that never panics (see the module docs).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::out::out_line(format_args!($($arg)*)) };
}

/// `eprintln!` that never panics (see the module docs).
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => { $crate::cli::out::err_line(format_args!($($arg)*)) };
}
