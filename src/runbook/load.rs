//! Reading runbook files from disk, refusing what is unsafe before parsing: files too large,
//! invalid UTF-8, and symlinks that lead out of the runbooks directory.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::diagnostic::Diagnostic;
use super::lint::lint;
use super::model::{Pos, Runbook};
use super::parse::{self, Lines, MAX_BYTES, Parsed};

/// Files in a runbooks directory that are not runbooks themselves: templates, READMEs, and
/// whatever lives in `drills/` (drill files and the drill log, linted as such).
pub fn is_runbook_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".md")
        && !name.ends_with("-template.md")
        && name != "README.md"
        && !crate::drill::lint::is_drill_dir_file(path)
}

fn top(file: &Path, message: String) -> Diagnostic {
    Diagnostic::error("unreadable", Pos { line: 1, col: 1 }, message)
        .in_file(&file.display().to_string())
}

/// Reads and parses one file. With `root`, the file's real path must stay inside it.
pub fn load_file(path: &Path, root: Option<&Path>) -> Result<Parsed, Diagnostic> {
    let shown = path.display().to_string();
    if let Some(root) = root {
        let real = path
            .canonicalize()
            .map_err(|e| top(path, format!("cannot resolve the path: {e}")))?;
        if !real.starts_with(root) {
            return Err(Diagnostic::error(
                "outside-dir",
                Pos { line: 1, col: 1 },
                format!(
                    "symlink leads outside the runbooks directory, to {}",
                    real.display()
                ),
            )
            .hint("copy the runbook into the directory instead of linking to it")
            .in_file(&shown));
        }
    }
    let file = std::fs::File::open(path).map_err(|e| top(path, format!("cannot read: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| top(path, format!("cannot read: {e}")))?;
    if bytes.len() > MAX_BYTES {
        return Err(top(
            path,
            format!("file is larger than {MAX_BYTES} bytes; runbooks are limited to that"),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let prefix = std::str::from_utf8(&e.as_bytes()[..good]).unwrap_or("");
        let pos = Lines::new(prefix).pos(good);
        Diagnostic::error("invalid-utf8", pos, format!("invalid UTF-8 at byte {good}"))
            .hint("runbooks must be UTF-8 text")
            .in_file(&shown)
    })?;
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("runbook")
        .to_string();
    parse::parse(&id, &shown, &text)
}

/// The runbook files named by `paths`: files as given, directories searched recursively in
/// name order. Each file comes with the directory it was found in, for the symlink check.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Option<PathBuf>)>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            let root = p
                .canonicalize()
                .map_err(|e| format!("{}: {e}", p.display()))?;
            let mut found = Vec::new();
            walk(p, &is_runbook_file, &mut found, 0);
            out.extend(found.into_iter().map(|f| (f, Some(root.clone()))));
        } else if !crate::drill::lint::is_drill_path(p) {
            out.push((p.clone(), None));
        }
    }
    Ok(out)
}

/// The files under `dir` that `keep` wants, in name order, at most 8 directories deep.
pub fn walk(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for e in entries {
        // symlink_metadata: a link to a directory elsewhere is not followed.
        let is_dir = std::fs::symlink_metadata(&e).is_ok_and(|m| m.is_dir());
        if is_dir && depth < 8 {
            walk(&e, keep, out, depth + 1);
        } else if keep(&e) {
            out.push(e);
        }
    }
}

/// Loads every runbook in `dir` for the console: the ones that parse, and the diagnostics
/// (errors only) for the ones that do not or that lint rejects.
pub fn load_dir(dir: &Path, today: NaiveDate) -> (Vec<Runbook>, Vec<Diagnostic>) {
    let mut books = Vec::new();
    let mut problems = Vec::new();
    let files = match collect(&[dir.to_path_buf()]) {
        Ok(f) => f,
        Err(e) => {
            problems.push(top(dir, e));
            return (books, problems);
        }
    };
    for (file, root) in files {
        match load_file(&file, root.as_deref()) {
            Ok(parsed) => {
                problems.extend(lint(&parsed, today).into_iter().filter(|d| d.is_error()));
                books.push(parsed.runbook);
            }
            Err(d) => problems.push(d),
        }
    }
    (books, problems)
}
