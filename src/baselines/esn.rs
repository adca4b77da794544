//! Echo-state network (Jaeger 2001): a fixed random reservoir and a ridge-regression read-out, as
//! a next-frame predictor.
//!
//! With reservoir state `r_t [h]` (`r_{-1} = 0`), input matrix `W_in [h, d]` with entries
//! `U(-input_scale, input_scale)`, and sparse reservoir `W [h, h]` (each entry nonzero with
//! probability `density`, values `U(-1, 1)`, then rescaled so that its spectral radius, the
//! largest eigenvalue modulus, equals `spectral_radius`):
//!
//! ```text
//! r_t = tanh(W r_{t-1} + W_in x_t),   x̂_{t+1} = W_out [r_t; 1]
//! W_out = Y^T A (A^T A + ridge I)^{-1}
//! ```
//!
//! where the rows of `A` are `[r_t; 1]` and those of `Y` the true `x_{t+1}`, for
//! `t = washout .. n_frames - 1` of the teacher-forced run. Only `W_out` (`d (h + 1)` numbers)
//! is trained. Random draws follow numpy's legacy stream (reproducible in Python):
//!
//! ```text
//! np.random.seed(seed)
//! W_in = np.random.uniform(-input_scale, input_scale, (h, d))
//! mask = np.random.random_sample((h, h)) < density
//! W = np.zeros((h, h)); W[mask] = np.random.uniform(-1, 1, mask.sum())
//! ```
//!
//! The spectral radius comes from the eigenvalues of the dense `W` (faer), `O(h^3)`: about a
//! second for `h = 1000`. The original draws from torch's stream instead (`torch.rand`), so its
//! reservoirs cannot be reproduced number for number; the distribution is the same.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use faer::linalg::solvers::Solve;
use faer::Mat;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::reservoir::{Csr, Reservoir};
use super::save::{load_model, save_model, BaselineMeta};
use super::sizing::{parameter_count, trained_parameter_count, BaselineKind};
use super::train::check_sequence;
use super::{check_first, SequenceModel};
use crate::rng::RandomState;
use crate::{Error, Result};

/// Reservoir and read-out settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EsnConfig {
    /// Reservoir size `h`.
    pub reservoir: usize,
    /// Spectral radius of `W` after rescaling (the paper: 0.9).
    pub spectral_radius: f64,
    /// Probability that an entry of `W` is nonzero.
    pub density: f64,
    /// Half-width of the uniform input weights.
    pub input_scale: f64,
    /// Tikhonov regularisation of the read-out.
    pub ridge: f64,
    /// Seed of the reservoir and input weights.
    pub seed: u64,
    /// Leading states left out of the regression. Generation starts from the zero state at
    /// frame 0, so the read-out must also serve the transient: 0 (the default) keeps it.
    pub washout: usize,
}

impl Default for EsnConfig {
    /// The original's reservoir (`src/esn.py`, as `seq_generations.ipynb` builds it): spectral
    /// radius 0.9, dense (`density = 1`), input weights `U(-1, 1)` (`scale_in = 1`), 1600 units
    /// (its KS size; Table 1 sizes the reservoir by [`super::match_parameters`] instead). The
    /// original's read-out is the pseudo-inverse solution without a bias; ours has a bias and a
    /// ridge of 1e-6 (the limit ridge -> 0 is the pseudo-inverse), and no washout: generation
    /// starts from the zero state at frame 0, so the read-out must also serve the transient (a
    /// washout > 0 ruined free-running generation in our tests).
    fn default() -> Self {
        EsnConfig {
            reservoir: 1600,
            spectral_radius: 0.9,
            density: 1.0,
            input_scale: 1.0,
            ridge: 1e-6,
            seed: 0,
            washout: 0,
        }
    }
}

/// An echo-state network with its read-out.
#[derive(Debug, Clone)]
pub struct Esn {
    cfg: EsnConfig,
    dim: usize,
    w_in: Array2<f64>,
    w: Reservoir,
    /// `[d, h + 1]`: weights on `r`, then the bias.
    w_out: Array2<f64>,
}

/// Largest eigenvalue modulus of a dense square matrix (faer's eigenvalue solver).
pub fn spectral_radius_of(m: &Mat<f64>) -> Result<f64> {
    let ev = m
        .eigenvalues()
        .map_err(|e| Error::invalid("reservoir", format!("eigenvalues did not converge: {e:?}")))?;
    Ok(ev.iter().map(|z| z.re.hypot(z.im)).fold(0.0, f64::max))
}

