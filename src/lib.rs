//! warroom: a terminal console for incident response, DR drills and chaos game-days.
//!
//! Data flows one way: producers (`sources`) send owned [`state::Event`]s to the runtime
//! (`app`), which folds them into [`state::State`] with the pure [`state::update`], performs
//! the [`state::Effect`]s it returns, and draws (`ui`) only when something changed.

pub mod app;
pub mod cli;
pub mod config;
pub mod drill;
pub mod exec;
pub mod gameday;
pub mod incident;
pub mod keymap;
pub mod logging;
pub mod paths;
pub mod runbook;
pub mod sanitize;
pub mod slo;
pub mod sources;
pub mod state;
pub mod term;
pub mod theme;
pub mod ui;
