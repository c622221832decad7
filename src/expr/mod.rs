//! expr (under construction)