impl Esn {
    /// The reservoir for `dim` features (read-out zero), rescaled to `cfg.spectral_radius`.
    pub fn new(dim: usize, cfg: &EsnConfig) -> Result<Esn> {
        let h = cfg.reservoir;
        if dim == 0 || h == 0 {
            return Err(Error::invalid(
                "ESN size",
                format!("dim and reservoir must be positive, got {dim}, {h}"),
            ));
        }
        let valid = cfg.density > 0.0
            && cfg.density <= 1.0
            && cfg.spectral_radius > 0.0
            && cfg.spectral_radius.is_finite()
            && cfg.ridge >= 0.0;
        if !valid {
            return Err(Error::invalid(
                "ESN config",
                format!("need 0 < density <= 1, spectral_radius > 0, ridge >= 0; got {cfg:?}"),
            ));
        }
        let mut rng = RandomState::new(cfg.seed as u32);
        let w_in = Array2::from_shape_vec(
            (h, dim),
            rng.uniform_n(-cfg.input_scale, cfg.input_scale, h * dim),
        )
        .map_err(|e| Error::invalid("ESN", e.to_string()))?;
        let mask: Vec<bool> = (0..h * h)
            .map(|_| rng.random_sample() < cfg.density)
            .collect();
        let mut w = Csr {
            n: h,
            row_ptr: vec![0],
            cols: Vec::new(),
            vals: Vec::new(),
        };
        for i in 0..h {
            for j in 0..h {
                if mask[i * h + j] {
                    w.cols.push(j);
                }
            }
            w.row_ptr.push(w.cols.len());
        }
        w.vals = rng.uniform_n(-1.0, 1.0, w.cols.len());
        let rho = spectral_radius_of(&Reservoir::new(w.clone()).dense())?;
        if rho.is_nan() || rho <= 1e-12 {
            return Err(Error::invalid(
                "reservoir",
                format!("random reservoir has spectral radius {rho:e} and cannot be rescaled; increase density or reservoir"),
            ));
        }
        let scale = cfg.spectral_radius / rho;
        w.vals.iter_mut().for_each(|v| *v *= scale);
        Ok(Esn {
            cfg: *cfg,
            dim,
            w_in,
            w: Reservoir::new(w),
            w_out: Array2::zeros((dim, h + 1)),
        })
    }

    /// Build the reservoir and fit the read-out on `seq [n_frames, dim]` (teacher forcing).
    pub fn fit(seq: ArrayView2<f64>, cfg: &EsnConfig) -> Result<Esn> {
        check_sequence(seq)?;
        let mut esn = Esn::new(seq.ncols(), cfg)?;
        esn.fit_readout(seq)?;
        Ok(esn)
    }

    /// Fit the read-out by ridge regression on the states of `seq` after the washout.
    pub fn fit_readout(&mut self, seq: ArrayView2<f64>) -> Result<()> {
        check_sequence(seq)?;
        if seq.ncols() != self.dim {
            return Err(Error::shape(
                "sequence",
                format!("[n, {}]", self.dim),
                format!("{:?}", seq.shape()),
            ));
        }
        let (n, h, w0) = (seq.nrows(), self.cfg.reservoir, self.cfg.washout);
        if n <= w0 + 1 {
            return Err(Error::invalid(
                "washout",
                format!("{w0} leaves no training states for {n} frames; lower washout"),
            ));
        }
        let states = self.states(seq.slice(s![..n - 1, ..]))?;
        let rows = n - 1 - w0;
        let a = Mat::<f64>::from_fn(
            rows,
            h + 1,
            |i, j| if j < h { states[[w0 + i, j]] } else { 1.0 },
        );
        let y = Mat::<f64>::from_fn(rows, self.dim, |i, j| seq[[w0 + 1 + i, j]]);
        let mut gram: Mat<f64> = a.transpose() * &a;
        for i in 0..=h {
            gram[(i, i)] += self.cfg.ridge;
        }
        let rhs: Mat<f64> = a.transpose() * &y;
        let llt = gram.llt(faer::Side::Lower).map_err(|e| {
            Error::invalid(
                "ridge",
                format!("normal equations not positive definite ({e:?}); increase ridge"),
            )
        })?;
        let sol = llt.solve(&rhs);
        self.w_out = Array2::from_shape_fn((self.dim, h + 1), |(i, j)| sol[(j, i)]);
        Ok(())
    }

    /// Reservoir states `r_t [T, h]` driven by `xs [T, dim]` from the zero state.
    pub fn states(&self, xs: ArrayView2<f64>) -> Result<Array2<f64>> {
        if xs.ncols() != self.dim {
            return Err(Error::shape(
                "inputs",
                format!("[T, {}]", self.dim),
                format!("{:?}", xs.shape()),
            ));
        }
        let h = self.cfg.reservoir;
        let mut out = Array2::zeros((xs.nrows(), h));
        let mut r = vec![0.0; h];
        let mut wr = vec![0.0; h];
        for (t, x) in xs.rows().into_iter().enumerate() {
            self.step(&mut r, &mut wr, x);
            out.row_mut(t).assign(&ArrayView1::from(&r));
        }
        Ok(out)
    }

    /// `r <- tanh(W r + W_in x)`.
    fn step(&self, r: &mut [f64], wr: &mut [f64], x: ArrayView1<f64>) {
        self.w.matvec(r, wr);
        let u = self.w_in.dot(&x);
        for ((ri, &a), &b) in r.iter_mut().zip(wr.iter()).zip(u.iter()) {
            *ri = (a + b).tanh();
        }
    }

