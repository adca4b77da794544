//! Lattice-Boltzmann cylinder wake: an analytic decaying Taylor-Green vortex, mass
//! conservation, symmetry, the quick run's output, and parameter checks.

use std::f64::consts::PI;

use hits::sequence::cylinder::obstacle::WallLinks;
use hits::sequence::cylinder::{
    simulate, simulate_with_progress, CylinderConfig, Lattice, XBoundary, YBoundary,
};
use hits::sequence::fixed_step::FixedStepper;

/// Taylor-Green vortex u = U0 sin(kx) cos(ky), v = -U0 cos(kx) sin(ky) on a periodic n x n
/// lattice: the velocity decays as exp(-2 nu k^2 t) with nu = (tau - 1/2) / 3.
fn taylor_green(n: usize, tau: f64, steps: usize) -> (f64, f64, f64) {
    let u0 = 0.01;
    let k = 2.0 * PI / n as f64;
    let nodes = n * n;
    let (mut rho, mut ux, mut uy) = (vec![0.0; nodes], vec![0.0; nodes], vec![0.0; nodes]);
    for j in 0..n {
        for i in 0..n {
            let (x, y) = (i as f64 * k, j as f64 * k);
            let node = j * n + i;
            ux[node] = u0 * x.sin() * y.cos();
            uy[node] = -u0 * x.cos() * y.sin();
            // p = -U0^2/4 (cos 2kx + cos 2ky), rho = 1 + 3 p.
            rho[node] = 1.0 - 0.75 * u0 * u0 * ((2.0 * x).cos() + (2.0 * y).cos());
        }
    }
    let mut lattice = Lattice::new(
        n,
        n,
        tau,
        XBoundary::Periodic,
        YBoundary::Periodic,
        WallLinks::none(nodes),
    )
    .unwrap();
    let mut state = lattice.equilibrium_state(&rho, &ux, &uy).unwrap();
    let mass0: f64 = state.0.iter().sum();
    lattice.advance(&mut state, steps);
    let mass1: f64 = state.0.iter().sum();
    let (_, gx, gy) = lattice.macroscopic(&state);
    let decay = (-2.0 * (tau - 0.5) / 3.0 * k * k * steps as f64).exp();
    let (mut err2, mut norm2) = (0.0, 0.0);
    for node in 0..nodes {
        err2 += (gx[node] - ux[node] * decay).powi(2) + (gy[node] - uy[node] * decay).powi(2);
        norm2 += (ux[node] * decay).powi(2) + (uy[node] * decay).powi(2);
    }
    ((err2 / norm2).sqrt(), (mass1 - mass0).abs() / mass0, decay)
}

#[test]
fn taylor_green_vortex_decays_at_the_lattice_viscosity() {
    // Two viscosities; about one e-folding of the velocity.
    for (tau, steps) in [(0.8, 520), (0.56, 2600)] {
        let (rel_err, mass_err, decay) = taylor_green(64, tau, steps);
        assert!(decay < 0.45 && decay > 0.3, "{decay}");
        assert!(rel_err < 5e-3, "tau {tau}: relative L2 error {rel_err:e}");
        // Round-off only: 2.6e-13 measured after 2600 steps at tau 0.56.
        println!("tau {tau}: relative L2 error {rel_err:.2e}, mass drift {mass_err:.1e}");
        assert!(mass_err < 1e-11, "tau {tau}: mass drift {mass_err:e}");
    }
}

/// A wrong viscosity would be caught: the same comparison against nu * 1.05 fails.
#[test]
fn taylor_green_error_is_sensitive_to_viscosity() {
    let (rel_err, _, decay) = taylor_green(64, 0.8, 520);
    let off = decay.powf(1.05) / decay;
    assert!(
        (1.0 - off).abs() > 10.0 * rel_err,
        "test too weak: {off} vs {rel_err:e}"
    );
}

