//! The coupling against known answers: exact flow maps (harmonic oscillator), a per-point
//! reference implementation on random nets, the uni-scale rollout, selection and the hybrid.

use std::collections::BTreeMap;

use candle_core::{Device, Tensor};
use hits::forecast::{
    hybrid_forecast, multiscale_forecast, multiscale_points, rk4_forecast, rollout, select_models,
    to_array3, uni_scale_forecast, FlowMapStepper, Stepper,
};
use hits::problem::builtin::Harmonic;
use hits::stepper::ResNetStepper;
use hits::Result;
use ndarray::{Array2, Array3};

const DT: f64 = 0.01;

/// Initial states on circles of radius 0.5..2 at various phases.
fn initial_states(n: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, 2), |(i, d)| {
        let (r, phi) = (0.5 + 1.5 * i as f64 / n as f64, 2.7 * i as f64 - 1.0);
        if d == 0 {
            r * phi.sin()
        } else {
            r * phi.cos()
        }
    })
}

/// The exact harmonic solution at steps 0..=n: `[n_traj, n + 1, 2]`.
fn exact(x0: &Array2<f64>, n: usize) -> Array3<f64> {
    Array3::from_shape_fn((x0.nrows(), n + 1, 2), |(i, t, d)| {
        Harmonic.flow([x0[[i, 0]], x0[[i, 1]]], t as f64 * DT)[d]
    })
}

fn tensor(x0: &Array2<f64>) -> Result<Tensor> {
    hits::forecast::states_tensor(x0.view(), &Device::Cpu)
}

fn maps(sizes: &[usize]) -> Vec<FlowMapStepper> {
    sizes
        .iter()
        .map(|&s| FlowMapStepper::harmonic(DT, s))
        .collect()
}

fn refs<S: Stepper>(v: &[S]) -> Vec<&dyn Stepper> {
    v.iter().map(|s| s as &dyn Stepper).collect()
}

#[test]
fn flow_maps_are_exact_at_computed_points_and_interpolate_within_the_bound() -> Result<()> {
    let n = 1000;
    let x0 = initial_states(16);
    let truth = exact(&x0, n);
    for sizes in [&[4usize, 16, 64][..], &[3, 5, 7][..], &[6, 10, 64][..]] {
        let m = maps(sizes);
        let (positions, values) = multiscale_points(&refs(&m), &tensor(&x0)?, n)?;
        let values = values.to_vec2::<f32>()?;
        let s_min = *sizes.iter().min().unwrap();
        // Computed points: the exact solution up to f32 rounding of a few dozen rotations.
        for (j, &p) in positions.iter().enumerate() {
            for i in 0..16 {
                let want = Harmonic.flow([x0[[i, 0]], x0[[i, 1]]], p as f64 * DT);
                for d in 0..2 {
                    let got = values[j * 16 + i][d] as f64;
                    assert!(
                        (got - want[d]).abs() < 2e-5,
                        "{sizes:?}: point {p}, traj {i}: {got} vs {}",
                        want[d]
                    );
                }
            }
        }
        // Up to the first point at or past the horizon, gaps are at most the finest step.
        let mut sorted = positions.clone();
        sorted.sort_unstable();
        let first_past = sorted
            .iter()
            .position(|&p| p >= n)
            .expect("the horizon is reached");
        assert!(
            sorted[..=first_past]
                .windows(2)
                .all(|w| w[1] - w[0] <= s_min),
            "{sizes:?}: {sorted:?}"
        );
        // Elsewhere linear interpolation of r sin(t + phi) errs by at most (H dt)^2 / 8 * r.
        let pred = multiscale_forecast(&refs(&m), x0.view(), n)?;
        assert_eq!(pred.dim(), (16, n, 2));
        let h = s_min as f64 * DT;
        for i in 0..16 {
            let r = x0.row(i).dot(&x0.row(i)).sqrt();
            for t in 1..=n {
                for d in 0..2 {
                    let err = (pred[[i, t - 1, d]] - truth[[i, t, d]]).abs();
                    let bound = h * h / 8.0 * r;
                    assert!(
                        err <= bound + 2e-5,
                        "{sizes:?}: step {t}: error {err} > bound {bound}"
                    );
                    if positions.contains(&t) {
                        assert!(err < 2e-5, "{sizes:?}: computed step {t}: error {err}");
                    }
                }
            }
        }
    }
    Ok(())
}

