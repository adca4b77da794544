//! ResNet neural time-steppers.
