//! The `warroom` binary: parse the command line, load config and theme, set up logging and
//! the terminal's safety nets, then hand over to the runtime or run a subcommand.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::{CommandFactory, Parser};

use warroom::app::{self, Options};
use warroom::cli::{Cli, Command, IncidentCommand, LintFormat};
use warroom::config::{Config, LogLevel};
use warroom::incident::lock::{IncidentLock, LockHolder};
use warroom::incident::{Journal, RecordKind, postmortem, store};
use warroom::paths::Paths;
use warroom::sources::alertmanager::Alertmanager;
use warroom::sources::demo::Scenario;
use warroom::sources::prometheus::{Prometheus, load_sloth};
use warroom::state::{DrillRun, DrillSetup, Mode};
use warroom::{logging, term, theme};

/// Exit code for bad configuration or usage, as opposed to a failure while running.
const EXIT_USAGE: u8 = 2;

type Failure = (u8, String);

fn main() -> ExitCode {
    one_malloc_arena();
    // kube and reqwest share one rustls provider; it must be chosen before any client exists.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Lint {
            ref paths,
            format,
            deny_warnings,
        }) => {
            return lint(&cli, paths, format == LintFormat::Json, deny_warnings);
        }
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "warroom",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Some(Command::Postmortem {
            ref incident,
            ref output,
            ref template,
        }) => write_postmortem(
            &cli,
            incident.as_deref(),
            output.as_deref(),
            template.as_deref(),
        ),
        Some(Command::Incident { ref action }) => incident_command(&cli, action),
        Some(Command::Audit { ref incident }) => audit(&cli, incident.as_deref()),
        Some(Command::Follow { ref incident }) => {
            let incident = incident.clone();
            console(cli, Some(incident), None, None)
        }
        Some(Command::Gameday { ref name }) => {
            let name = name.clone();
            console(cli, None, Some(name), None)
        }
        Some(Command::Drill { ref name }) => {
            let name = name.clone();
            drill(cli, &name)
        }
        None => console(cli, None, None, None),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err((code, msg)) => {
            eprintln!("warroom: {msg}");
            ExitCode::from(code)
        }
    }
}

/// The Alertmanager and Prometheus clients the config asks for; SLO specs are read here so
/// a bad spec stops the start with its file and line.
fn live_sources(
    config: &Config,
) -> Result<(Option<Alertmanager>, Option<Prometheus>), (u8, String)> {
    let usage = |m: String| (EXIT_USAGE, m);
    let am = match &config.alertmanager {
        None => None,
        Some(s) => Some(
            Alertmanager::new(
                s.urls.clone(),
                s.http.clone(),
                s.interval,
                config.severity.clone(),
            )
            .map_err(|e| usage(format!("alertmanager: {e}")))?,
        ),
    };
    let prom = match &config.prometheus {
        None => None,
        Some(s) => {
            let mut slos = Vec::new();
            for path in &config.slo_specs {
                slos.extend(load_sloth(path).map_err(|e| usage(e.to_string()))?);
            }
            for def in &mut slos {
                def.latency_query = config.latency_queries.get(&def.name).cloned();
            }
            let mut p = Prometheus::new(
                &s.urls[0],
                s.http.clone(),
                s.interval,
                slos,
                config.slo_window,
            )
            .map_err(|e| usage(format!("prometheus: {e}")))?;
            p.history = s.history;
            p.step = s.step;
            Some(p)
        }
    };
    Ok((am, prom))
}

fn usage(m: String) -> Failure {
    (EXIT_USAGE, m)
}

struct Setup {
    paths: Option<Paths>,
    config: Config,
}

