//! The YAML config file: where it is found, what it may say, and errors that point at the
//! offending line so a typo never silently changes behaviour.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::keymap::{Action, KeyList, Keymap};

/// The config file as written. Every key is optional; unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    /// Theme name: a builtin or a file in the config dir's `themes/`.
    pub theme: Option<String>,
    /// Start in read-only mode: nothing that changes anything outside the console runs.
    pub read_only: bool,
    /// Log verbosity for the log file: error, warn, info, debug or trace.
    pub log_level: Option<LogLevel>,
    /// Key overrides: action name → key or list of keys.
    pub keys: BTreeMap<Action, KeyList>,
    /// The name recorded as the author of this console's acks and notes (default: $USER).
    pub user: Option<String>,
    /// Kube contexts where every change needs the target's name typed.
    pub protected_contexts: Vec<String>,
    /// Kube contexts where nothing may change (checks still run).
    pub read_only_contexts: Vec<String>,
    /// An alert's `cluster` or `region` label value → the kube context it lives in.
    pub region_contexts: BTreeMap<String, String>,
    /// The kubeconfig to read instead of `$KUBECONFIG` / `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// Where the config came from, for messages and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// `--config PATH` or `WARROOM_CONFIG`: the file must exist.
    Explicit(PathBuf),
    /// The XDG config file: a missing one means defaults.
    Default(PathBuf),
    /// No home directory could be found, so only defaults.
    None,
}

/// A config error, printed as `file:line:column: message` when the position is known.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The config in force after defaults and overrides are applied.
#[derive(Debug, Clone)]
pub struct Config {
    pub source: ConfigSource,
    pub theme: Option<String>,
    pub read_only: bool,
    pub log_level: Option<LogLevel>,
    pub keymap: Keymap,
    pub user: Option<String>,
    pub protected_contexts: Vec<String>,
    pub read_only_contexts: Vec<String>,
    pub region_contexts: BTreeMap<String, String>,
    pub kubeconfig: Option<PathBuf>,
}

impl Config {
    /// What the mitigation gate reads from the config; `read_only` also covers the flag.
    pub fn gate_config(&self, read_only: bool) -> crate::exec::gate::GateConfig {
        crate::exec::gate::GateConfig {
            read_only: read_only || self.read_only,
            read_only_contexts: self.read_only_contexts.clone(),
            protected_contexts: self.protected_contexts.clone(),
            region_contexts: self.region_contexts.clone(),
        }
    }
}

impl Config {
    /// Finds and reads the config: `explicit` (from `--config` or `WARROOM_CONFIG`, which
    /// clap merges) wins, else `default_path` if it exists, else defaults.
    pub fn load(
        explicit: Option<&Path>,
        default_path: Option<&Path>,
    ) -> Result<Config, ConfigError> {
        let (source, text) = match (explicit, default_path) {
            (Some(p), _) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError {
                    path: p.to_path_buf(),
                    line: None,
                    column: None,
                    message: format!("cannot read the config file: {e}"),
                })?;
                (ConfigSource::Explicit(p.to_path_buf()), Some(text))
            }
            (None, Some(p)) => match std::fs::read_to_string(p) {
                Ok(text) => (ConfigSource::Default(p.to_path_buf()), Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    (ConfigSource::Default(p.to_path_buf()), None)
                }
                Err(e) => {
                    return Err(ConfigError {
                        path: p.to_path_buf(),
                        line: None,
                        column: None,
                        message: format!("cannot read the config file: {e}"),
                    });
                }
            },
            (None, None) => (ConfigSource::None, None),
        };
        let path = match &source {
            ConfigSource::Explicit(p) | ConfigSource::Default(p) => p.clone(),
            ConfigSource::None => PathBuf::from("(defaults)"),
        };
        let file = match &text {
            Some(t) => parse(&path, t)?,
            None => ConfigFile::default(),
        };
        Config::resolve(source, &path, file, text)
    }

    fn resolve(
        source: ConfigSource,
        path: &Path,
        file: ConfigFile,
        text: Option<String>,
    ) -> Result<Config, ConfigError> {
        let keymap = Keymap::with_overrides(file.keys).map_err(|(action, message)| {
            // serde cannot see across keys, so find the action's line ourselves.
            let pos = text
                .as_deref()
                .and_then(|t| find_key_line(t, action.config_name()));
            ConfigError {
                path: path.to_path_buf(),
                line: pos.map(|p| p.0),
                column: pos.map(|p| p.1),
                message: format!("keys: {message}"),
            }
        })?;
        Ok(Config {
            source,
            theme: file.theme,
            read_only: file.read_only,
            log_level: file.log_level,
            keymap,
            user: file.user,
            protected_contexts: file.protected_contexts,
            read_only_contexts: file.read_only_contexts,
            region_contexts: file.region_contexts,
            kubeconfig: file.kubeconfig,
        })
    }
}

