//! Logs go to a file in the XDG state directory, never to the terminal the console draws on.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::LogLevel;

/// Starts logging to `<dir>/warroom.log`. Keep the guard alive until exit so the last
/// lines are written.
pub fn init(dir: &Path, level: LogLevel) -> Result<(WorkerGuard, PathBuf), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the log directory {}: {e}", dir.display()))?;
    let appender = tracing_appender::rolling::never(dir, "warroom.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::new(format!("warn,warroom={}", level.as_str()));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok((guard, dir.join("warroom.log")))
}
