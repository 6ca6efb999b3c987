//! `warroom lint` for game-day files: which files are game-days, and their findings (the
//! same checks the console runs before it starts one; see [`super::model::analyse`]).

use std::path::{Path, PathBuf};

use super::model::{analyse, is_gameday_file};
use crate::runbook::{Diagnostic, Pos};

/// The directory game-days live in, under the runbooks directory.
pub const DIR: &str = "gamedays";

fn in_gamedays_dir(p: &Path) -> bool {
    p.parent()
        .and_then(|d| d.file_name())
        .is_some_and(|n| n == DIR)
}

/// A YAML file given by name is a game-day when it sits in a `gamedays` directory or says
/// `hypothesis:` at the top level.
fn looks_like_gameday(p: &Path) -> bool {
    is_gameday_file(p)
        && (in_gamedays_dir(p)
            || std::fs::read_to_string(p)
                .is_ok_and(|t| t.lines().any(|l| l.starts_with("hypothesis:"))))
}

/// Game-day files named by `paths`: YAML files in `gamedays/` directories (searched for
/// recursively in name order, symlinked directories not followed), and files given directly.
pub fn collect(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        let is_dir = std::fs::metadata(p).is_ok_and(|m| m.is_dir());
        if is_dir {
            walk(p, &mut out, 0);
        } else if looks_like_gameday(p) {
            out.push(p.clone());
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    let here = dir.file_name().is_some_and(|n| n == DIR);
    for e in entries {
        let meta = std::fs::symlink_metadata(&e);
        if meta.as_ref().is_ok_and(|m| m.is_dir()) {
            if depth < 8 {
                walk(&e, out, depth + 1);
            }
        } else if here && is_gameday_file(&e) {
            out.push(e);
        }
    }
}

/// Every finding for one file.
pub fn lint_file(path: &Path) -> Vec<Diagnostic> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => analyse(&shown, path.file_stem().and_then(|s| s.to_str()), &text).diagnostics,
        Err(e) => vec![
            Diagnostic::error(
                "unreadable",
                Pos { line: 1, col: 1 },
                format!("cannot read: {e}"),
            )
            .in_file(&shown),
        ],
    }
}