/// The coupling point by point, one trajectory at a time, no batching: every computed point p
/// steps with the next finer stepper while p < n_steps and before the next computed point (the
/// virtual end E after the last one); then the tail; then interpolation.
fn reference(steppers: &[&dyn Stepper], x0: &Array2<f64>, n: usize) -> Result<Array3<f64>> {
    let mut desc = steppers.to_vec();
    desc.sort_by_key(|s| std::cmp::Reverse(s.step_size()));
    let end = (n / desc[0].step_size() + 1) * desc[0].step_size();
    let mut out = Array3::zeros((x0.nrows(), n, 2));
    for i in 0..x0.nrows() {
        let mut points: BTreeMap<usize, Tensor> = BTreeMap::new();
        points.insert(
            0,
            Tensor::new(&[[x0[[i, 0]] as f32, x0[[i, 1]] as f32]], &Device::Cpu)?,
        );
        for s in &desc {
            let snapshot: Vec<(usize, Tensor)> =
                points.iter().map(|(p, x)| (*p, x.clone())).collect();
            for (j, (p, x)) in snapshot.iter().enumerate() {
                let next = snapshot.get(j + 1).map_or(end, |(q, _)| *q);
                let (mut q, mut y) = (*p, x.clone());
                while q < n && q + s.step_size() < next {
                    y = s.step(&y)?;
                    q += s.step_size();
                    points.insert(q, y.clone());
                }
            }
        }
        let fine = desc[desc.len() - 1];
        let (mut q, mut y) = points
            .iter()
            .next_back()
            .map(|(p, x)| (*p, x.clone()))
            .unwrap();
        while q < n {
            y = fine.step(&y)?;
            q += fine.step_size();
            points.insert(q, y.clone());
        }
        let known: Vec<(usize, Vec<f32>)> = points
            .iter()
            .map(|(p, x)| Ok((*p, x.flatten_all()?.to_vec1::<f32>()?)))
            .collect::<Result<_>>()?;
        for t in 1..=n {
            let j = known.iter().rposition(|(p, _)| *p <= t).unwrap();
            for d in 0..2 {
                let (p0, a) = (known[j].0 as f64, known[j].1[d] as f64);
                out[[i, t - 1, d]] = if known[j].0 == t {
                    a
                } else {
                    let (p1, b) = (known[j + 1].0 as f64, known[j + 1].1[d] as f64);
                    a + (b - a) * (t as f64 - p0) / (p1 - p0)
                };
            }
        }
    }
    Ok(out)
}

fn random_nets(sizes: &[usize], seed: u32) -> Result<Vec<ResNetStepper>> {
    sizes
        .iter()
        .enumerate()
        .map(|(k, &s)| ResNetStepper::new(&[2, 16, 16, 2], s, DT, seed + k as u32, &Device::Cpu))
        .collect()
}

#[test]
fn batched_coupling_equals_the_per_point_reference_on_random_nets() -> Result<()> {
    let x0 = initial_states(5).mapv(|v| 0.3 * v);
    for (sizes, n) in [
        (&[1usize, 2, 4, 8, 16][..], 100),
        (&[2, 8, 32][..], 75),
        (&[3, 5, 7][..], 50),
        (&[1, 6, 10][..], 47),
    ] {
        let nets = random_nets(sizes, 11)?;
        let want = reference(&refs(&nets), &x0, n)?;
        let got = multiscale_forecast(&refs(&nets), x0.view(), n)?;
        assert_eq!(got.dim(), want.dim());
        let worst = (&got - &want).mapv(f64::abs).fold(0.0f64, |a, &b| a.max(b));
        let scale = want.mapv(f64::abs).fold(0.0f64, |a, &b| a.max(b));
        assert!(got.iter().all(|v| v.is_finite()), "{sizes:?}: non-finite");
        assert!(
            worst <= 1e-5 * (1.0 + scale),
            "{sizes:?}: max |batched - reference| = {worst} (scale {scale})"
        );
    }
    Ok(())
}

#[test]
fn uni_scale_step_one_is_the_plain_rollout_without_nan() -> Result<()> {
    let x0_array = initial_states(7).mapv(|v| 0.3 * v);
    let x0 = tensor(&x0_array)?;
    let net = &random_nets(&[1], 3)?[0];
    let pred = uni_scale_forecast(net, x0_array.view(), 40)?;
    let plain = rollout(net, &x0, 40)?.narrow(1, 1, 40)?;
    assert_eq!(pred, to_array3(&plain)?);
    // Step 4: the rollout at multiples of 4 (time 4 dt is output index 3), x0 at step 0.
    let net4 = &random_nets(&[4], 5)?[0];
    let pred = uni_scale_forecast(net4, x0_array.view(), 10)?;
    let plain = to_array3(&rollout(net4, &x0, 3)?)?;
    for i in 0..7 {
        for d in 0..2 {
            assert_eq!(pred[[i, 3, d]], plain[[i, 1, d]]);
            assert_eq!(pred[[i, 7, d]], plain[[i, 2, d]]);
            let early = plain[[i, 0, d]] + 0.25 * (plain[[i, 1, d]] - plain[[i, 0, d]]);
            assert!(
                (pred[[i, 0, d]] - early).abs() < 1e-6,
                "step 1 interpolates from x0 at step 0"
            );
            let last = plain[[i, 2, d]] + 0.5 * (plain[[i, 3, d]] - plain[[i, 2, d]]);
            assert!(
                (pred[[i, 9, d]] - last).abs() < 1e-6,
                "step 10 needs the point at 12"
            );
        }
    }
    Ok(())
}