/// `warroom lint`: runs before anything touches the terminal.
/// One glibc malloc arena for the whole process. Each thread that allocates otherwise gets
/// an arena of its own: a poll's megabytes parsed on one runtime thread and freed on
/// another stay reserved in both, about 3 MiB more peak RSS with 10 000 alerts
/// (docs/performance.md). The console's few threads do not contend for it.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first in `main`, before any other thread exists; `mallopt` only sets
    // a tuning parameter and reports failure by its return value, which changes nothing.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn lint(cli: &Cli, paths: &[std::path::PathBuf], json: bool, deny_warnings: bool) -> ExitCode {
    let config = Config::load(
        cli.config.as_deref(),
        Paths::discover().map(|p| p.config_file()).as_deref(),
    );
    let defaulted = paths.is_empty();
    let paths = if defaulted {
        match config.as_ref().map(|c| c.runbooks_dir()) {
            Ok(Some(dir)) => vec![dir],
            Ok(None) => {
                eprintln!(
                    "warroom: no runbooks directory: name files or directories, set runbooks_dir in the config, or run where ./runbooks exists"
                );
                return ExitCode::from(EXIT_USAGE);
            }
            Err(e) => {
                eprintln!("warroom: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    } else {
        paths.to_vec()
    };
    // The config's own drill log, wherever it is, when the config's runbooks are linted
    // (no paths given) or a path given is the log or a directory holding it. With explicit
    // paths a broken config only loses this and its read_only_tools, and says so.
    let covers = |p: &std::path::PathBuf, log: &std::path::Path| {
        let real = |x: &std::path::Path| std::fs::canonicalize(x).ok();
        p.as_path() == log
            || real(p)
                .zip(real(log))
                .is_some_and(|(p, l)| l.starts_with(p))
    };
    let (logs, read_only_tools): (Vec<std::path::PathBuf>, Vec<String>) = match config {
        Ok(c) => (
            c.drill_log
                .filter(|log| defaulted || paths.iter().any(|p| covers(p, log)))
                .into_iter()
                .collect(),
            // Checks are judged with the config's read_only_tools, as the console judges them.
            c.read_only_tools,
        ),
        Err(e) => {
            eprintln!(
                "warroom: lint: the config was not read ({e}); its drill log and read_only_tools are not counted"
            );
            (Vec::new(), Vec::new())
        }
    };
    let today = chrono::Utc::now().date_naive();
    match warroom::runbook::command::run(
        &paths,
        &logs,
        json,
        deny_warnings,
        today,
        &read_only_tools,
        &mut std::io::stdout(),
    ) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("warroom: lint: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn setup(cli: &Cli) -> Result<Setup, Failure> {
    let paths = Paths::discover();
    let config = Config::load(
        cli.config.as_deref(),
        paths.as_ref().map(|p| p.config_file()).as_deref(),
    )
    .map_err(|e| usage(e.to_string()))?;
    Ok(Setup { paths, config })
}

fn user(config: &Config) -> String {
    config
        .user
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "operator".into())
}

fn incidents_dir(s: &Setup) -> Result<PathBuf, Failure> {
    s.paths
        .as_ref()
        .map(|p| p.data_dir.join("incidents"))
        .ok_or_else(|| {
            (
                1,
                "no home directory: cannot find where incidents are kept".into(),
            )
        })
}

/// A drill console: the drill read and linted, and the run to resume if any.
struct DrillLaunch {
    setup: Box<DrillSetup>,
    resume: Option<store::IncidentSummary>,
    /// Shown in the status bar once the console is up.
    warnings: Vec<String>,
}

/// `warroom drill NAME`: reads and lints the drill file (errors stop here, before the
/// terminal), reads the drill log, logs finished runs the log lacks, finds the unfinished
/// run to resume, then opens the console with the drill first.
fn drill(cli: Cli, name: &str) -> Result<u8, Failure> {
    use warroom::drill::log;
    let s = setup(&cli)?;
    let dir = s.config.runbooks_dir().ok_or_else(|| {
        usage(
            "no runbooks directory: set runbooks_dir in the config, or run where ./runbooks exists"
                .into(),
        )
    })?;
    if !warroom::drill::model::valid_name(name) {
        return Err(usage(format!(
            "`{name}` is not a drill name (letters, digits, `-` and `_`: the file's name without .yaml)"
        )));
    }
    let root = incidents_dir(&s)?;
    let runs = store::drill_runs(&root, name);
    let resume = runs.iter().rev().find(|r| !r.resolved).cloned();
    let path = warroom::drill::model::file_path(&dir, name);
    // An unfinished run goes on with the drill as it started, even if the file has since
    // been broken or removed: the journal holds it, targets and all.
    let mut warnings = Vec::new();
    let (spec, sha256) = match (checked_drill_file(&dir, name, &path), &resume) {
        (Ok(file), _) => (file.drill, file.sha256),
        (Err(e), Some(run)) => {
            let records = store::read_records(&run.dir).map_err(|e| (1, e.to_string()))?;
            let started =
                DrillRun::from_records(Some(run.id.clone()), &records).ok_or_else(|| {
                    (
                        1,
                        format!("{}: the run has no drill_started record", run.dir.display()),
                    )
                })?;
            tracing::warn!("drill file: {e}");
            warnings.push(
                "the drill file has errors now: resumed with the drill as it started (see `warroom lint`)"
                    .into(),
            );
            (started.spec, started.sha256)
        }
        (Err(e), None) => return Err(usage(e)),
    };
    let log_path = s.config.drill_log(&dir);
    let read_log = || {
        log::read(&log_path).map_err(|e| {
            usage(format!(
                "{e}\nfix the drill log first: drills are compared through it"
            ))
        })
    };
    log_finished_runs(&runs, &log_path, &read_log()?);
    let entries = read_log()?;
    let setup = DrillSetup {
        drill: name.to_string(),
        // The last scored run of this drill (no run of it is to be left out here).
        previous: log::previous(&entries, name, "").cloned(),
        file: path,
        sha256,
        spec,
        log: log_path,
    };
    let launch = DrillLaunch {
        setup: Box::new(setup),
        resume,
        warnings,
    };
    console(cli, None, None, Some(launch))
}

/// The drill file, read and linted against the runbooks; every problem in one message.
fn checked_drill_file(
    dir: &std::path::Path,
    name: &str,
    path: &std::path::Path,
) -> Result<warroom::drill::DrillFile, String> {
    use warroom::drill::{lint, model};
    if !path.is_file() {
        let known = model::list(dir);
        let there = if known.is_empty() {
            format!("there are no drills in {}", dir.join("drills").display())
        } else {
            format!("drills there: {}", known.join(", "))
        };
        return Err(format!(
            "no drill `{name}`: {} does not exist ({there})",
            path.display()
        ));
    }
    let file = model::load(path).map_err(|d| d.to_string())?;
    let (runbooks, _) = warroom::runbook::load::load_dir(dir, Utc::now().date_naive());
    let errors: Vec<String> = lint::lint(&file, &runbooks)
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "{}\nthe drill file has errors: fix them (`warroom lint {}`), then start the drill",
            errors.join("\n"),
            path.display()
        ));
    }
    Ok(file)
}

