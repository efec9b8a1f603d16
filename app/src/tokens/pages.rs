//! Admin page for API tokens.
