//! Tests against real Prometheus and Alertmanager processes and small loopback servers.

mod bad_server;
mod gameday;
pub mod harness;
pub mod series;
mod stack;
mod tls;
