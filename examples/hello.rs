//! The smallest workflow: one Pass state, run in-process.

fn main() {}
