//! Chaos game-days: hypothesis → safety boundary → experiment → observe → learn.
//!
//! A game-day file ([`model`]) names a falsifiable hypothesis, a safety boundary
//! ([`boundary`]), Chaos Mesh experiments, an abort condition ([`abort`]) and an
//! observation window. Experiments are created through the one safety gate (which runs the
//! boundary check) and its prompt; the abort poller feeds readings to `update`, which
//! deletes every experiment at once when the condition trips. The journal records it all,
//! and [`run`] folds it back, for the console, resume, followers and the postmortem
//! ([`postmortem`]). The format is in docs/gameday-format.md.

pub mod abort;
pub mod boundary;
pub mod lint;
pub mod locate;
pub mod model;
pub mod postmortem;
pub mod run;
pub mod start;

pub use abort::{AbortCondition, Comparison, Reading};
pub use boundary::Boundary;
pub use model::{Experiment, GameDay};
pub use run::Run;

/// What the gate needs to check and create one experiment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaosRequest {
    pub boundary: Boundary,
    /// The manifest to create (namespace set to the boundary's).
    pub manifest: serde_json::Value,
    /// Pods other experiments of this game-day have under chaos right now.
    pub pods_in_use: u32,
}

/// The game-day the demo plays, compiled in so it needs no files.
pub const DEMO: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/runbooks/gamedays/storefront-five-classics.yaml"
));

/// Parses the compiled-in game-day.
pub fn demo() -> Result<GameDay, String> {
    let a = model::analyse(
        "runbooks/gamedays/storefront-five-classics.yaml",
        Some("storefront-five-classics"),
        DEMO,
    );
    a.gameday.ok_or_else(|| {
        a.diagnostics
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}
