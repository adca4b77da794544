//! `hits reproduce table1`: Table 1 and Figure 7, sequence generation by HiTS, LSTM, ESN and
//! CW-RNN on KS, Bach, Fluid and Flower.
//!
//! For each data set of `--data` (default all four; `--epochs` caps every model's epochs,
//! `--baseline-epochs` the LSTM's and CW-RNN's alone, `--hidden` sets one HiTS width per step
//! size): makes `<data-dir>/<Name>/` with the same
//! library calls as `hits data <name>` when it is missing (quick mode: `<data-dir>/quick/<Name>/`),
//! trains and scores the four models ([`hits::experiments::table1::run_table1`]), and writes
//! `<out>/table1/<Name>/` (table, figure, generated sequences, per-model results). Finally
//! `<out>/table1/TABLE1.md` and `TABLE1.csv` hold every row beside the paper's (of this run and
//! of earlier runs stored there); quick mode writes all of it under `<out>/quick/` and
//! `<models>/quick/` instead ([`hits::experiments::table1::run_dirs`]). Models stored
//! under `<out>/table1/<Name>/` with the same settings are reused, so an interrupted run resumes;
//! HiTS steppers resume mid-training from `<models>/table1/<Name>/hits/`, the LSTM and CW-RNN
//! from `<models>/table1/<Name>/<lstm|cwrnn>.state.safetensors` (saved at every look at the
//! loss and at least every 5 minutes).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use hits::experiments::table1::make::{make_data, Source};
use hits::experiments::table1::report::{csv_table, markdown_table, Table1Result};
use hits::experiments::table1::{self, SeqData, Table1Config};
use hits::experiments::table1::{load_data, run_table1, SeqSet};

use super::ReproduceArgs;

pub(super) fn run(args: &ReproduceArgs, quick: bool) -> anyhow::Result<()> {
    let start = Instant::now();
    let sets: Vec<SeqData> = if args.data.is_empty() {
        SeqData::ALL.to_vec()
    } else {
        args.data
            .iter()
            .map(|s| SeqData::parse(s))
            .collect::<hits::Result<_>>()?
    };
    let dev = args.device()?;
    let mut results: Vec<Table1Result> = Vec::new();
    for d in sets {
        let t0 = Instant::now();
        let cfg = config(args, d, quick)?;
        let data = ensure_sequence(args, d, &cfg, quick)?;
        let (out, models) = folders(args, d, quick);
        let result = run_table1(&data, &cfg, &dev, Some(&models), Some(&out), &mut |line| {
            eprintln!("{d}: {line}")
        })?;
        for p in result.save(&out, &data.truth())? {
            println!("wrote {}", p.display());
        }
        println!("{}", markdown_table(std::slice::from_ref(&result)));
        println!("{d}: {:.1} s", t0.elapsed().as_secs_f64());
        results.push(result);
    }
    write_stored_summary(args, quick, &results)?;
    println!("total {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// `TABLE1.md` / `.csv` of every data set with a stored result: `results` of this run, else
/// `result.json` of an earlier one under [`folders`] (or of a sweep's tasks).
pub(crate) fn write_stored_summary(
    args: &ReproduceArgs,
    quick: bool,
    results: &[Table1Result],
) -> anyhow::Result<()> {
    let mut all = Vec::new();
    for d in SeqData::ALL {
        if let Some(r) = results.iter().find(|r| r.data == d) {
            all.push(r.clone());
            continue;
        }
        let path = folders(args, d, quick).0.join("result.json");
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            all.push(
                serde_json::from_str(&text)
                    .with_context(|| format!("parsing {}", path.display()))?,
            );
        }
    }
    write_summary(&args.out, &all, quick)
}

/// The settings of data set `d` under `args` (quick mode, `--epochs`, `--baseline-epochs`,
/// `--hidden`), checked.
pub(crate) fn config(
    args: &ReproduceArgs,
    d: SeqData,
    quick: bool,
) -> anyhow::Result<Table1Config> {
    let mut cfg = Table1Config::select(d, quick);
    if let Some(e) = args.epochs {
        cfg = cfg.with_epochs(e);
    }
    if let Some(e) = args.baseline_epochs {
        cfg = cfg.with_baseline_epochs(e);
    }
    if !args.hidden.is_empty() {
        cfg.hits.widths = args.hidden.clone();
    }
    cfg.hits.validate().with_context(|| {
        format!(
            "{d}: --hidden needs one width per step {:?}",
            cfg.hits.steps
        )
    })?;
    Ok(cfg)
}

/// The data set `d`, made first (as `hits data <name>`) when `<data-dir>/<Name>/` (quick:
/// `<data-dir>/quick/<Name>/`) has none.
pub(crate) fn ensure_sequence(
    args: &ReproduceArgs,
    d: SeqData,
    cfg: &Table1Config,
    quick: bool,
) -> anyhow::Result<SeqSet> {
    let dir = table1::data_dir(&args.data_dir, d, quick);
    if !dir.join("data.npy").exists() {
        eprintln!(
            "{d}: no {}, making it (as `hits data {}`)",
            dir.display(),
            d.name().to_lowercase()
        );
        make_data(d, &args.data_dir, quick, &Source::default(), &mut |line| {
            crate::say!("{line}")
        })
        .with_context(|| format!("making the {d} data"))?;
    }
    let data = load_data(&dir, cfg).with_context(|| format!("loading {}", dir.display()))?;
    eprintln!(
        "{d}{}: {} frames x {} features{}",
        if quick { " (quick)" } else { "" },
        data.n_frames(),
        data.dim(),
        if data.meta.synthetic {
            " (made here)"
        } else {
            ""
        }
    );
    Ok(data)
}

/// Where data set `d`'s results and models go ([`table1::run_dirs`]).
pub(crate) fn folders(args: &ReproduceArgs, d: SeqData, quick: bool) -> (PathBuf, PathBuf) {
    table1::run_dirs(&args.out, &args.models, d, quick)
}

/// Write `TABLE1.md` and `.csv` ([`table1::summary_stem`]) from `results`.
pub(crate) fn write_summary(
    out: &Path,
    results: &[Table1Result],
    quick: bool,
) -> anyhow::Result<()> {
    let stem = table1::summary_stem(out, quick);
    let (md, csv) = (stem.with_extension("md"), stem.with_extension("csv"));
    if let Some(dir) = stem.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text =
        format!(
        "# Table 1: sequence generation{}\n\nMSE over every frame and feature of the normalised \
         sequence generated from its first frame; the paper's values beside ours.\n\n{}",
        if quick { " (quick settings: NOT the paper's sizes)" } else { "" },
        markdown_table(results)
    );
    hits::io::write_bytes_atomic(&md, text.as_bytes())?;
    hits::io::write_bytes_atomic(&csv, csv_table(results).as_bytes())?;
    println!("wrote {}\n{}", md.display(), markdown_table(results));
    Ok(())
}
