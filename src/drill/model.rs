//! A drill file (`runbooks/drills/NAME.yaml`): the drill's name, its frozen targets, the
//! phases with their target durations and the runbook steps and commands they use, the do-not-proceed
//! guards, and how RPO is measured. The same structure is journaled at the drill's start, so
//! a resumed or followed drill runs against the targets it started with.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::runbook::{Diagnostic, Pos};
use crate::sanitize;
use crate::sources::timing::Span;

/// Drill files are capped like runbooks: a drill is a page, not a database.
pub const MAX_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drill {
    /// What people call it, e.g. "Cross-region DR failover".
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Frozen: changed only through review, never on the day.
    pub targets: Targets,
    pub phases: Vec<Phase>,
    pub measure_rpo: RpoMethod,
    /// Values for the runbook steps' `{{placeholders}}` (no alert fills them in a drill).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// From the failure's injection to the customer flow working again.
    pub rto: Span,
    /// Data lost, at most.
    pub rpo: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub name: String,
    pub target: Span,
    /// The runbook (file stem) whose step this phase carries out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    /// The step's heading anchor in that runbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Answered before the phase may start; one answer that says stop blocks it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guards: Vec<Guard>,
    /// Command blocks of the phase's runbook (by `name=`), in the order the phase runs
    /// them; `x` on the Drill pane runs the next one through the safety gate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// What people do in this phase that the console cannot (a change it cannot dry-run
    /// and check through the API): the Drill pane shows it as `BY HAND`, and the phase's
    /// step waits on a human until `enter` says it is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_hand: Vec<String>,
}

/// A do-not-proceed question, answered yes or no.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    pub ask: String,
    /// The answer that means "do not proceed".
    pub stop_if: Answer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    Yes,
    No,
}

impl Answer {
    pub fn word(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
        }
    }
}

/// How the drill's RPO is measured: a PromQL query evaluated at a moment, or a value the
/// facilitator enters at that moment. Exactly one of `query` and `prompt` (lint checks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpoMethod {
    /// PromQL whose first value is the data lost, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The question put to the facilitator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default)]
    pub at: Moment,
}

/// A named moment of a drill. Phases are numbered from 1, as people say them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Moment {
    PhaseStart(usize),
    PhaseEnd(usize),
    #[default]
    DrillEnd,
}

impl Moment {
    pub fn parse(text: &str) -> Result<Moment, String> {
        let words: Vec<String> = text
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let phase = |n: &str| {
            n.parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("`{n}` is not a phase number (phases count from 1)"))
        };
        match words.as_slice() {
            ["start", "of", "phase", n] => phase(n).map(Moment::PhaseStart),
            ["end", "of", "phase", n] => phase(n).map(Moment::PhaseEnd),
            ["end", "of", "drill"] | ["end", "of", "the", "drill"] => Ok(Moment::DrillEnd),
            _ => Err(format!(
                "`{text}` is not a moment: write `start of phase N`, `end of phase N` or `end of drill`"
            )),
        }
    }

    /// The phase it names (1-based), if any.
    pub fn phase(self) -> Option<usize> {
        match self {
            Moment::PhaseStart(n) | Moment::PhaseEnd(n) => Some(n),
            Moment::DrillEnd => None,
        }
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Moment::PhaseStart(n) => write!(f, "start of phase {n}"),
            Moment::PhaseEnd(n) => write!(f, "end of phase {n}"),
            Moment::DrillEnd => f.write_str("end of drill"),
        }
    }
}

impl Serialize for Moment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Moment::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Drill {
    /// Escapes what will be drawn (names, questions); the query goes to Prometheus as
    /// written and is escaped where it is shown.
    fn sanitized(mut self) -> Drill {
        let clean = |s: &mut String| *s = sanitize::escape_truncated(s, 200);
        clean(&mut self.name);
        // A folded `>` block ends with a newline: it is not part of the text.
        if let Some(d) = &mut self.description {
            *d = sanitize::escape_truncated(d.trim(), 2000);
        }
        for p in &mut self.phases {
            clean(&mut p.name);
            for g in &mut p.guards {
                g.ask = sanitize::escape_truncated(&g.ask, 300);
            }
            for s in [&mut p.runbook, &mut p.step].into_iter().flatten() {
                clean(s);
            }
            p.commands.iter_mut().for_each(clean);
            for h in &mut p.by_hand {
                *h = sanitize::escape_truncated(h.trim(), 200);
            }
        }
        if let Some(p) = &mut self.measure_rpo.prompt {
            *p = sanitize::escape_truncated(p, 300);
        }
        self.labels = std::mem::take(&mut self.labels)
            .into_iter()
            .map(|(k, v)| {
                (
                    sanitize::escape_truncated(&k, 64),
                    sanitize::escape_truncated(&v, 256),
                )
            })
            .collect();
        self
    }

    /// The sum of the phases' targets.
    pub fn phases_total(&self) -> std::time::Duration {
        self.phases.iter().map(|p| p.target.0).sum()
    }
}

/// A drill file as read: its id (the file stem), the text's hash, and the model.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillFile {
    pub id: String,
    pub path: PathBuf,
    pub text: String,
    pub sha256: String,
    pub drill: Drill,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Drill names are file stems: letters, digits, `-` and `_`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `runbooks/drills/NAME.yaml` (or `NAME.yml` when only that exists).
pub fn file_path(runbooks_dir: &Path, name: &str) -> PathBuf {
    let dir = runbooks_dir.join("drills");
    let yml = dir.join(format!("{name}.yml"));
    let yaml = dir.join(format!("{name}.yaml"));
    if !yaml.exists() && yml.exists() {
        yml
    } else {
        yaml
    }
}