#[test]
fn quick_run_shapes_and_values() {
    let cfg = CylinderConfig::quick();
    let mut calls: Vec<(usize, usize)> = Vec::new();
    let run = simulate_with_progress(&cfg, &mut |step, total| calls.push((step, total))).unwrap();
    // Progress: about a hundred calls, steps rising from 0, below the one total.
    let (spinup, per_snap) = cfg.schedule().unwrap();
    let total = spinup + (cfg.n_snapshots - 1) * per_snap;
    assert!((90..=101).contains(&calls.len()), "{} calls", calls.len());
    assert_eq!(calls[0], (0, total));
    assert!(calls.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(calls.iter().all(|&(s, t)| t == total && s < total));
    assert_eq!((run.nx, run.ny), (91, 41));
    assert_eq!(run.u.dim(), (91 * 41, cfg.n_snapshots));
    assert!(run.u.iter().all(|v| v.is_finite()));
    // Inside the cylinder: exactly zero; far to the side upstream: close to the inflow.
    let at = |x: f64, y: f64, s: usize| {
        let k = ((x + 1.0) / 9.0 * 90.0).round() as usize;
        let l = ((y + 2.0) / 4.0 * 40.0).round() as usize;
        run.u[[l * 91 + k, s]]
    };
    assert_eq!(at(0.0, 0.0, 10), 0.0);
    assert_eq!(at(0.2, -0.2, 3), 0.0);
    assert!(
        (at(-1.0, 2.0, 10) - 1.0).abs() < 0.2,
        "{}",
        at(-1.0, 2.0, 10)
    );
    // Accelerated flow beside the cylinder, recirculation right behind it.
    assert!(at(0.0, 0.8, 10) > 1.0);
    assert!(at(0.7, 0.0, 10) < 0.3);
    assert!(
        run.mean_drag > 0.5 && run.mean_drag < 5.0,
        "{}",
        run.mean_drag
    );
    assert_eq!(
        run.drag.len(),
        (cfg.n_snapshots - 1) * cfg.schedule().unwrap().1
    );
    assert!(run.cell_updates_per_second > 0.0);
}

/// Without the perturbation the set-up is mirror-symmetric in y, so the lift stays zero and
/// the field stays symmetric (a check of the boundary and obstacle code).
#[test]
fn unperturbed_flow_stays_symmetric() {
    let cfg = CylinderConfig {
        perturbation: 0.0,
        n_snapshots: 2,
        ..CylinderConfig::quick()
    };
    let run = simulate(&cfg).unwrap();
    assert!(
        run.lift.iter().all(|l| l.abs() < 1e-9),
        "{:?}",
        &run.lift[..3]
    );
    for l in 0..41 {
        for k in 0..91 {
            let (a, b) = (run.u[[l * 91 + k, 1]], run.u[[(40 - l) * 91 + k, 1]]);
            assert!((a - b).abs() < 1e-9, "({k}, {l}): {a} vs {b}");
        }
    }
}

#[test]
fn bad_inputs_are_named() {
    let q = CylinderConfig::quick();
    let bad = |cfg: CylinderConfig, name: &str| {
        let e = simulate(&cfg).unwrap_err().to_string();
        assert!(e.contains(name), "{e}");
    };
    bad(
        CylinderConfig {
            reynolds: -1.0,
            ..q.clone()
        },
        "reynolds",
    );
    bad(
        CylinderConfig {
            cells_per_diameter: 2,
            ..q.clone()
        },
        "cells_per_diameter",
    );
    bad(
        CylinderConfig {
            u_lattice: 0.5,
            ..q.clone()
        },
        "u_lattice",
    );
    bad(
        CylinderConfig {
            reynolds: 1e5,
            ..q.clone()
        },
        "tau",
    );
    bad(
        CylinderConfig {
            dt_snapshot: 0.21,
            ..q.clone()
        },
        "dt_snapshot",
    );
    bad(
        CylinderConfig {
            n_snapshots: 0,
            ..q.clone()
        },
        "n_snapshots",
    );
    bad(
        CylinderConfig {
            window_x: (-1.0, 12.0, 91),
            ..q.clone()
        },
        "window_x",
    );
    bad(
        CylinderConfig {
            window_y: (-2.0, 2.0, 1),
            ..q.clone()
        },
        "window_y",
    );
    bad(
        CylinderConfig {
            sponge_strength: 1.5,
            ..q.clone()
        },
        "sponge",
    );
    bad(
        CylinderConfig {
            sponge_side: -1.0,
            ..q.clone()
        },
        "sponge",
    );
    bad(
        CylinderConfig {
            domain_y: (-1.0, 1.0),
            ..q.clone()
        },
        "domain",
    );
}

/// The paper run: `cargo test --release --test sequence_cylinder -- --ignored --nocapture`
#[test]
#[ignore = "the full-size lattice-Boltzmann run (minutes): run it with --ignored --nocapture"]
fn paper_run() {
    let cfg = CylinderConfig::default();
    let start = std::time::Instant::now();
    let run = simulate(&cfg).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let half = run.lift.len() / 2;
    let amp = |l: &[f64]| {
        0.5 * (l.iter().cloned().fold(f64::MIN, f64::max)
            - l.iter().cloned().fold(f64::MAX, f64::min))
    };
    println!(
        "cylinder {:?} cells/D {}: St = {:.4}, Cd = {:.4}, Cl amplitude = {:.4} (first/second half {:.4}/{:.4}), {secs:.1} s, {:.1} MLUPS",
        run.u.dim(),
        cfg.cells_per_diameter,
        run.strouhal,
        run.mean_drag,
        run.lift_amplitude,
        amp(&run.lift[..half]),
        amp(&run.lift[half..]),
        run.cell_updates_per_second / 1e6
    );
    assert_eq!(run.u.dim(), (449 * 199, 151));
}
