//! [`Progress`]: progress reporting for long loops (data generation, training).
//!
//! On a terminal it is an `indicatif` bar (with the `cli` feature; without it, lines as below).
//! Elsewhere (notebooks, CI logs, pipes) it prints whole
//! lines to stderr: evcxr forwards stderr line by line, but a bar's `\r` redraws would only
//! appear once the loop ends. A line is printed at every further 10% of the total and at least
//! every `interval` (10 s by default) while work advances:
//!
//! ```text
//! train Lorenz:  40% 1280/3200 [12.1 s, 105.8/s, ETA 18.2 s] loss 1.2e-3
//! ```
//!
//! The ETA is `(total - done) / rate` with `rate = done / elapsed`. `Progress` is `Sync`:
//! `inc` may be called from rayon workers.
//!
//! ```
//! use hits::progress::Progress;
//! let p = Progress::hidden(100);
//! for _ in 0..100 {
//!     p.inc(1);
//! }
//! assert_eq!(p.position(), 100);
//! p.finish();
//! ```

#[cfg(feature = "cli")]
use std::io::IsTerminal;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

enum Output {
    #[cfg(feature = "cli")]
    Bar(indicatif::ProgressBar),
    Lines(Box<dyn Write + Send>),
    Hidden,
}

struct LineState {
    output: Output,
    /// Number of tenths of the total already reported.
    tenths: u64,
    last_print: Instant,
    message: String,
    finished: bool,
}

/// A progress reporter for a loop of `total` units of work (see the module docs).
pub struct Progress {
    label: String,
    total: u64,
    pos: AtomicU64,
    start: Instant,
    interval: Duration,
    state: Mutex<LineState>,
}

impl Progress {
    /// A bar when stderr is a terminal (and this build has the `cli` feature), whole lines on
    /// stderr otherwise.
    pub fn new(label: impl Into<String>, total: u64) -> Progress {
        #[cfg(feature = "cli")]
        if std::io::stderr().is_terminal() {
            return Progress::bar(label, total);
        }
        Progress::lines(label, total, Box::new(std::io::stderr()))
    }

    /// An `indicatif` bar on stderr.
    #[cfg(feature = "cli")]
    pub fn bar(label: impl Into<String>, total: u64) -> Progress {
        let label = label.into();
        let bar = indicatif::ProgressBar::new(total);
        let template =
            "{prefix} [{bar:30}] {pos}/{len} [{elapsed_precise}, {per_sec}, ETA {eta}] {msg}";
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(label.clone());
        Progress::with_output(label, total, Output::Bar(bar))
    }

    /// Whole lines written to `sink` (every 10% and every 10 s).
    pub fn lines(label: impl Into<String>, total: u64, sink: Box<dyn Write + Send>) -> Progress {
        Progress::with_output(label.into(), total, Output::Lines(sink))
    }

    /// Counts without printing anything.
    pub fn hidden(total: u64) -> Progress {
        Progress::with_output(String::new(), total, Output::Hidden)
    }

    fn with_output(label: String, total: u64, output: Output) -> Progress {
        let now = Instant::now();
        Progress {
            label,
            total,
            pos: AtomicU64::new(0),
            start: now,
            interval: Duration::from_secs(10),
            state: Mutex::new(LineState {
                output,
                tenths: 0,
                last_print: now,
                message: String::new(),
                finished: false,
            }),
        }
    }

    /// Print a line at least this often while work advances (line mode; default 10 s).
    pub fn with_interval(mut self, interval: Duration) -> Progress {
        self.interval = interval;
        self
    }

    /// Units done so far.
    pub fn position(&self) -> u64 {
        self.pos.load(Ordering::Relaxed)
    }
    /// Total units.
    pub fn total(&self) -> u64 {
        self.total
    }
    /// Time since creation.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Record `n` more units done.
    pub fn inc(&self, n: u64) {
        let pos = self.pos.fetch_add(n, Ordering::Relaxed) + n;
        self.update(pos, false);
    }

    /// Set the units done.
    pub fn set_position(&self, pos: u64) {
        self.pos.store(pos, Ordering::Relaxed);
        self.update(pos, false);
    }

