//! The optimizer: rule batches run to a fixed point, then the cost-based steps.
