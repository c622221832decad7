//! shell (under construction)
/// Runs the shell; returns the process exit status.
pub fn main() -> i32 {
    0
}
