//! format (under construction)
