//! One integration crate for the whole suite, so the binary and the library are built once.

mod alert_pane;
mod common;
mod e2e;
mod live;
mod snapshots;
mod support;
mod theme;
mod update;