    /// The read-out prediction `W_out [r; 1]`.
    fn readout(&self, r: &[f64]) -> Array1<f64> {
        let h = self.cfg.reservoir;
        self.w_out.slice(s![.., ..h]).dot(&ArrayView1::from(r)) + self.w_out.column(h)
    }

    /// Spectral radius of the (rescaled) reservoir, recomputed from its eigenvalues (faer).
    pub fn spectral_radius(&self) -> f64 {
        spectral_radius_of(&self.w.dense()).unwrap_or(f64::NAN)
    }

    /// The reservoir matrix `W [h, h]`, dense.
    pub fn reservoir(&self) -> Array2<f64> {
        let d = self.w.dense();
        Array2::from_shape_fn((d.nrows(), d.ncols()), |(i, j)| d[(i, j)])
    }

    /// The input matrix `W_in [h, d]`.
    pub fn input_weight(&self) -> ArrayView2<'_, f64> {
        self.w_in.view()
    }

    /// The read-out `[d, h + 1]` (bias last).
    pub fn readout_weight(&self) -> ArrayView2<'_, f64> {
        self.w_out.view()
    }

    /// The settings.
    pub fn config(&self) -> &EsnConfig {
        &self.cfg
    }

    /// Save the read-out (`readout.weight [d, h]`, `readout.bias [d]`, f64) and the settings.
    pub fn save(&self, path: &Path) -> Result<()> {
        let h = self.cfg.reservoir;
        let dev = Device::Cpu;
        let w: Vec<f64> = self.w_out.slice(s![.., ..h]).iter().copied().collect();
        let b: Vec<f64> = self.w_out.column(h).to_vec();
        let mut map = HashMap::new();
        map.insert(
            "readout.weight".to_string(),
            Tensor::from_vec(w, (self.dim, h), &dev)?,
        );
        map.insert(
            "readout.bias".to_string(),
            Tensor::from_vec(b, self.dim, &dev)?,
        );
        let mut meta = BaselineMeta::new(BaselineKind::Esn, self.dim, h, 0, None);
        meta.esn = Some(self.cfg);
        save_model(path, &map, &meta)
    }

    /// Load an ESN written by [`Esn::save`]: the reservoir is rebuilt from the saved settings.
    /// CPU-only: the ESN's reservoir and readout are host computations (faer), so it loads to
    /// the CPU whatever `--device` says.
    pub fn load(path: &Path) -> Result<Esn> {
        let (tensors, meta) = load_model(path, BaselineKind::Esn, &Device::Cpu)?;
        let cfg = meta.esn.ok_or_else(|| Error::Checkpoint {
            path: path.to_path_buf(),
            msg: "ESN metadata without reservoir settings".into(),
        })?;
        let mut esn = Esn::new(meta.dim, &cfg)?;
        let get = |name: &str| -> Result<Vec<f64>> {
            let t = tensors.get(name).ok_or_else(|| Error::Checkpoint {
                path: path.to_path_buf(),
                msg: format!("missing tensor {name}"),
            })?;
            Ok(t.to_dtype(candle_core::DType::F64)?
                .flatten_all()?
                .to_vec1()?)
        };
        let (w, b) = (get("readout.weight")?, get("readout.bias")?);
        let h = cfg.reservoir;
        if w.len() != meta.dim * h || b.len() != meta.dim {
            return Err(Error::shape(
                "ESN read-out",
                format!("[{}, {h}] + [{}]", meta.dim, meta.dim),
                format!("{} + {}", w.len(), b.len()),
            ));
        }
        esn.w_out =
            Array2::from_shape_fn(
                (meta.dim, h + 1),
                |(i, j)| if j < h { w[i * h + j] } else { b[i] },
            );
        Ok(esn)
    }
}

impl SequenceModel for Esn {
    fn name(&self) -> &str {
        "ESN"
    }

    fn n_params(&self) -> usize {
        parameter_count(BaselineKind::Esn, self.dim, self.cfg.reservoir, 0)
    }

    fn n_trained(&self) -> usize {
        trained_parameter_count(BaselineKind::Esn, self.dim, self.cfg.reservoir, 0)
    }

    fn generate(&self, first: ArrayView1<f64>, n_frames: usize) -> Result<Array2<f64>> {
        check_first(first, self.dim)?;
        let h = self.cfg.reservoir;
        let mut out = Array2::zeros((n_frames, self.dim));
        if n_frames == 0 {
            return Ok(out);
        }
        out.row_mut(0).assign(&first);
        let (mut r, mut wr) = (vec![0.0; h], vec![0.0; h]);
        for t in 1..n_frames {
            let x = out.row(t - 1).to_owned();
            self.step(&mut r, &mut wr, x.view());
            let y = self.readout(&r);
            out.row_mut(t).assign(&y);
        }
        Ok(out)
    }
}
