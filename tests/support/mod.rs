//! Shared helpers for the integration tests.
//!
//! Not every test uses every helper, so unused ones must not fail `clippy -D warnings`.
#![allow(dead_code)]

pub mod pty;
pub mod stub;

mod self_test;
