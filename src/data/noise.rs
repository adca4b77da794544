//! Measurement noise as the original notebooks add it.
//!
//! For each split `X` (`[n_traj, n_points, dim]`), in the order train, val, test:
//!
//! ```text
//! X += noise * mean_i( std_t( X[i, :, d] ) ) * Z,     Z ~ N(0, 1) drawn in C order
//! ```
//!
//! i.e. `X += noise * X.std(1).mean(0) * np.random.randn(*X.shape)`: the scale of component
//! `d` is its population standard deviation over time, averaged over the trajectories, and the
//! normal draws come from the same numpy stream that drew the initial conditions.

use super::DataSet;
use crate::rng::RandomState;
use ndarray::{Array1, Array3, Axis};

/// Add noise to every split of `data`, drawing from `rng` (train, then val, then test).
/// With `noise == 0` nothing is drawn and the data are unchanged (the original draws and adds
/// `0 * Z`, which changes no value).
pub fn add_noise(data: &mut DataSet, noise: f64, rng: &mut RandomState) {
    if noise == 0.0 {
        return;
    }
    for x in [&mut data.train, &mut data.val, &mut data.test] {
        add_noise_to(x, noise, rng);
    }
}

/// `X.std(1).mean(0)`: per component, the population standard deviation over time averaged
/// over trajectories (numpy's two-pass formula).
pub fn mean_temporal_std(x: &Array3<f64>) -> Array1<f64> {
    let (n, t, dim) = x.dim();
    let mut acc = Array1::<f64>::zeros(dim);
    for traj in x.axis_iter(Axis(0)) {
        for d in 0..dim {
            let col = traj.column(d);
            let mean = col.sum() / t as f64;
            let ss: f64 = col.iter().map(|v| (v - mean) * (v - mean)).sum();
            acc[d] += (ss / t as f64).sqrt();
        }
    }
    acc / n as f64
}

fn add_noise_to(x: &mut Array3<f64>, noise: f64, rng: &mut RandomState) {
    if x.is_empty() {
        return;
    }
    let scale = mean_temporal_std(x) * noise;
    // Logical (C) order, whatever the memory layout.
    for mut row in x.rows_mut() {
        for (v, s) in row.iter_mut().zip(scale.iter()) {
            *v += s * rng.standard_normal();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_is_mean_of_population_stds() {
        // trajectory 0: component 0 = [0, 2] (std 1), component 1 constant (std 0);
        // trajectory 1: component 0 = [1, 1] (std 0), component 1 = [0, 4] (std 2).
        let x = ndarray::array![[[0.0, 5.0], [2.0, 5.0]], [[1.0, 0.0], [1.0, 4.0]]];
        assert_eq!(mean_temporal_std(&x).to_vec(), vec![0.5, 1.0]);
    }

    #[test]
    fn noise_draws_follow_c_order() {
        let x = ndarray::array![[[0.0, 5.0], [2.0, 5.0]], [[1.0, 0.0], [1.0, 4.0]]];
        let mut noisy = DataSet {
            train: x.clone(),
            val: Array3::zeros((0, 2, 2)),
            test: Array3::zeros((0, 2, 2)),
        };
        add_noise(&mut noisy, 0.1, &mut RandomState::new(3));
        let z = RandomState::new(3).randn(8);
        let scale = [0.05, 0.1];
        for (k, (got, orig)) in noisy.train.iter().zip(x.iter()).enumerate() {
            assert_eq!(*got, orig + scale[k % 2] * z[k]);
        }
    }
}
