//! One integration crate for the whole suite, so the binary and the library are built once.

mod common;
mod e2e;
mod e2e_incident;
mod e2e_mitigation;
mod journal;
mod kube_fake;
mod mitigation;
mod snapshots;
mod support;
mod theme;
mod update;
