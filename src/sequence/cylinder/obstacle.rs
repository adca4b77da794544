//! Solid obstacles on the lattice: which nodes are solid, and for each fluid node next to one,
//! where along each lattice link the wall lies.
//!
//! For a fluid node `x_f` whose neighbour `x_f + c_i` is solid, the wall distance
//! `q_i in (0, 1]` is the fraction of the link at which the exact boundary is crossed:
//! for a circle of radius R around `x_c`, the smallest root of `|x_f + q c_i - x_c| = R`. The
//! interpolated bounce-back of [`super::lattice`] uses it to place the no-slip wall on the true
//! circle rather than on the staircase of solid nodes.

use super::d2q9::C;

/// Solid mask plus the wall distances of the links that cross the wall.
#[derive(Debug, Clone)]
pub struct WallLinks {
    solid: Vec<bool>,
    /// Per node: index into `q`, or `u32::MAX` when no link of the node crosses a wall.
    index: Vec<u32>,
    /// Per boundary node: the wall distance of each link direction (0 where no wall).
    q: Vec<[f64; 9]>,
}

impl WallLinks {
    /// No obstacle on `n` nodes.
    pub fn none(n: usize) -> Self {
        WallLinks {
            solid: vec![false; n],
            index: vec![u32::MAX; n],
            q: Vec::new(),
        }
    }

    /// A circular cylinder of `radius` around `(cx, cy)` (lattice units, node (i, j) at (i, j))
    /// on an `nx x ny` lattice. Nodes with distance <= radius are solid.
    pub fn circle(nx: usize, ny: usize, cx: f64, cy: f64, radius: f64) -> Self {
        let inside = |i: i64, j: i64| {
            let (dx, dy) = (i as f64 - cx, j as f64 - cy);
            dx * dx + dy * dy <= radius * radius
        };
        let mut links = WallLinks::none(nx * ny);
        for j in 0..ny as i64 {
            for i in 0..nx as i64 {
                links.solid[j as usize * nx + i as usize] = inside(i, j);
            }
        }
        for j in 0..ny as i64 {
            for i in 0..nx as i64 {
                if inside(i, j) {
                    continue;
                }
                let mut q = [0.0; 9];
                let mut any = false;
                for (k, &(ex, ey)) in C.iter().enumerate().skip(1) {
                    let (ni, nj) = (i + ex, j + ey);
                    if ni < 0 || nj < 0 || ni >= nx as i64 || nj >= ny as i64 || !inside(ni, nj) {
                        continue;
                    }
                    // |p + t e|^2 = R^2 with p = x_f - x_c: a t^2 + 2 b t + c0 = 0, c0 > 0.
                    let (px, py) = (i as f64 - cx, j as f64 - cy);
                    let (ex, ey) = (ex as f64, ey as f64);
                    let a = ex * ex + ey * ey;
                    let b = px * ex + py * ey;
                    let c0 = px * px + py * py - radius * radius;
                    let disc = (b * b - a * c0).max(0.0);
                    q[k] = ((-b - disc.sqrt()) / a).clamp(1e-6, 1.0);
                    any = true;
                }
                if any {
                    links.index[j as usize * nx + i as usize] = links.q.len() as u32;
                    links.q.push(q);
                }
            }
        }
        links
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.solid.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.solid.is_empty()
    }

    /// Whether `node` is solid.
    #[inline]
    pub fn is_solid(&self, node: usize) -> bool {
        self.solid[node]
    }

    /// The wall distances of `node`'s links (by direction), if any link crosses a wall.
    #[inline]
    pub fn links(&self, node: usize) -> Option<&[f64; 9]> {
        self.q.get(self.index[node] as usize)
    }

    /// Number of fluid nodes with at least one wall link.
    pub fn boundary_nodes(&self) -> usize {
        self.q.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_distances_lie_on_the_circle() {
        let (cx, cy, r) = (20.3, 15.1, 6.7);
        let w = WallLinks::circle(40, 30, cx, cy, r);
        assert!(w.boundary_nodes() > 0);
        for j in 0..30 {
            for i in 0..40 {
                let Some(q) = w.links(j * 40 + i) else {
                    continue;
                };
                for k in 1..9 {
                    if q[k] == 0.0 {
                        continue;
                    }
                    let (x, y) = (
                        i as f64 + q[k] * C[k].0 as f64,
                        j as f64 + q[k] * C[k].1 as f64,
                    );
                    let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
                    assert!(
                        (d - r).abs() < 1e-9 && q[k] > 0.0 && q[k] <= 1.0,
                        "{d} {}",
                        q[k]
                    );
                }
            }
        }
    }
}
