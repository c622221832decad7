//! ops (under construction)
