//! Incidents: the append-only journal that is the source of truth for everything a human did,
//! and the fold that turns it back into state.

pub mod audit;
pub mod journal;
pub mod lock;
pub mod postmortem;
pub mod record;
pub mod store;

pub use journal::{Journal, JournalError, Replay};
pub use lock::{IncidentLock, LockHolder};
pub use record::{ActionItem, GamedayExperiment, Record, RecordKind, SCHEMA_VERSION};
