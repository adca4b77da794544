//! Model selection for the multiscale coupling (cross-validation on the validation set).
//!
//! With the steppers sorted by step size ascending, `models[a..b]` is a candidate coupling. The
//! original loop, reproduced exactly:
//!
//! 1. best = 1e5, end = n; for i in 0..n: if MSE(models[0..n-i]) <= best, then end = n - i and
//!    best = that MSE (drop the largest steppers while not worse);
//! 2. start = 0; for i in 0..end: if MSE(models[i..end]) <= best, then start = i and best = it
//!    (then drop the smallest likewise);
//! 3. keep models[start..end].
//!
//! `<=` means a tie keeps the smaller set. Each range is evaluated once (the forecast is
//! deterministic; the first candidate of step 2 repeats the winner of step 1).
//!
//! **Diverged candidates are dropped.** A candidate whose validation forecast leaves the finite
//! range ([`Score::is_diverged`]) never wins a comparison, and is listed by
//! [`Selection::dropped`] with the step where it diverged. Where the loop keeps no range at
//! all (no candidate at or below the starting bound 1e5) the original falls back to all
//! steppers; here that fallback is taken only when its score is a number, else the finite
//! candidate of the lowest MSE is kept (the first visited on a tie); when every candidate
//! diverged, the selection is an error naming each of them and where it diverged. Where
//! nothing diverges, the loop and its result are the original's, bit for bit.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::forecast::{select_range, Score};
//! // Constructed errors: dropping the 2 largest of 5 helps, then dropping the smallest helps.
//! let err = |r: std::ops::Range<usize>| {
//!     Ok(Score::value(((r.end as f64) - 3.0).abs() + if r.start == 1 { 0.0 } else { 0.5 }))
//! };
//! let sel = select_range(5, err)?;
//! assert_eq!(sel.range, 1..3);
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::ops::Range;

use ndarray::{ArrayView3, Axis};

use super::metrics::{mse_per_step, Score};
use super::multiscale::multiscale_forecast;
use super::stepper::Stepper;
use crate::{Error, Result};

/// One candidate range of steppers and its validation score.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Indices into the steppers sorted by step size ascending.
    pub range: Range<usize>,
    /// Validation MSE of the multiscale forecast with these steppers (`inf` or `NaN` when
    /// diverged: see [`Candidate::score`]).
    pub mse: f64,
    /// The validation step at which its forecast diverged, when it did and the step is known.
    pub diverged_at: Option<usize>,
}

impl Candidate {
    /// Its validation score.
    pub fn score(&self) -> Score {
        Score {
            mse: self.mse,
            diverged_at: self.diverged_at,
        }
    }
}

/// The outcome of [`select_models`].
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// The chosen steppers: indices into the step-size-ascending list.
    pub range: Range<usize>,
    /// Its validation MSE (always a finite number).
    pub mse: f64,
    /// Every candidate in the order the loop visits them (diverged ones included).
    pub candidates: Vec<Candidate>,
}

impl Selection {
    /// The candidates dropped because their validation forecast diverged, each range once, in
    /// the order first visited.
    pub fn dropped(&self) -> Vec<&Candidate> {
        diverged(&self.candidates)
    }
}

/// The diverged candidates of `candidates`, each range once, in the order first visited.
fn diverged(candidates: &[Candidate]) -> Vec<&Candidate> {
    let mut out: Vec<&Candidate> = Vec::new();
    for c in candidates {
        if c.score().is_diverged() && !out.iter().any(|d| d.range == c.range) {
            out.push(c);
        }
    }
    out
}

/// Run the original selection loop over `n_models` steppers with `eval(range)` giving the
/// validation score of the coupling of `models[range]`; diverged candidates are dropped (see
/// the module docs). An error when every candidate diverged.
pub fn select_range(
    n_models: usize,
    eval: impl FnMut(Range<usize>) -> Result<Score>,
) -> Result<Selection> {
    select_named(n_models, eval, |r| format!("steppers {r:?}"))
}