/// The drills in `runbooks/drills/`, by name.
pub fn list(runbooks_dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(runbooks_dir.join("drills")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let stem = p.file_stem()?.to_str()?.to_string();
            is_drill_file(&p).then_some(stem)
        })
        .collect();
    names.sort();
    names
}

/// A `*.yaml` (or `*.yml`) file in a directory named `drills`.
pub fn is_drill_file(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str());
    let parent = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str());
    matches!(ext, Some("yaml" | "yml")) && parent == Some("drills")
}

/// Parses drill text; `path` names the file in errors, which carry the line and column.
pub fn parse(path: &str, text: &str) -> Result<Drill, Diagnostic> {
    let drill: Drill = serde_yaml::from_str(text).map_err(|e| {
        let c = crate::config::yaml_error(Path::new(path), &e);
        let pos = Pos {
            line: c.line.unwrap_or(1),
            col: c.column.unwrap_or(1),
        };
        Diagnostic::error("invalid-drill", pos, c.message)
            .hint("see docs/drill-format.md for every key")
            .in_file(path)
    })?;
    Ok(drill.sanitized())
}

/// Reads and parses one drill file.
pub fn load(path: &Path) -> Result<DrillFile, Diagnostic> {
    let shown = path.display().to_string();
    let top =
        |m: String| Diagnostic::error("unreadable", Pos { line: 1, col: 1 }, m).in_file(&shown);
    let meta = std::fs::metadata(path).map_err(|e| top(format!("cannot read: {e}")))?;
    if meta.len() > MAX_BYTES as u64 {
        return Err(top(format!(
            "file is larger than {MAX_BYTES} bytes; drill files are limited to that"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| top(format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| top("not UTF-8 text".into()))?;
    let drill = parse(&shown, &text)?;
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("drill")
        .to_string();
    Ok(DrillFile {
        id,
        path: path.to_path_buf(),
        sha256: sha256_hex(text.as_bytes()),
        text,
        drill,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
name: Small drill
targets: { rto: 30m, rpo: 5m }
phases:
  - name: Confirm
    target: 5m
  - name: Fail over
    target: 4m
    runbook: dr-region-failover
    step: fail-over-dns
    guards:
      - ask: Provider ETA under 30 minutes?
        stop_if: yes
measure_rpo:
  prompt: Replication lag at promotion?
  at: start of phase 2
";

    #[test]
    fn parses_and_round_trips_through_json() {
        let d = parse("x.yaml", TEXT).unwrap();
        assert_eq!(d.targets.rto.0.as_secs(), 1800);
        assert_eq!(d.phases[1].guards[0].stop_if, Answer::Yes);
        assert_eq!(d.measure_rpo.at, Moment::PhaseStart(2));
        let json = serde_json::to_string(&d).unwrap();
        assert!(json.contains(r#""rto":"30m""#), "{json}");
        assert!(json.contains(r#""at":"start of phase 2""#), "{json}");
        assert_eq!(serde_json::from_str::<Drill>(&json).unwrap(), d);
    }

    #[test]
    fn a_folded_description_and_by_hand_items_are_shown_without_their_newlines() {
        let text = TEXT
            .replace(
                "targets:",
                "description: >\n  Lose the region,\n  come back.\ntargets:",
            )
            .replace(
                "    target: 5m\n",
                "    target: 5m\n    by_hand:\n      - |\n        fence the primary\n",
            );
        let d = parse("x.yaml", &text).unwrap();
        assert_eq!(
            d.description.as_deref(),
            Some("Lose the region, come back.")
        );
        assert_eq!(d.phases[0].by_hand, vec!["fence the primary".to_string()]);
    }

    #[test]
    fn errors_carry_file_line_and_column() {
        let bad = TEXT.replace("    target: 4m", "    targte: 4m");
        let e = parse("runbooks/drills/x.yaml", &bad).unwrap_err();
        assert_eq!((e.line, e.code), (7, "invalid-drill"));
        assert!(
            e.to_string().starts_with(
                "runbooks/drills/x.yaml:7:5: error: phases[1]: unknown field `targte`"
            ),
            "{e}"
        );
        let bad = TEXT.replace("at: start of phase 2", "at: after lunch");
        let e = parse("x.yaml", &bad).unwrap_err();
        assert!(e.message.contains("`after lunch` is not a moment"), "{e}");
        let bad = TEXT.replace("targets: { rto: 30m, rpo: 5m }", "targets: { rto: 30m }");
        let e = parse("x.yaml", &bad).unwrap_err();
        assert!(e.message.contains("missing field `rpo`"), "{e}");
    }

    #[test]
    fn moments_parse_as_people_write_them() {
        assert_eq!(Moment::parse("End of Phase 3"), Ok(Moment::PhaseEnd(3)));
        assert_eq!(Moment::parse("end of the drill"), Ok(Moment::DrillEnd));
        assert!(Moment::parse("start of phase 0").is_err());
        assert_eq!(Moment::PhaseStart(2).to_string(), "start of phase 2");
    }

    #[test]
    fn drill_files_live_in_a_drills_directory() {
        assert!(is_drill_file(Path::new("runbooks/drills/a.yaml")));
        assert!(!is_drill_file(Path::new("runbooks/a.yaml")));
        assert!(!is_drill_file(Path::new("runbooks/drills/drill-log.md")));
        assert!(valid_name("dr-cross-region") && !valid_name("../x") && !valid_name(""));
    }
}
