//! [`OdeProblem::check`]: the parts of a problem (dimension, vector field, initial conditions,
//! architecture, dt, sizes, step sizes, view, training settings) agree, or an error names the
//! part that does not.

use super::{DataSource, Integration, OdeProblem};
use crate::systems::System;
use crate::{Error, Result};

impl OdeProblem {
    /// Check that the parts agree (dimensions, sizes, step sizes, folder name), with an error
    /// that names the part.
    pub fn check(&self) -> Result<()> {
        let d = self.dim();
        let bad = |what: &str, msg: String| {
            Err(Error::invalid(
                format!("problem {}: {what}", self.name),
                msg,
            ))
        };
        if d == 0 {
            return bad("components", "name at least one state component".into());
        }
        if self.folder.is_empty()
            || !self
                .folder
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return bad(
                "folder",
                format!("{:?} must be letters, digits, '-' or '_'", self.folder),
            );
        }
        if let Some(field) = &self.field {
            if field.dim() != d {
                return bad(
                    "vector field",
                    format!("has dimension {} but {d} components are named", field.dim()),
                );
            }
        }
        if let DataSource::Generated {
            initial,
            integration,
        } = &self.source
        {
            if !matches!(integration, Integration::Exact(_)) {
                initial.check_dim(d)?;
                if self.field.is_none() {
                    return bad(
                        "vector field",
                        "generated trajectories are integrated through the vector field; set \
                         `field`"
                            .into(),
                    );
                }
            }
        }
        if self.hierarchy.arch.len() < 2
            || self.hierarchy.arch[0] != d
            || self.hierarchy.arch[self.hierarchy.arch.len() - 1] != d
        {
            return bad(
                "arch",
                format!(
                    "{:?} must start and end with the dimension {d}",
                    self.hierarchy.arch
                ),
            );
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return bad("dt", format!("must be positive, got {}", self.dt));
        }
        // a data folder of one's own may lack the test split (training needs only train + val)
        let given = matches!(self.source, DataSource::Given(_));
        let counts = self.sizes.counts();
        if self.sizes.n_points < 2 || counts[..if given { 2 } else { 3 }].contains(&0) {
            return bad(
                "sizes",
                format!(
                    "need at least one trajectory per split and 2 points: {:?}",
                    self.sizes
                ),
            );
        }
        let mut steps = self.hierarchy.steps.clone();
        steps.sort_unstable();
        steps.dedup();
        if steps.len() != self.hierarchy.steps.len()
            || steps.first() == Some(&0)
            || steps.is_empty()
        {
            return bad(
                "steps",
                format!(
                    "{:?} must be distinct step sizes of at least 1 dt",
                    self.hierarchy.steps
                ),
            );
        }
        let (i, j) = self.view.phase_axes;
        if i >= d || j >= d {
            return bad(
                "view",
                format!("phase axes ({i}, {j}) outside dimension {d}"),
            );
        }
        self.hierarchy.train.validate()
    }
}

#[cfg(test)]
mod tests {
    use crate::problem::{InitialConditions, OdeProblem};
    use crate::systems::vector_field;

    #[test]
    fn mismatched_parts_are_named() {
        let f = vector_field(2, |_t, y, dy| dy.copy_from_slice(y));
        let err = OdeProblem::with_field("p", f, InitialConditions::uniform(vec![(0.0, 1.0)]), 0.1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("initial conditions") && err.contains('2'),
            "{err}"
        );
        let f = vector_field(2, |_t, y, dy| dy.copy_from_slice(y));
        let mut p =
            OdeProblem::with_field("p", f, InitialConditions::uniform(vec![(0.0, 1.0); 2]), 0.1)
                .unwrap();
        p.hierarchy.arch = vec![3, 8, 3];
        let err = p.check().unwrap_err().to_string();
        assert!(err.contains("arch") && err.contains("[3, 8, 3]"), "{err}");
        p.hierarchy.arch = vec![2, 8, 2];
        p.hierarchy.steps = vec![1, 1];
        assert!(p.check().unwrap_err().to_string().contains("steps"));
        assert!(OdeProblem::with_field(
            "p",
            vector_field(1, |_t, _y, _dy| {}),
            InitialConditions::uniform(vec![(0.0, 1.0)]),
            -1.0
        )
        .unwrap_err()
        .to_string()
        .contains("dt"));
    }
}