/// [`select_range`], with `name(range)` naming a candidate in the error.
fn select_named(
    n_models: usize,
    mut eval: impl FnMut(Range<usize>) -> Result<Score>,
    name: impl Fn(&Range<usize>) -> String,
) -> Result<Selection> {
    if n_models == 0 {
        return Err(Error::invalid(
            "steppers",
            "need at least one stepper to select from",
        ));
    }
    let mut cache: HashMap<(usize, usize), Score> = HashMap::new();
    let mut candidates = Vec::new();
    let mut score = |range: Range<usize>, candidates: &mut Vec<Candidate>| -> Result<Score> {
        let key = (range.start, range.end);
        let value = match cache.get(&key) {
            Some(&v) => v,
            None => {
                let v = eval(range.clone())?;
                cache.insert(key, v);
                v
            }
        };
        candidates.push(Candidate {
            range,
            mse: value.mse,
            diverged_at: value.diverged_at,
        });
        Ok(value)
    };
    // a diverged candidate never wins (NaN and inf never compare at or below a finite best)
    let wins = |v: Score, best: f64| v.finite().is_some_and(|m| m <= best);
    let mut best = 1e5;
    let mut end = n_models;
    let mut won = false;
    for i in 0..n_models {
        let value = score(0..n_models - i, &mut candidates)?;
        if wins(value, best) {
            end = n_models - i;
            best = value.mse;
            won = true;
        }
    }
    let mut start = 0;
    for i in 0..end {
        let value = score(i..end, &mut candidates)?;
        if wins(value, best) {
            start = i;
            best = value.mse;
            won = true;
        }
    }
    if !won {
        // nothing at or below the bound: the original keeps all steppers, if they score a
        // number; else the best finite candidate
        let all = candidates
            .iter()
            .find(|c| c.range == (0..n_models))
            .and_then(|c| c.score().finite());
        let fallback = match all {
            Some(v) => Some((0..n_models, v)),
            None => candidates
                .iter()
                .filter_map(|c| c.score().finite().map(|v| (c.range.clone(), v)))
                .fold(None, |acc: Option<(Range<usize>, f64)>, (r, v)| match acc {
                    Some((_, b)) if b <= v => acc,
                    _ => Some((r, v)),
                }),
        };
        let Some((range, v)) = fallback else {
            let list: Vec<String> = diverged(&candidates)
                .iter()
                .map(|c| {
                    format!(
                        "{} {}",
                        name(&c.range),
                        c.score().describe(|_| String::new())
                    )
                })
                .collect();
            return Err(Error::invalid(
                "model selection",
                format!(
                    "every candidate coupling diverged on the validation set ({}): nothing finite is left to couple",
                    list.join("; ")
                ),
            ));
        };
        start = range.start;
        end = range.end;
        best = v;
    }
    Ok(Selection {
        range: start..end,
        mse: best,
        candidates,
    })
}