/// Runs that were scored but never reached the log (the console stopped between the two)
/// are logged now, oldest first.
fn log_finished_runs(
    runs: &[store::IncidentSummary],
    log_path: &std::path::Path,
    entries: &[warroom::drill::LogEntry],
) {
    for run in runs.iter().filter(|r| r.resolved) {
        if entries.iter().any(|e| e.run == run.id) {
            continue;
        }
        let Ok(records) = store::read_records(&run.dir) else {
            continue;
        };
        let entry = DrillRun::from_records(Some(run.id.clone()), &records)
            .and_then(|d| d.log_entry(&records));
        if let Some(entry) = entry {
            match warroom::drill::log::append(log_path, &entry) {
                Ok(true) => eprintln!(
                    "warroom: drill run {} was scored but not logged; logged it to {}",
                    run.id,
                    log_path.display()
                ),
                Ok(false) => {}
                Err(e) => eprintln!("warroom: warning: drill run {} not logged: {e}", run.id),
            }
        }
    }
}

/// `follow`: `Some(id or None for the latest)`; the plain console: `None`. `gameday`:
/// `warroom gameday [NAME]`; `drill`: a drill console.
fn console(
    cli: Cli,
    follow: Option<Option<String>>,
    gameday: Option<Option<String>>,
    drill: Option<DrillLaunch>,
) -> Result<u8, Failure> {
    let s = setup(&cli)?;
    let config = s.config.clone();
    let theme_name = cli
        .theme
        .clone()
        .or(config.theme.clone())
        .unwrap_or_else(|| "dark".into());
    let mut theme = theme::load(
        &theme_name,
        s.paths.as_ref().map(|p| p.themes_dir()).as_deref(),
    )
    .map_err(|e| usage(e.to_string()))?;
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        theme = theme.monochrome();
    }
    let incidents = s.paths.as_ref().map(|p| p.data_dir.join("incidents"));
    let follow = match follow {
        Some(id) => {
            let root = incidents_dir(&s)?;
            Some(store::pick(&root, id.as_deref()).map_err(|e| (1, e))?)
        }
        None => None,
    };
    // A followed demo incident is shown with the demo's panes, like its writer's.
    let demo = drill.is_none() && (cli.demo || follow.as_ref().is_some_and(|f| f.is_demo()));
    let scenario = if demo {
        Some(Scenario::embedded().map_err(|e| (1, e))?)
    } else {
        None
    };
    let gameday = match gameday {
        Some(name) => {
            Some(warroom::gameday::start::load(&config, demo, name.as_deref()).map_err(usage)?)
        }
        None => None,
    };
    // Live mode reads the runbooks directory once, before the screen is taken over.
    let (runbooks, runbook_problems) = match (demo, config.runbooks_dir()) {
        (false, Some(dir)) => {
            let (books, problems) =
                warroom::runbook::load::load_dir(&dir, chrono::Utc::now().date_naive());
            (Some(books), problems)
        }
        _ => (None, Vec::new()),
    };
    // Live sources (SLO specs, token, CA) are checked before the terminal, so a mistake
    // is reported even when there is none.
    let (alertmanager, prometheus) = if demo {
        (None, None)
    } else {
        live_sources(&config)?
    };
    if !std::io::stdout().is_terminal() {
        return Err(usage(
            "standard output is not a terminal; the console needs one (see `warroom --help`)"
                .into(),
        ));
    }

    let level = cli.log_level.or(config.log_level).unwrap_or(LogLevel::Info);
    let _log_guard = match &s.paths {
        Some(p) => match logging::init(&p.log_dir(), level) {
            Ok((guard, file)) => {
                tracing::info!(version = env!("CARGO_PKG_VERSION"), log = %file.display(), config = ?config.source, "starting");
                Some(guard)
            }
            Err(e) => {
                eprintln!("warroom: warning: {e}; continuing without a log file");
                None
            }
        },
        None => None,
    };

    for p in &runbook_problems {
        tracing::warn!("runbook: {p}");
    }
    let mut warnings = match runbook_problems.len() {
        0 => Vec::new(),
        n => vec![format!(
            "{n} runbook(s) could not be loaded; run `warroom lint` for details"
        )],
    };
    if let Some(d) = &drill {
        warnings.extend(d.warnings.iter().cloned());
    }
    let opts = Options {
        mode: if demo { Mode::Demo } else { Mode::Live },
        scenario,
        theme,
        keymap: config.keymap.clone(),
        read_only: cli.read_only || config.read_only,
        user: warroom::sanitize::escape_truncated(&user(&config), 64),
        incidents_dir: incidents,
        follow,
        runbooks,
        warnings,
        alertmanager,
        prometheus,
        gate: config.gate_config(cli.read_only),
        kubeconfig: config.kubeconfig.clone(),
        gameday,
        drill_resume: drill.as_ref().and_then(|d| d.resume.clone()),
        drill: drill.map(|d| d.setup),
    };
    term::install_panic_hook();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| (1, format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(app::run(opts));
    let _ = term::restore();
    // A mitigation still running is killed with its group and recorded as interrupted
    // (fsynced) before the process ends, whatever the way out.
    let why = match &result {
        Ok(code) => warroom::exec::interrupt::exit_reason(*code),
        Err(_) => warroom::exec::interrupt::exit_reason(1),
    };
    warroom::exec::interrupt::finish(why, warroom::exec::interrupt::FLUSH_WAIT);
    // Producers may be parked on a terminal read; do not wait for them.
    runtime.shutdown_background();
    result.map_err(|e| {
        tracing::error!("{e:#}");
        (1, format!("{e:#}"))
    })
}