/// Parses config text; `path` only names the file in errors.
pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
    // An empty file (or only comments) is a valid "all defaults" config.
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(ConfigFile::default());
    }
    serde_yaml::from_str(text).map_err(|e| yaml_error(path, &e))
}

/// Turns a serde_yaml error into `file:line:col: message`, without repeating the position
/// serde_yaml also appends to its message.
pub fn yaml_error(path: &Path, e: &serde_yaml::Error) -> ConfigError {
    let mut message = e.to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    let loc = e.location();
    ConfigError {
        path: path.to_path_buf(),
        line: loc.as_ref().map(|l| l.line()),
        column: loc.as_ref().map(|l| l.column()),
        message,
    }
}

/// The 1-based (line, column) of `name:` inside the top-level `keys:` block, if any.
fn find_key_line(text: &str, name: &str) -> Option<(usize, usize)> {
    let mut in_keys = false;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        if indent == 0 && !trimmed.is_empty() && !trimmed.starts_with('#') {
            in_keys = trimmed.starts_with("keys:");
            continue;
        }
        if in_keys && trimmed.starts_with(&format!("{name}:")) {
            return Some((i + 1, indent + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.yaml");
        std::fs::write(&p, text).unwrap();
        Config::load(Some(&p), None)
    }

    #[test]
    fn missing_default_file_means_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config::load(None, Some(&dir.path().join("nope.yaml"))).unwrap();
        assert!(!cfg.read_only);
        assert_eq!(cfg.keymap, Keymap::default());
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/warroom.yaml")), None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/warroom.yaml: cannot read"),
            "{err}"
        );
    }

    #[test]
    fn comments_only_is_defaults() {
        assert!(load_text("# nothing yet\n\n").is_ok());
    }

    #[test]
    fn unknown_key_points_at_its_line() {
        let err = load_text("theme: dark\nread_onyl: true\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(1)));
        assert!(
            err.message.contains("unknown field `read_onyl`"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("read_only"),
            "suggests the valid keys: {}",
            err.message
        );
    }

    #[test]
    fn wrong_type_points_at_the_value() {
        let err = load_text("theme: dark\nread_only: maybe\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(
            err.message.contains("invalid type") || err.message.contains("bool"),
            "{}",
            err.message
        );
    }

    #[test]
    fn key_conflict_points_at_the_action() {
        let err = load_text("theme: dark\nkeys:\n  zoom: q\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(3)), "{err}");
        assert!(
            err.to_string().contains("bound to both `quit` and `zoom`"),
            "{err}"
        );
    }

    #[test]
    fn bad_key_spec_and_unknown_action_are_errors() {
        let err = load_text("keys:\n  zoom: hyper-z\n").unwrap_err();
        assert!(err.message.contains("unknown modifier"), "{err}");
        let err = load_text("keys:\n  zooom: z\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("zooom"), "{err}");
    }

    #[test]
    fn full_config_applies() {
        let cfg =
            load_text("theme: light\nread_only: true\nlog_level: debug\nkeys:\n  zoom: [Z, f2]\n")
                .unwrap();
        assert_eq!(cfg.theme.as_deref(), Some("light"));
        assert!(cfg.read_only);
        assert_eq!(cfg.log_level, Some(LogLevel::Debug));
        assert_eq!(cfg.keymap.keys(Action::Zoom).len(), 2);
    }
}
