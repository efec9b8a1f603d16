//! Compliance views.
