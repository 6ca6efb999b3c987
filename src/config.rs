//! The YAML config file: where it is found, what it may say, and errors that point at the
//! offending line so a typo never silently changes behaviour.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::keymap::{Action, KeyList, Keymap};
use crate::sources::alertmanager::SeverityMap;
use crate::sources::http::{HttpSettings, TokenSource};
use crate::sources::timing::Span;
use crate::state::Severity;

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
    /// Where the runbooks live; relative to the config file's directory.
    pub runbooks_dir: Option<PathBuf>,
    /// The markdown drill log; relative to the config file's directory.
    pub drill_log: Option<PathBuf>,
    pub alertmanager: Option<ServerFile>,
    pub prometheus: Option<ServerFile>,
    /// The alert label that carries the severity.
    pub severity_label: Option<String>,
    /// Severity label value → P0, P1 or P2.
    pub severity_map: BTreeMap<String, Severity>,
    /// Sloth SLO spec files (relative paths are relative to the config file).
    pub slo_specs: Vec<PathBuf>,
    /// The SLO window for availability and error budget.
    pub slo_window: Option<Span>,
    /// SLO name → PromQL for its p99 latency in seconds.
    pub latency_queries: BTreeMap<String, String>,
    /// Kube contexts where every change needs the target's name typed.
    pub protected_contexts: Vec<String>,
    /// Kube contexts where nothing may change (checks still run).
    pub read_only_contexts: Vec<String>,
    /// An alert's `cluster` or `region` label value → the kube context it lives in.
    pub region_contexts: BTreeMap<String, String>,
    /// The kubeconfig to read instead of `$KUBECONFIG` / `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// Programs a `kind=check` block may run as read-only, besides the built-in ones.
    pub read_only_tools: Vec<String>,
}

/// One server section (`alertmanager:` or `prometheus:`) as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerFile {
    pub url: Option<String>,
    pub urls: Vec<String>,
    pub interval: Option<Span>,
    pub timeout: Option<Span>,
    pub connect_timeout: Option<Span>,
    pub backoff_max: Option<Span>,
    pub max_body_bytes: Option<usize>,
    pub bearer_token_file: Option<PathBuf>,
    pub bearer_token_env: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// Prometheus only: sparkline history and step.
    pub history: Option<Span>,
    pub step: Option<Span>,
}

/// A server section after defaults: where, how often, how.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub urls: Vec<String>,
    pub interval: Duration,
    pub http: HttpSettings,
    pub history: Duration,
    pub step: Duration,
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
        // Messages quote the file (an unknown key, a bad value): escaped for the terminal.
        let path = self.path.display().to_string();
        write!(f, "{}", crate::sanitize::escape(&path))?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        write!(
            f,
            ": {}",
            crate::sanitize::escape_keeping_lines(&self.message)
        )
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
    /// `runbooks_dir` from the file, resolved against the file's directory.
    pub runbooks_dir: Option<PathBuf>,
    /// `drill_log` from the file, resolved against the file's directory.
    pub drill_log: Option<PathBuf>,
    pub alertmanager: Option<Server>,
    pub prometheus: Option<Server>,
    pub severity: SeverityMap,
    pub slo_specs: Vec<PathBuf>,
    pub slo_window: Duration,
    pub latency_queries: BTreeMap<String, String>,
    pub protected_contexts: Vec<String>,
    pub read_only_contexts: Vec<String>,
    pub region_contexts: BTreeMap<String, String>,
    pub kubeconfig: Option<PathBuf>,
    pub read_only_tools: Vec<String>,
}

impl Config {
    /// The runbooks directory in force: the configured one, else `./runbooks` when it exists.
    pub fn runbooks_dir(&self) -> Option<PathBuf> {
        self.runbooks_dir.clone().or_else(|| {
            let local = PathBuf::from("runbooks");
            local.is_dir().then_some(local)
        })
    }

    /// The drill log in force: the configured file, else `drills/drill-log.md` in the
    /// runbooks directory.
    pub fn drill_log(&self, runbooks_dir: &Path) -> PathBuf {
        self.drill_log.clone().unwrap_or_else(|| {
            runbooks_dir
                .join("drills")
                .join(crate::drill::log::FILE_NAME)
        })
    }

