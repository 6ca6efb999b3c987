//! Producers: tasks that own their I/O and send owned [`crate::state::Event`]s to the runtime.

pub mod alertmanager;
pub mod demo;
pub mod http;
pub mod journal;
pub mod prometheus;
pub mod timing;
