//! ODE solvers: scipy-compatible adaptive RK45 and fixed-step RK4.
