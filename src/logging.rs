//! Logs go to a file in the XDG state directory, never to the terminal the console draws on.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::LogLevel;

/// Lines waiting for the log writer thread; more are dropped.
const LOG_QUEUE_LINES: usize = 1024;

/// Starts logging to `<dir>/warroom.log`. Keep the guard alive until exit so the last
/// lines are written.
pub fn init(dir: &Path, level: LogLevel) -> Result<(WorkerGuard, PathBuf), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the log directory {}: {e}", dir.display()))?;
    let appender = tracing_appender::rolling::never(dir, "warroom.log");
    // The writer's queue is allocated and initialised whole when it is built: the default
    // of 128 000 lines is 4 MiB of memory touched before the first frame (about 2 ms and
    // a quarter of the demo's resident memory). A console logs a few lines a second at
    // most; when the queue is full, lines are dropped rather than the console blocked.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .finish(appender);
    let filter = EnvFilter::new(format!("warn,warroom={}", level.as_str()));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok((guard, dir.join("warroom.log")))
}
