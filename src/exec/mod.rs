//! exec (under construction)
