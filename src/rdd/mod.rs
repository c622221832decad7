//! rdd (under construction)
