//! The paper's six systems as [`OdeProblem`] constructors, one file each (its vector field,
//! initial conditions, sizes, steppers and the paper's values), and [`SystemKind`], the
//! command line's names for them.
//!
//! | constructor | system | dt | train / val / test | hidden width |
//! |---|---|---|---|---|
//! | [`hyperbolic()`] | x' = -0.05 x, y' = -(y - x^2) | 0.01 | 1600 / 320 / 320 | 128 |
//! | [`cubic()`] | x' = -0.1 x^3 + 2 y^3, y' = -2 x^3 - 0.1 y^3 | 0.01 | 3200 / 320 / 320 | 256 |
//! | [`van_der_pol()`] | x' = y, y' = 2 (1 - x^2) y - x | 0.01 | 3200 / 320 / 320 | 128 |
//! | [`hopf()`] | mu' = 0, x' = mu x + y - x r^2, y' = mu y - x - y r^2 | 0.01 | 3200 / 320 / 320 | 128 |
//! | [`lorenz()`] | sigma 10, rho 28, beta 8/3 | 0.0005 | 6400 / 640 / 640 | 1024 |
//! | [`harmonic()`] | x' = y, y' = -x (Figure 2) | 0.001 | 500 / 100 / 100 | 32 |
//!
//! Every constructor starts from one base, [`paper_system`] (the paper's common settings: 3200 /
//! 320 / 320 trajectories of 5121 points from `np.random.seed(2)`, steppers `[d, 128, 128, 128,
//! d]` at `2^0 .. 2^10` dt, the paper's training) and changes what its system does differently.
//!
//! Adding a built-in system: a file here with its struct, `System` impl and constructor, its
//! name in [`SystemKind`] and one line in the table [`BUILTIN`].

mod cubic;
mod harmonic;
mod hopf;
mod hyperbolic;
mod lorenz;
mod van_der_pol;

pub use cubic::{cubic, Cubic};
pub use harmonic::{harmonic, Harmonic};
pub use hopf::{hopf, Hopf};
pub use hyperbolic::{hyperbolic, Hyperbolic};
pub use lorenz::{lorenz, Lorenz};
pub use van_der_pol::{van_der_pol, VanDerPol};

use super::{DataSource, OdeProblem};
use crate::data::{InitialConditions, Integration, Sizes};
use crate::systems::{System, VectorField};

/// One line of [`BUILTIN`]: the kind, its folder name and its constructor.
pub type Builtin = (SystemKind, &'static str, fn() -> OdeProblem);

/// The built-in systems, in the paper's order: each kind, its folder name (the original code's
/// `data/<name>/`, `models/<name>/`) and its constructor.
pub const BUILTIN: [Builtin; 6] = [
    (SystemKind::Hyperbolic, "Hyperbolic", hyperbolic),
    (SystemKind::Cubic, "Cubic", cubic),
    (SystemKind::VanDerPol, "VanDerPol", van_der_pol),
    (SystemKind::Hopf, "Hopf", hopf),
    (SystemKind::Lorenz, "Lorenz", lorenz),
    (SystemKind::Harmonic, "Harmonic", harmonic),
];

// Line k of BUILTIN is the kind of discriminant k, so `SystemKind::entry` indexes it (checked
// when the crate compiles).
const _: () = {
    let mut i = 0;
    while i < BUILTIN.len() {
        assert!(
            BUILTIN[i].0 as usize == i,
            "BUILTIN must list the kinds in SystemKind's order"
        );
        i += 1;
    }
};

/// The base of every built-in problem: `name`, its component names, `dt`, the vector field, the
/// initial conditions and how trajectories are computed, with the paper's common settings (see
/// the module docs). Each constructor changes what differs.
pub(crate) fn paper_system(
    name: &str,
    folder: &str,
    components: &[&str],
    dt: f64,
    field: impl System + 'static,
    initial: InitialConditions,
    integration: Integration,
) -> OdeProblem {
    OdeProblem::base(
        name,
        folder,
        components.iter().map(|c| c.to_string()).collect(),
        dt,
        Sizes {
            n_train: 3200,
            n_val: 320,
            n_test: 320,
            n_points: 5121,
        },
        Some(VectorField::new(field)),
        DataSource::Generated {
            initial,
            integration,
        },
    )
}

/// The built-in systems by name: what `--system` accepts on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(
    feature = "cli",
    derive(clap::ValueEnum),
    value(rename_all = "lowercase")
)]
pub enum SystemKind {
    Hyperbolic,
    Cubic,
    #[cfg_attr(
        feature = "cli",
        value(name = "vanderpol", alias = "vdp", alias = "van-der-pol")
    )]
    VanDerPol,
    Hopf,
    Lorenz,
    Harmonic,
}