#[test]
fn selection_drops_the_bad_steppers_of_a_constructed_case() -> Result<()> {
    // Steps 1 (rotation 5 % too fast), 2 (exact), 4 (1 % too fast) and 8 (20 % too fast).
    let bad = |s: usize, eps: f64| {
        let (sn, c) = (s as f64 * DT * (1.0 + eps)).sin_cos();
        FlowMapStepper::linear(&[c, sn, -sn, c], 2, s)
    };
    let m = [bad(1, 0.05)?, bad(2, 0.0)?, bad(4, 0.01)?, bad(8, 0.2)?];
    let x0 = initial_states(8);
    let val = exact(&x0, 400);
    let sel = select_models(&refs(&m), val.view())?;
    // Drop 8, then 4 (only step 1 errs in [1, 2]); then dropping 1 leaves exact even steps and
    // a 5e-5 r interpolation error at odd steps, 10x below the bad step 1's 5e-4 r.
    assert_eq!(sel.range, 1..2, "{:#?}", sel.candidates);
    let visited: Vec<_> = sel.candidates.iter().map(|c| c.range.clone()).collect();
    assert_eq!(visited, vec![0..4, 0..3, 0..2, 0..1, 0..2, 1..2]);
    let err = select_models(&[&m[1] as &dyn Stepper, &m[0]], val.view()).unwrap_err();
    assert!(err.to_string().contains("ascending"), "{err}");
    Ok(())
}

#[test]
fn hybrid_with_the_exact_flow_equals_rk4_from_the_same_points() -> Result<()> {
    let (n, big) = (300usize, 64usize);
    let x0 = initial_states(6);
    let coarse = FlowMapStepper::harmonic(DT, big);
    let coarse_pts = to_array3(&rollout(&coarse, &tensor(&x0)?, n.div_ceil(big))?)?;
    let truth = exact(&x0, n);
    for h in [1.0, 2.0, 4.0, 0.5] {
        let hybrid = hybrid_forecast(&coarse, &Harmonic, DT, h, x0.view(), n)?;
        for j in 0..n.div_ceil(big) {
            let start = coarse_pts.slice(ndarray::s![.., j, ..]).to_owned();
            let rk = rk4_forecast(&Harmonic, DT, h, start.view(), big)?;
            // The last RK4 interval before the next coarse point interpolates towards that point
            // in the hybrid and towards RK4's own end point in the plain run: compare up to it.
            for t in 1..=big - h.ceil() as usize {
                let step = j * big + t;
                if step > n {
                    break;
                }
                for i in 0..6 {
                    for d in 0..2 {
                        let (a, b) = (hybrid[[i, step - 1, d]], rk[[i, t - 1, d]]);
                        assert!((a - b).abs() < 1e-12, "h {h}: step {step}: {a} vs {b}");
                    }
                }
            }
        }
        let worst = (&hybrid - &truth.slice(ndarray::s![.., 1.., ..]))
            .mapv(f64::abs)
            .fold(0.0f64, |a, &b| a.max(b));
        let interp = if h > 1.0 {
            (h * DT).powi(2) / 8.0 * 2.0
        } else {
            0.0
        };
        assert!(worst < interp + 1e-5, "h {h}: hybrid error {worst}");
    }
    // Plain RK4 is fourth order: error ~ h^4 over the horizon.
    let rk = rk4_forecast(&Harmonic, DT, 1.0, x0.view(), n)?;
    let worst = (&rk - &truth.slice(ndarray::s![.., 1.., ..]))
        .mapv(f64::abs)
        .fold(0.0f64, |a, &b| a.max(b));
    assert!(worst < 1e-9, "RK4 error {worst}");
    Ok(())
}

