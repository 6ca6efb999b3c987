//! DR drills: drill files (`runbooks/drills/*.yaml`) with frozen targets, phases and
//! do-not-proceed guards; their lint; scoring against the targets and the previous drill;
//! and the markdown drill log. The running drill itself is a fold over journal records in
//! `state::drill`, so resume and `follow` work as for incidents.

pub mod lint;
pub mod log;
pub mod model;
pub mod score;

pub use log::LogEntry;
pub use model::{Answer, Drill, DrillFile, Guard, Moment, Phase, RpoMethod, Targets};
pub use score::{Measured, Score};