/// `warroom audit [INCIDENT]`: the incident's commands and mitigations, from its journal.
fn audit(cli: &Cli, id: Option<&str>) -> Result<u8, Failure> {
    let s = setup(cli)?;
    let root = incidents_dir(&s)?;
    let summary = store::pick(&root, id).map_err(|e| (1, e))?;
    let records = store::read_records(&summary.dir).map_err(|e| (1, e.to_string()))?;
    print!(
        "{}",
        warroom::incident::audit::render(&summary.id, &records)
    );
    Ok(0)
}

fn write_postmortem(
    cli: &Cli,
    id: Option<&str>,
    output: Option<&std::path::Path>,
    template: Option<&std::path::Path>,
) -> Result<u8, Failure> {
    let s = setup(cli)?;
    let root = incidents_dir(&s)?;
    let summary = store::pick(&root, id).map_err(|e| (1, e))?;
    let records = store::read_records(&summary.dir).map_err(|e| (1, e.to_string()))?;
    let default_file = PathBuf::from("runbooks/postmortem-template.md");
    let template_text = match template {
        Some(p) => {
            std::fs::read_to_string(p).map_err(|e| usage(format!("{}: {e}", p.display())))?
        }
        None => std::fs::read_to_string(&default_file)
            .unwrap_or_else(|_| postmortem::DEFAULT_TEMPLATE.to_string()),
    };
    let now = Utc::now();
    let slo = slo_impact(&s.config, &records, now);
    let text = postmortem::render_with_slo(&records, &template_text, now, &slo)
        .map_err(|e| (1, format!("{}: {e}", summary.dir.display())))?;
    match output {
        Some(p) => {
            postmortem::write_atomically(p, &text)
                .map_err(|e| (1, format!("{}: {e}", p.display())))?;
            eprintln!(
                "warroom: postmortem draft for {} written to {}",
                summary.id,
                p.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(0)
}

/// The SLO budget the incident burned, from Prometheus, when the config names it and SLO
/// specs: each SLO's error ratio over the incident's span, as a share of its window's budget.
fn slo_impact(
    config: &Config,
    records: &[warroom::incident::Record],
    now: chrono::DateTime<Utc>,
) -> postmortem::SloSection {
    use postmortem::{SloImpact, SloSection};
    if config.prometheus.is_none() || config.slo_specs.is_empty() {
        return SloSection::NotConfigured;
    }
    let prom = match live_sources(config) {
        Ok((_, Some(p))) => p,
        Ok((_, None)) => return SloSection::NotConfigured,
        Err((_, e)) => return SloSection::Failed(e),
    };
    let Some((from, to)) = postmortem::span(records, now) else {
        return SloSection::NotConfigured;
    };
    let span = (to - from)
        .to_std()
        .unwrap_or_default()
        .max(std::time::Duration::from_secs(60));
    let window = warroom::sources::prometheus::promql_duration(span);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return SloSection::Failed(e.to_string()),
    };
    let mut rows = Vec::new();
    for def in &prom.slos {
        match runtime.block_on(prom.instant(&def.ratio_query(&window), to)) {
            Ok(r) => {
                let ratio = r.first_or_zero();
                rows.push(SloImpact {
                    name: def.name.clone(),
                    objective: def.objective,
                    error_ratio: ratio,
                    budget_burned: postmortem::budget_burned(
                        ratio,
                        span,
                        def.objective,
                        prom.window,
                    ),
                });
            }
            Err(e) => return SloSection::Failed(format!("{}: {e}", def.name)),
        }
    }
    SloSection::Computed(rows)
}

fn incident_command(cli: &Cli, action: &IncidentCommand) -> Result<u8, Failure> {
    let s = setup(cli)?;
    let root = incidents_dir(&s)?;
    match action {
        IncidentCommand::List => {
            for i in store::list(&root) {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    i.id,
                    i.severity,
                    if i.resolved { "resolved" } else { "open" },
                    i.opened_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    warroom::sanitize::escape(&i.title)
                );
            }
            Ok(0)
        }
        IncidentCommand::Open { title, severity } => {
            let me = user(&s.config);
            let now = Utc::now();
            let id = format!("inc-{}", now.format("%Y%m%d-%H%M%S"));
            let dir = root.join(&id);
            let _lock = IncidentLock::acquire(&dir, &LockHolder::me(&me, now))
                .map_err(|e| (1, e.to_string()))?;
            let (mut journal, replay) = Journal::open(&dir).map_err(|e| (1, e.to_string()))?;
            if !replay.records.is_empty() {
                return Err((
                    1,
                    format!("incident {id} already exists; try again in a second"),
                ));
            }
            let kind = RecordKind::IncidentOpened {
                id: id.clone(),
                title: title.clone(),
                severity: severity.clone(),
                commander: me.clone(),
            };
            journal
                .append(now, Some(me), kind)
                .map_err(|e| (1, e.to_string()))?;
            println!("{id}");
            Ok(0)
        }
    }
}
