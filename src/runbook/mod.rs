//! Runbooks: the typed model the console steps through.

pub mod model;

pub use model::{Branch, CommandBlock, CommandKind, Danger, Runbook, SectionKind, Step};
