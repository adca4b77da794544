//! `results/REPORT.md`: every ODE table of the paper (ours beside the paper's) and links to
//! every figure, assembled from what the experiments wrote under a results root.
//!
//! The report reads only files: the JSON summaries of [`super::multiscale_hits`],
//! [`super::hybrid`] and [`super::noisy`] for the summary table, and the markdown tables and
//! PNG figures each experiment saved for the sections. What has not been run shows as "not run",
//! so a partial run gives a partial, honest report.

use std::path::{Path, PathBuf};

use super::{hybrid, multiscale_hits, noisy};
use crate::io::write_bytes_atomic;
use crate::{Error, Result};

/// The experiment folders of an ODE run, in the order of the report (and of `all-ode`).
pub const ODE_SECTIONS: [(&str, &str); 6] = [
    ("data_generation", "Data sets (Section 3)"),
    ("model_training", "Training the steppers"),
    (
        "multiscale_hits",
        "Figure 5 and Table 5: single scales vs multiscale HiTS",
    ),
    (
        "hybrid",
        "Figure 6B, Figure 9, Table 9: RK4 vs hybrid NN + RK4",
    ),
    (
        "noisy",
        "Figure 6A, Figure 8, Tables 6-8: noisy measurements",
    ),
    ("increment", "Figure 10: the increment x(t + Delta) - x(t)"),
];

fn sci(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2e}"))
}

/// The summary table: per system (by folder name: `Hyperbolic`, ... or a problem of one's own),
/// the multiscale MSE (noise 0, 1%, 2%) and the hybrid and RK4 at h = dt, ours beside the
/// paper's, and how the steppers were obtained.
pub fn summary_table<S: AsRef<str>>(root: &Path, systems: &[S]) -> String {
    let noisy = noisy::load_summary(&root.join("noisy")).ok();
    let mut s = String::from(
        "| system | multiscale MSE | paper | selected steps (dt) | best single (dt): MSE | hybrid h=dt | paper | RK4 h=dt | paper | 1% noise | paper | 2% noise | paper | steppers |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for sys in systems {
        let sys = sys.as_ref();
        let ms = multiscale_hits::load_summary(&root.join("multiscale_hits").join(sys)).ok();
        let hy = hybrid::load_summary(&root.join("hybrid").join(sys)).ok();
        let at_dt = |h: &hybrid::HybridSummary| h.h.iter().position(|&v| v == 1.0);
        let (hyb, rk4) = hy
            .as_ref()
            .and_then(|h| at_dt(h).map(|i| (h.hybrid_mse[i], h.rk4_mse[i])))
            .unwrap_or((None, None));
        let noise = |n: f64| {
            noisy
                .as_ref()
                .and_then(|ns| ns.entry(sys, n))
                .map_or(("not run".to_string(), "-".to_string()), |e| {
                    (format!("{:.2e}", e.multiscale_mse), sci(e.paper_mse))
                })
        };
        let ((n1, p1), (n2, p2)) = (noise(0.01), noise(0.02));
        let (ms_mse, ms_paper, selected, best, prov) = match &ms {
            Some(m) => {
                let best = m
                    .steps
                    .iter()
                    .position(|&k| k == m.best_step)
                    .and_then(|i| m.single_mse[i]);
                let p = &m.provenance;
                let prov = if p.pretrained || p.source == "imported" {
                    "authors' models, imported".to_string()
                } else {
                    let most = p.epochs.iter().copied().max().unwrap_or(0);
                    format!("{} (up to {most} of {} epochs)", p.source, p.epochs_cap)
                };
                (
                    sci(m.multiscale_mse),
                    sci(m.paper_multiscale_mse),
                    format!("{:?}", m.selected_steps),
                    format!("{}: {}", m.best_step, sci(best)),
                    prov,
                )
            }
            None => (
                "not run".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ),
        };
        let paper_h = hy
            .as_ref()
            .map_or((None, None), |h| (h.paper_hybrid_mse, h.paper_rk4_mse));
        s += &format!(
            "| {} | {ms_mse} | {ms_paper} | {selected} | {best} | {} | {} | {} | {} | {n1} | {p1} | {n2} | {p2} | {prov} |\n",
            sys,
            if hy.is_some() { sci(hyb) } else { "not run".into() },
            sci(paper_h.0),
            if hy.is_some() { sci(rk4) } else { "not run".into() },
            sci(paper_h.1),
        );
    }
    s
}

/// Every file under `dir` (recursively, none when `dir` is missing), sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A markdown file's text with its headings pushed `levels` deeper, so it nests in the report.
fn nested(text: &str, levels: usize) -> String {
    let extra = "#".repeat(levels);
    text.lines()
        .map(|l| {
            if l.starts_with('#') {
                format!("{extra}{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The report's text for the results under `root` (see the module docs).
pub fn report_markdown<S: AsRef<str>>(root: &Path, systems: &[S], title_note: &str) -> String {
    let mut s = format!(
        "# Multiscale HiTS: the ODE experiments{title_note}\n\n\
         Every number below was computed by `hits` from the files in this folder; the paper's values \
         (recovered from the authors' notebooks, `PAPER.md`) stand beside ours. MSE is over the whole \
         test tensor.\n\n## Summary\n\n{}\n",
        summary_table(root, systems)
    );
    for (dir, title) in ODE_SECTIONS {
        s += &format!("\n## {title}\n\n");
        let files: Vec<PathBuf> = files_under(&root.join(dir))
            .into_iter()
            .filter_map(|f| f.strip_prefix(root).ok().map(Path::to_path_buf))
            .collect();
        if files.is_empty() {
            s += &format!("Not run (no `{dir}/` folder).\n");
            continue;
        }
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "md"))
        {
            if let Ok(text) = std::fs::read_to_string(root.join(f)) {
                s += &format!("From `{}`:\n\n{}\n\n", f.display(), nested(&text, 2));
            }
        }
        let figures: Vec<&PathBuf> = files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "png" || e == "gif"))
            .collect();
        if !figures.is_empty() {
            s += "Figures:\n\n";
            for f in figures {
                s += &format!("- [{}]({})\n", f.display(), f.display());
            }
        }
    }
    s
}

/// Write `<root>/REPORT.md` (atomically) and return its path.
pub fn write_report<S: AsRef<str>>(
    root: &Path,
    systems: &[S],
    title_note: &str,
) -> Result<PathBuf> {
    std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    let path = root.join("REPORT.md");
    write_bytes_atomic(&path, report_markdown(root, systems, title_note).as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_results_folder_reports_every_section_as_not_run() {
        let root = std::env::temp_dir().join(format!("hits_report_empty_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let text = report_markdown(&root, &["Hyperbolic"], "");
        assert_eq!(text.matches("Not run (no").count(), ODE_SECTIONS.len());
        assert!(text.contains("| Hyperbolic | not run |"), "{text}");
    }

    #[test]
    fn nested_headings_go_deeper() {
        assert_eq!(nested("# A\ntext\n## B", 2), "### A\ntext\n#### B");
    }
}
