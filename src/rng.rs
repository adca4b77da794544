//! numpy-compatible random numbers (legacy `RandomState`).
