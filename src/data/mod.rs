//! Data sets of the paper: generation, `.npy` input/output, training windows.
