//! Sequence data for the sequence-generation experiments.