/// The scalar RK4 step, state by state (the reference for the vectorised batches).
fn scalar_rk4(system: &dyn hits::System, t: f64, h: f64, y: &mut [f64]) {
    let n = y.len();
    let (mut k1, mut k2, mut k3, mut k4, mut tmp) = (
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
    );
    system.rhs(t, y, &mut k1);
    for i in 0..n {
        tmp[i] = y[i] + 0.5 * h * k1[i];
    }
    system.rhs(t + 0.5 * h, &tmp, &mut k2);
    for i in 0..n {
        tmp[i] = y[i] + 0.5 * h * k2[i];
    }
    system.rhs(t + 0.5 * h, &tmp, &mut k3);
    for i in 0..n {
        tmp[i] = y[i] + h * k3[i];
    }
    system.rhs(t + h, &tmp, &mut k4);
    for i in 0..n {
        y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
}

/// The hybrid (with `coarse`) or plain RK4 (without) done the straightforward way: every RK4
/// run state by state into a `[n_points, n_traj, dim]` buffer, then `interpolate_to_steps`.
fn reference_forecast(
    system: &dyn hits::System,
    coarse: Option<(usize, &Array3<f64>)>,
    x0: &Array2<f64>,
    dt: f64,
    h_in_dt: f64,
    n: usize,
) -> Result<Array3<f64>> {
    let (n_traj, dim) = x0.dim();
    let h = h_in_dt * dt;
    let (k, big, n_sub) = match coarse {
        Some((big, _)) => (
            n.div_ceil(big),
            big,
            (big as f64 / h_in_dt).round() as usize,
        ),
        None => (1, 0, (n as f64 / h_in_dt - 1e-9).ceil().max(1.0) as usize),
    };
    let mut positions = Vec::new();
    let mut values = Vec::new();
    for j in 0..k {
        let mut ys: Vec<Vec<f64>> = (0..n_traj)
            .map(|i| match coarse {
                Some((_, pts)) => (0..dim).map(|d| pts[[i, j, d]]).collect(),
                None => x0.row(i).to_vec(),
            })
            .collect();
        let last = if coarse.is_some() { n_sub - 1 } else { n_sub };
        for s in 0..=last {
            positions.push((j * big) as f64 + s as f64 * h_in_dt);
            for y in &ys {
                values.extend_from_slice(y);
            }
            for y in ys.iter_mut() {
                scalar_rk4(system, s as f64 * h, h, y);
            }
        }
    }
    if let Some((big, pts)) = coarse {
        positions.push((k * big) as f64);
        for i in 0..n_traj {
            values.extend((0..dim).map(|d| pts[[i, k, d]]));
        }
    }
    let out = hits::forecast::interpolate_to_steps(&positions, &values, n_traj, dim, n)?;
    Ok(Array3::from_shape_vec((n_traj, n, dim), out).expect("shape"))
}

fn max_rel_diff(a: &Array3<f64>, b: &Array3<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f64::max)
}

#[test]
fn vectorised_rk4_and_hybrid_equal_the_scalar_reference_on_every_paper_system() -> Result<()> {
    use hits::SystemKind;
    let n_traj = 37; // not a multiple of any batch size
    for kind in SystemKind::ALL {
        let problem = kind.problem();
        let system = problem
            .field
            .clone()
            .expect("a built-in system has a vector field");
        let dim = problem.dim();
        let dt = problem.dt;
        let x0 = Array2::from_shape_fn((n_traj, dim), |(i, d)| {
            let v = ((i * 31 + d * 17) % 29) as f64 / 14.5 - 1.0;
            if kind == SystemKind::Lorenz {
                10.0 * v + if d == 2 { 25.0 } else { 0.0 }
            } else {
                v
            }
        });
        let n = 203;
        for h in [1.0, 2.0, 4.0, 0.5, 3.0] {
            let ours = rk4_forecast(system.as_ref(), dt, h, x0.view(), n)?;
            let want = reference_forecast(system.as_ref(), None, &x0, dt, h, n)?;
            let diff = max_rel_diff(&ours, &want);
            assert!(diff <= 1e-12, "{kind} RK4 h = {h} dt: max rel diff {diff}");
        }
        // The hybrid with a linear map as the coarse "network" (any stepper will do here).
        let a: Vec<f64> = (0..dim * dim)
            .map(|r| if r % (dim + 1) == 0 { 0.97 } else { 0.01 })
            .collect();
        let big = 24;
        let coarse = FlowMapStepper::linear(&a, dim, big)?;
        let x0t = tensor(&x0)?;
        let pts = to_array3(&rollout(&coarse, &x0t, n.div_ceil(big))?)?;
        for h in [1.0, 2.0, 8.0, 0.5] {
            let ours = hybrid_forecast(&coarse, system.as_ref(), dt, h, x0.view(), n)?;
            let want = reference_forecast(system.as_ref(), Some((big, &pts)), &x0, dt, h, n)?;
            let diff = max_rel_diff(&ours, &want);
            assert!(
                diff <= 1e-12,
                "{kind} hybrid h = {h} dt: max rel diff {diff}"
            );
        }
    }
    Ok(())
}
