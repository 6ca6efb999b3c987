//! One integration crate for the whole suite, so the binary and the library are built once.

mod alert_pane;
mod common;
mod drill;
mod e2e;
mod e2e_drill;
mod e2e_gameday;
mod e2e_incident;
mod e2e_interrupt;
mod e2e_mitigation;
mod faults;
mod fuzz_regressions;
mod gameday;
mod hostile;
mod journal;
mod kube_fake;
mod lint_cli;
mod live;
mod mitigation;
mod render_cache;
mod runbook_pane;
mod runbooks;
mod snapshots;
mod stop;
mod support;
mod theme;
mod update;
