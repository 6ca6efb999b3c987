//! Producers: tasks that own their I/O and send owned [`crate::state::Event`]s to the runtime.

pub mod demo;
pub mod journal;
pub mod timing;
