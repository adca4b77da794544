//! The ESN's reservoir matrix `W [h, h]`: compressed rows when sparse, a dense array when at
//! least a quarter of its entries are nonzero (the original's reservoir is dense: `density = 1`),
//! so that the product `W r` of every step is a plain row-by-row dot product.

use faer::Mat;
use ndarray::{Array2, ArrayView1};

/// Compressed sparse rows of an `n x n` matrix.
#[derive(Debug, Clone)]
pub(crate) struct Csr {
    pub n: usize,
    pub row_ptr: Vec<usize>,
    pub cols: Vec<usize>,
    pub vals: Vec<f64>,
}

/// The reservoir, stored as suits its density.
#[derive(Debug, Clone)]
pub(crate) enum Reservoir {
    Sparse(Csr),
    Dense(Array2<f64>),
}

impl Reservoir {
    /// `w` as is, or dense when at least a quarter of it is nonzero.
    pub fn new(w: Csr) -> Reservoir {
        if 4 * w.vals.len() < w.n * w.n {
            return Reservoir::Sparse(w);
        }
        let mut d = Array2::zeros((w.n, w.n));
        for i in 0..w.n {
            for k in w.row_ptr[i]..w.row_ptr[i + 1] {
                d[[i, w.cols[k]]] = w.vals[k];
            }
        }
        Reservoir::Dense(d)
    }

    /// `out = W x`.
    pub fn matvec(&self, x: &[f64], out: &mut [f64]) {
        match self {
            Reservoir::Sparse(w) => {
                for (i, o) in out.iter_mut().enumerate() {
                    let (a, b) = (w.row_ptr[i], w.row_ptr[i + 1]);
                    *o = w.cols[a..b]
                        .iter()
                        .zip(&w.vals[a..b])
                        .map(|(&j, &v)| v * x[j])
                        .sum();
                }
            }
            Reservoir::Dense(w) => {
                let x = ArrayView1::from(x);
                for (o, row) in out.iter_mut().zip(w.rows()) {
                    *o = row.dot(&x);
                }
            }
        }
    }

    /// `W` as a dense faer matrix (for its eigenvalues).
    pub fn dense(&self) -> Mat<f64> {
        match self {
            Reservoir::Sparse(w) => {
                let mut m = Mat::zeros(w.n, w.n);
                for i in 0..w.n {
                    for k in w.row_ptr[i]..w.row_ptr[i + 1] {
                        m[(i, w.cols[k])] = w.vals[k];
                    }
                }
                m
            }
            Reservoir::Dense(w) => Mat::from_fn(w.nrows(), w.ncols(), |i, j| w[[i, j]]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_and_dense_agree() {
        // 4 x 4 with 3 nonzeros stays sparse; 3 x 3 with 7 turns dense; both multiply alike.
        let sparse = Csr {
            n: 4,
            row_ptr: vec![0, 1, 2, 3, 3],
            cols: vec![2, 0, 1],
            vals: vec![1.0, -2.0, 0.5],
        };
        let full = Csr {
            n: 3,
            row_ptr: vec![0, 3, 5, 7],
            cols: vec![0, 1, 2, 0, 2, 1, 2],
            vals: vec![1.0, 2.0, 3.0, -1.0, 0.5, 4.0, -2.0],
        };
        let mut out4 = [0.0; 4];
        let r = Reservoir::new(sparse);
        assert!(matches!(r, Reservoir::Sparse(_)));
        r.matvec(&[1.0, 2.0, 3.0, 4.0], &mut out4);
        assert_eq!(out4, [3.0, -2.0, 1.0, 0.0]);
        let x = [1.0, 2.0, 3.0];
        let mut out = [0.0; 3];
        let r = Reservoir::new(full);
        assert!(matches!(r, Reservoir::Dense(_)));
        r.matvec(&x, &mut out);
        assert_eq!(out, [14.0, 0.5, 2.0]);
        assert_eq!(r.dense()[(2, 1)], 4.0);
    }
}