/// Select the steppers (sorted by step size ascending) on a validation set `val`
/// (`[n_traj, n_steps + 1, dim]`, x0 = `val[:, 0]`): each candidate is the multiscale forecast of
/// `val[:, 1..]` from `val[:, 0]`, scored by its MSE ([`Score::of`] its per-step MSEs).
/// Diverged candidates are dropped; when every candidate diverged, an error names their step
/// sizes and where each diverged.
pub fn select_models(steppers: &[&dyn Stepper], val: ArrayView3<f64>) -> Result<Selection> {
    if steppers
        .windows(2)
        .any(|w| w[0].step_size() >= w[1].step_size())
    {
        let sizes: Vec<usize> = steppers.iter().map(|s| s.step_size()).collect();
        return Err(Error::invalid(
            "steppers",
            format!("must be sorted by step size ascending, got {sizes:?}"),
        ));
    }
    let (_, n_points, _) = val.dim();
    if n_points < 2 {
        return Err(Error::shape(
            "validation set",
            "[n_traj, n_steps + 1 >= 2, dim]",
            format!("{:?}", val.shape()),
        ));
    }
    let x0 = val.index_axis(Axis(1), 0);
    let truth = val.slice(ndarray::s![.., 1.., ..]);
    let sizes: Vec<usize> = steppers.iter().map(|s| s.step_size()).collect();
    select_named(
        steppers.len(),
        |range| {
            let pred = multiscale_forecast(&steppers[range], x0, n_points - 1)?;
            Ok(Score::of(&mse_per_step(pred.view(), truth)?))
        },
        |r| format!("steps {:?} dt", &sizes[r.clone()]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_original_loop() -> Result<()> {
        // MSE by range for 4 models: the loop visits 0..4, 0..3, 0..2, 0..1, then i..end.
        let table = |r: Range<usize>| -> f64 {
            match (r.start, r.end) {
                (0, 4) => 1.0,
                (0, 3) => 0.5,
                (0, 2) => 0.5, // a tie keeps the smaller set
                (0, 1) => 0.7,
                (1, 2) => 0.4,
                _ => f64::NAN,
            }
        };
        let mut calls = 0;
        let sel = select_range(4, |r| {
            calls += 1;
            Ok(Score::value(table(r)))
        })?;
        assert_eq!(sel.range, 1..2);
        assert_eq!(sel.mse, 0.4);
        let visited: Vec<Range<usize>> = sel.candidates.iter().map(|c| c.range.clone()).collect();
        assert_eq!(visited, vec![0..4, 0..3, 0..2, 0..1, 0..2, 1..2]);
        assert_eq!(calls, 5, "0..2 is evaluated once");
        Ok(())
    }

    #[test]
    fn diverged_candidates_are_dropped_with_their_step() -> Result<()> {
        // 0..3 and 0..2 diverge; 0..1 is the only finite coupling of the first pass.
        let sel = select_range(3, |r| {
            Ok(match (r.start, r.end) {
                (0, 3) => Score {
                    mse: f64::NAN,
                    diverged_at: Some(7),
                },
                (0, 2) => Score {
                    mse: f64::INFINITY,
                    diverged_at: Some(9),
                },
                _ => Score::value(0.25),
            })
        })?;
        assert_eq!((sel.range.clone(), sel.mse), (0..1, 0.25));
        let dropped: Vec<_> = sel
            .dropped()
            .iter()
            .map(|c| (c.range.clone(), c.diverged_at))
            .collect();
        assert_eq!(dropped, vec![(0..3, Some(7)), (0..2, Some(9))]);
        Ok(())
    }

    #[test]
    fn the_fallback_to_all_steppers_is_never_a_diverged_one() -> Result<()> {
        // Every score above the bound 1e5: the original keeps all (0..2), which diverged here;
        // the lowest finite candidate is kept instead.
        let sel = select_range(2, |r| {
            Ok(match (r.start, r.end) {
                (0, 2) => Score::value(f64::INFINITY),
                (0, 1) => Score::value(3e5),
                _ => Score::value(2e5),
            })
        })?;
        assert_eq!((sel.range, sel.mse), (1..2, 2e5));
        // all finite above the bound: all steppers, with their own MSE (not the bound)
        let sel = select_range(2, |r| Ok(Score::value(1e6 + r.len() as f64)))?;
        assert_eq!((sel.range, sel.mse), (0..2, 1e6 + 2.0));
        Ok(())
    }

    #[test]
    fn nothing_finite_is_an_error_naming_every_candidate() {
        let e = select_range(2, |r| {
            Ok(Score {
                mse: f64::NAN,
                diverged_at: Some(10 * r.end + r.start),
            })
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("every candidate coupling diverged"), "{e}");
        for part in [
            "steppers 0..2 diverged at step 20",
            "steppers 0..1 diverged at step 10",
            "steppers 1..2 diverged at step 21",
        ] {
            assert!(e.contains(part), "{part}: {e}");
        }
    }
}