    /// What the mitigation gate reads from the config; `read_only` also covers the flag.
    pub fn gate_config(&self, read_only: bool) -> crate::exec::gate::GateConfig {
        crate::exec::gate::GateConfig {
            read_only: read_only || self.read_only,
            read_only_contexts: self.read_only_contexts.clone(),
            protected_contexts: self.protected_contexts.clone(),
            region_contexts: self.region_contexts.clone(),
            read_only_tools: self.read_only_tools.clone(),
            kubeconfig: self.kubeconfig.clone(),
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
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let at = |key: &str, message: String| {
            let pos = text.as_deref().and_then(|t| find_top_key(t, key));
            ConfigError {
                path: path.to_path_buf(),
                line: pos.map(|p| p.0),
                column: pos.map(|p| p.1),
                message,
            }
        };
        let alertmanager = match file.alertmanager {
            None => None,
            Some(f) => Some(
                server(f, &base, Duration::from_secs(15), true)
                    .map_err(|m| at("alertmanager", format!("alertmanager: {m}")))?,
            ),
        };
        let prometheus = match file.prometheus {
            None => None,
            Some(f) => Some(
                server(f, &base, Duration::from_secs(30), false)
                    .map_err(|m| at("prometheus", format!("prometheus: {m}")))?,
            ),
        };
        if !file.slo_specs.is_empty() && prometheus.is_none() {
            return Err(at(
                "slo_specs",
                "slo_specs: SLOs are computed by Prometheus; add a `prometheus:` section with its url".into(),
            ));
        }
        if let Some(why) = file
            .read_only_tools
            .iter()
            .find_map(|t| crate::exec::tools::refuse_tool(t))
        {
            return Err(at("read_only_tools", format!("read_only_tools: {why}")));
        }
        let mut severity = SeverityMap::default();
        if let Some(l) = file.severity_label {
            severity.label = l;
        }
        if !file.severity_map.is_empty() {
            severity.map = file.severity_map;
        }
        Ok(Config {
            source,
            theme: file.theme,
            read_only: file.read_only,
            log_level: file.log_level,
            keymap,
            runbooks_dir: file.runbooks_dir.map(|d| beside(path, d)),
            drill_log: file.drill_log.map(|d| beside(path, d)),
            user: file.user.filter(|u| !u.trim().is_empty()),
            alertmanager,
            prometheus,
            severity,
            slo_specs: file.slo_specs.iter().map(|p| base.join(p)).collect(),
            slo_window: file
                .slo_window
                .map_or(Duration::from_secs(30 * 86_400), |s| s.0),
            latency_queries: file.latency_queries,
            protected_contexts: file.protected_contexts,
            read_only_contexts: file.read_only_contexts,
            region_contexts: file.region_contexts,
            kubeconfig: file.kubeconfig,
            read_only_tools: file.read_only_tools,
        })
    }
}

/// A relative path from the config file is relative to the file's directory.
fn beside(config: &Path, p: PathBuf) -> PathBuf {
    match config.parent() {
        Some(base) if p.is_relative() && !base.as_os_str().is_empty() => base.join(p),
        _ => p,
    }
}

fn server(f: ServerFile, base: &Path, interval: Duration, many: bool) -> Result<Server, String> {
    let mut urls = f.urls;
    if let Some(u) = f.url {
        if !urls.is_empty() {
            return Err("give either `url` or `urls`, not both".into());
        }
        urls.push(u);
    }
    if urls.is_empty() {
        return Err("`url` is missing".into());
    }
    if !many && urls.len() > 1 {
        return Err(
            "takes one `url` (put a load balancer or Thanos Query in front of several)".into(),
        );
    }
    for u in &urls {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(format!("`{u}` is not an http:// or https:// URL"));
        }
    }
    let token = match (f.bearer_token_file, f.bearer_token_env) {
        (Some(_), Some(_)) => {
            return Err("give either `bearer_token_file` or `bearer_token_env`, not both".into());
        }
        (Some(p), None) => Some(TokenSource::File(base.join(p))),
        (None, Some(e)) => Some(TokenSource::Env(e)),
        (None, None) => None,
    };
    let d = HttpSettings::default();
    let interval = f.interval.map_or(interval, |s| s.0);
    if interval < Duration::from_millis(200) {
        return Err("`interval` must be at least 200ms".into());
    }
    let http = HttpSettings {
        connect_timeout: f.connect_timeout.map_or(d.connect_timeout, |s| s.0),
        timeout: f.timeout.map_or(d.timeout, |s| s.0),
        max_body_bytes: f.max_body_bytes.unwrap_or(d.max_body_bytes),
        token,
        ca_file: f.ca_file.map(|p| base.join(p)),
        backoff_min: interval.min(d.backoff_min.max(interval / 4)),
        backoff_max: f.backoff_max.map_or(d.backoff_max, |s| s.0),
    };
    Ok(Server {
        urls,
        interval,
        http,
        history: f.history.map_or(Duration::from_secs(6 * 3600), |s| s.0),
        step: f.step.map_or(Duration::from_secs(120), |s| s.0),
    })
}

