//! Deterministic PyTorch-default initialisation of the linear layers from a seeded stream.
//!
//! PyTorch's `nn.Linear(fan_in, fan_out)` draws its weight with `kaiming_uniform_(a = sqrt(5))`
//! and its bias from the same bound, which both come to
//!
//! ```text
//! W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))   [fan_out, fan_in]
//! b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))   [fan_out]
//! ```
//!
//! We draw the same distribution from numpy's legacy Mersenne-Twister stream
//! ([`crate::rng::RandomState`], `np.random.seed(seed)`): for each layer in order, the weight
//! row-major, then the bias, each value `low + (high - low) * random_sample()` computed in f64
//! and rounded to f32. This is the distribution of PyTorch's initialisation, not its exact
//! values (PyTorch's generator converts its stream differently); it is reproducible in numpy:
//! `np.random.seed(s); np.random.uniform(-k, k, size=fan_out * fan_in)` gives the first weight.

use crate::rng::RandomState;

/// Initial weights and biases of one linear layer: `weight` row-major `[fan_out, fan_in]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearInit {
    pub fan_in: usize,
    pub fan_out: usize,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// PyTorch-default initial values of every layer of an MLP with layer widths `arch`.
pub fn mlp_init(arch: &[usize], seed: u32) -> Vec<LinearInit> {
    let mut rng = RandomState::new(seed);
    arch.windows(2)
        .map(|w| {
            let (fan_in, fan_out) = (w[0], w[1]);
            let bound = 1.0 / (fan_in as f64).sqrt();
            let mut draw = |n: usize| -> Vec<f32> {
                (0..n).map(|_| rng.uniform(-bound, bound) as f32).collect()
            };
            let weight = draw(fan_in * fan_out);
            let bias = draw(fan_out);
            LinearInit {
                fan_in,
                fan_out,
                weight,
                bias,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_shapes_and_determinism() {
        let a = mlp_init(&[2, 16, 3], 7);
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].weight.len(), a[0].bias.len()), (32, 16));
        assert_eq!((a[1].weight.len(), a[1].bias.len()), (48, 3));
        let b0 = 1.0 / 2f32.sqrt();
        assert!(a[0].weight.iter().chain(&a[0].bias).all(|v| v.abs() <= b0));
        assert!(a[1].weight.iter().all(|v| v.abs() <= 0.25));
        assert_eq!(a, mlp_init(&[2, 16, 3], 7));
        assert_ne!(a, mlp_init(&[2, 16, 3], 8));
        // The values spread over the whole interval (not a constant or a tiny range).
        let max = a[1].weight.iter().cloned().fold(f32::MIN, f32::max);
        let min = a[1].weight.iter().cloned().fold(f32::MAX, f32::min);
        assert!(max > 0.2 && min < -0.2, "{min} {max}");
    }
}
