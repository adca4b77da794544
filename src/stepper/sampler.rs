//! The minibatch of each epoch, reproducible from `(seed, epoch)` alone.
//!
//! The original draws `torch.randperm(n_train)[:batch_size]`: a uniformly random subset of
//! `min(batch, n)` distinct training windows, in random order. We draw the same distribution
//! with a partial Fisher-Yates shuffle of `0..n` driven by a SplitMix64 stream seeded from
//! `seed` and the epoch number (`state = seed ^ (epoch * 0x9E3779B97F4A7C15)`; each index
//! `j = i + floor(u * (n - i))` with `u` the high 32 bits of the next output over 2^32).
//! Because a batch depends only on `(seed, epoch)`, resuming at epoch `e` needs no other
//! sampler state, and a stepper draws the same batches whether trained alone or stacked.

/// Draws the training minibatch of an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinibatchSampler {
    pub seed: u64,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl MinibatchSampler {
    /// The indices (distinct, in `0..n`) of the minibatch of `epoch` (1-based), `min(batch, n)`
    /// of them.
    pub fn indices(&self, epoch: usize, n: usize, batch: usize) -> Vec<usize> {
        let mut state = self.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let take = batch.min(n);
        let mut perm: Vec<usize> = (0..n).collect();
        for i in 0..take {
            let u = splitmix64(&mut state) >> 32;
            let j = i + ((u * (n - i) as u64) >> 32) as usize;
            perm.swap(i, j);
        }
        perm.truncate(take);
        perm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_reproducible_and_uniform() {
        let s = MinibatchSampler { seed: 3 };
        let a = s.indices(5, 100, 32);
        assert_eq!(a, s.indices(5, 100, 32));
        assert_ne!(a, s.indices(6, 100, 32));
        let mut sorted = a.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 32);
        assert!(a.iter().all(|&i| i < 100));
        assert_eq!(s.indices(1, 10, 320).len(), 10);
        // Every index is picked about equally often: 2000 epochs x 32 of 100 -> 640 each.
        let mut counts = vec![0usize; 100];
        for e in 1..=2000 {
            for i in s.indices(e, 100, 32) {
                counts[i] += 1;
            }
        }
        let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(*lo > 540 && *hi < 740, "{lo} {hi}");
    }
}