impl SystemKind {
    /// Every built-in system, in the paper's order (the harmonic oscillator last: Figure 2's).
    pub const ALL: [SystemKind; 6] = {
        let mut all = [SystemKind::Hyperbolic; 6];
        let mut i = 0;
        while i < BUILTIN.len() {
            all[i] = BUILTIN[i].0;
            i += 1;
        }
        all
    };

    /// The five nonlinear systems of the paper's ODE experiments.
    pub const NONLINEAR: [SystemKind; 5] = [
        SystemKind::Hyperbolic,
        SystemKind::Cubic,
        SystemKind::VanDerPol,
        SystemKind::Hopf,
        SystemKind::Lorenz,
    ];

    /// The system's problem at the paper's settings.
    pub fn problem(self) -> OdeProblem {
        (self.entry().2)()
    }

    /// The folder name the original code used (`data/<name>/`, `models/<name>/`).
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    fn entry(self) -> &'static Builtin {
        &BUILTIN[self as usize]
    }

    /// Parse a folder name or command-line name, case-insensitively.
    pub fn from_name(name: &str) -> crate::Result<SystemKind> {
        let lower = name.to_ascii_lowercase().replace(['-', '_', ' '], "");
        SystemKind::ALL
            .into_iter()
            .find(|k| {
                k.name().to_ascii_lowercase() == lower
                    || (lower == "vdp" && *k == SystemKind::VanDerPol)
            })
            .ok_or_else(|| {
                crate::Error::invalid(
                    "system",
                    format!(
                        "unknown system '{name}'; expected one of hyperbolic, cubic, vanderpol, \
                         hopf, lorenz, harmonic (or a data folder of your own: --data-dir)"
                    ),
                )
            })
    }
}

impl std::fmt::Display for SystemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in SystemKind::ALL {
            assert_eq!(SystemKind::from_name(k.name()).unwrap(), k);
            assert_eq!(k.problem().folder, k.name());
            k.problem().check().unwrap();
            k.problem().quick().check().unwrap();
        }
        assert_eq!(SystemKind::from_name("vdp").unwrap(), SystemKind::VanDerPol);
        assert_eq!(
            SystemKind::from_name("Van der Pol").unwrap(),
            SystemKind::VanDerPol
        );
        let err = SystemKind::from_name("duffing").unwrap_err().to_string();
        assert!(err.contains("duffing") && err.contains("lorenz"), "{err}");
    }

    #[test]
    fn paper_settings() {
        assert_eq!(cubic().hierarchy.arch, vec![2, 256, 256, 256, 2]);
        assert_eq!(lorenz().sizes.counts(), [6400, 640, 640]);
        assert_eq!(hyperbolic().sizes.counts(), [1600, 320, 320]);
        assert_eq!(harmonic().sizes.total(), 700);
        assert_eq!(van_der_pol().hierarchy.steps.last(), Some(&1024));
        assert_eq!(hopf().components, ["mu", "x", "y"]);
        assert_eq!(lorenz().dt, 0.0005);
    }
}
