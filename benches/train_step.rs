//! Train-step benchmark (being written).
fn main() {}