/// The 1-based (line, column) of a top-level `name:` key.
fn find_top_key(text: &str, name: &str) -> Option<(usize, usize)> {
    text.lines()
        .position(|l| l.starts_with(&format!("{name}:")))
        .map(|i| (i + 1, 1))
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
    fn runbooks_dir_is_relative_to_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, "runbooks_dir: books\n").unwrap();
        let cfg = Config::load(Some(&path), None).unwrap();
        assert_eq!(cfg.runbooks_dir(), Some(dir.path().join("books")));
        assert_eq!(
            cfg.drill_log(&dir.path().join("books")),
            dir.path().join("books/drills/drill-log.md"),
            "the drill log defaults to the runbooks' drills/"
        );
        std::fs::write(&path, "drill_log: logs/drills.md\n").unwrap();
        let cfg = Config::load(Some(&path), None).unwrap();
        assert_eq!(
            cfg.drill_log(Path::new("elsewhere")),
            dir.path().join("logs/drills.md")
        );
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

    #[test]
    fn live_sources_config() {
        let cfg = load_text(
            "user: alice\nalertmanager:\n  urls: [http://127.0.0.1:9093, http://127.0.0.1:9094]\n  interval: 5s\n  bearer_token_env: AM_TOKEN\nprometheus:\n  url: http://127.0.0.1:9090\n  timeout: 4s\n  ca_file: ca.pem\nseverity_map:\n  critical: P0\n  page: p1\nslo_specs: [slo/checkout.yaml]\nslo_window: 28d\n",
        )
        .unwrap();
        assert_eq!(cfg.user.as_deref(), Some("alice"));
        let am = cfg.alertmanager.unwrap();
        assert_eq!(am.urls.len(), 2);
        assert_eq!(am.interval, Duration::from_secs(5));
        assert_eq!(am.http.token, Some(TokenSource::Env("AM_TOKEN".into())));
        let prom = cfg.prometheus.unwrap();
        assert_eq!(prom.http.timeout, Duration::from_secs(4));
        assert!(prom.http.ca_file.unwrap().ends_with("ca.pem"));
        assert_eq!(cfg.severity.map["page"], Severity::P1);
        assert!(cfg.slo_specs[0].ends_with("slo/checkout.yaml"));
        assert_eq!(cfg.slo_window, Duration::from_secs(28 * 86_400));
    }

    #[test]
    fn live_sources_errors_point_at_lines() {
        let err = load_text("theme: dark\nseverity_map:\n  critical: P5\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("P5"), "{err}");
        let err = load_text("theme: dark\nprometheus:\n  url: http://a\n  urls: [http://b]\n")
            .unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("not both"), "{err}");
        let err = load_text("alertmanager:\n  urls: [http://a]\n  intervall: 5s\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        let err = load_text("slo_specs: [a.yaml]\n").unwrap_err();
        assert!(err.message.contains("prometheus"), "{err}");
    }
}