    /// Text shown after the counters (e.g. the current loss); shown from the next update.
    pub fn set_message(&self, message: impl Into<String>) {
        let message = message.into();
        let mut st = self.lock();
        #[cfg(feature = "cli")]
        if let Output::Bar(bar) = &st.output {
            bar.set_message(message.clone());
        }
        st.message = message;
    }

    /// Report the end: the bar finishes, line mode prints a final `done` line. Idempotent.
    pub fn finish(&self) {
        let pos = self.position();
        self.update(pos, true);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LineState> {
        // A panic while holding the lock only interrupts a progress line: keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, pos: u64, finish: bool) {
        let mut st = self.lock();
        if st.finished {
            return;
        }
        let now = Instant::now();
        let tenths = (pos.min(self.total) * 10)
            .checked_div(self.total)
            .unwrap_or(10);
        let due = tenths > st.tenths || now.duration_since(st.last_print) >= self.interval;
        let line = match &st.output {
            Output::Lines(_) if finish => Some(self.done_line(pos)),
            Output::Lines(_) if due => Some(self.progress_line(pos, &st.message)),
            _ => None,
        };
        match &mut st.output {
            #[cfg(feature = "cli")]
            Output::Bar(bar) => {
                bar.set_position(pos);
                if finish {
                    bar.finish();
                }
            }
            Output::Lines(sink) => {
                if let Some(line) = line {
                    // Progress output is best effort: a closed stderr must not stop the work.
                    let _ = writeln!(sink, "{line}");
                    let _ = sink.flush();
                }
            }
            Output::Hidden => {}
        }
        if finish || due {
            st.tenths = tenths;
            st.last_print = now;
        }
        st.finished = finish;
    }

    fn progress_line(&self, pos: u64, message: &str) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { pos as f64 / secs } else { 0.0 };
        let pct = (pos.min(self.total) * 100)
            .checked_div(self.total)
            .unwrap_or(100);
        let eta = if rate > 0.0 {
            format_duration(self.total.saturating_sub(pos) as f64 / rate)
        } else {
            "?".into()
        };
        let mut line = format!(
            "{}: {pct:>3}% {pos}/{} [{}, {}/s, ETA {eta}]",
            self.label,
            self.total,
            format_duration(secs),
            format_rate(rate)
        );
        if !message.is_empty() {
            line.push(' ');
            line.push_str(message);
        }
        line
    }

    fn done_line(&self, pos: u64) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { pos as f64 / secs } else { 0.0 };
        format!(
            "{}: done {pos}/{} in {} ({}/s)",
            self.label,
            self.total,
            format_duration(secs),
            format_rate(rate)
        )
    }
}

/// `12.3 s`, `3m 05s`, `1h 02m`.
pub fn format_duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "?".into();
    }
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else if secs < 3600.0 {
        format!("{}m {:02}s", (secs / 60.0) as u64, (secs % 60.0) as u64)
    } else {
        format!(
            "{}h {:02}m",
            (secs / 3600.0) as u64,
            ((secs % 3600.0) / 60.0) as u64
        )
    }
}

fn format_rate(rate: f64) -> String {
    if rate >= 1e5 {
        format!("{rate:.2e}")
    } else if rate >= 100.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A sink whose contents the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_every_tenth_then_done() {
        let sink = Shared::default();
        let p = Progress::lines("gen Hopf", 200, Box::new(sink.clone()))
            .with_interval(Duration::from_secs(3600));
        p.set_message("noise 0.01");
        for _ in 0..200 {
            p.inc(1);
        }
        p.finish();
        p.finish();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 11, "{text}");
        assert!(
            lines[0].starts_with("gen Hopf:  10% 20/200 ["),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].ends_with("noise 0.01") && lines[0].contains("ETA"),
            "{}",
            lines[0]
        );
        assert!(
            lines[9].starts_with("gen Hopf: 100% 200/200"),
            "{}",
            lines[9]
        );
        assert!(
            lines[10].starts_with("gen Hopf: done 200/200 in "),
            "{}",
            lines[10]
        );
    }

    #[test]
    fn parallel_increments_are_all_counted() {
        let p = Progress::hidden(4000);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..1000).for_each(|_| p.inc(1)));
            }
        });
        assert_eq!(p.position(), 4000);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(12.34), "12.3 s");
        assert_eq!(format_duration(185.0), "3m 05s");
        assert_eq!(format_duration(3720.0), "1h 02m");
    }
}
