//! The command line: flags for the console, and subcommands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::LogLevel;

/// A terminal console for incident response, DR drills and chaos game-days.
///
/// Shows the live alert feed, the current runbook step, SLO burn and the drill clock in one
/// screen that works over SSH at 80x24. `warroom --demo` plays a built-in incident with no
/// servers at all.
#[derive(Debug, Parser)]
#[command(name = "warroom", version, about, long_about)]
pub struct Cli {
    /// Play the embedded demo scenario: a scripted incident, SLO burn and DR drill, no servers.
    #[arg(long)]
    pub demo: bool,

    /// Config file to use instead of $XDG_CONFIG_HOME/warroom/config.yaml (must exist).
    #[arg(long, env = "WARROOM_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Theme: dark, light, high-contrast, or a file NAME.yaml in the config dir's themes/.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,

    /// Change nothing outside the console: no silences, no commands, no Kubernetes actions.
    #[arg(long)]
    pub read_only: bool,

    /// How much to write to the log file (in $XDG_STATE_HOME/warroom/).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub log_level: Option<LogLevel>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFormat {
    /// `file:line:col: error: message` with a hint, like a compiler.
    Text,
    /// A JSON array of diagnostics, for CI.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Watch an incident live, read-only, beside the console that is writing it.
    Follow {
        /// Incident id (default: the most recent open incident).
        incident: Option<String>,
    },
    /// Run a DR drill from runbooks/drills/NAME.yaml: the drill clock as the main view,
    /// phases behind guards and a confirmation, scored at the end into the drill log.
    ///
    /// Running it again resumes the unfinished run of that drill with the same clock; a
    /// second console on a running drill opens read-only.
    Drill {
        /// The drill file's name, without `.yaml`, in the runbooks directory's `drills/`.
        name: String,
    },
    /// Write a blameless postmortem draft from an incident's journal.
    Postmortem {
        /// Incident id (default: the most recent open incident, else the most recent).
        incident: Option<String>,
        /// Write to this file (atomically) instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Template to fill (default: runbooks/postmortem-template.md if present, else the built-in one).
        #[arg(long, value_name = "FILE")]
        template: Option<PathBuf>,
    },
    /// List every command and mitigation in an incident: who, when, plan, checks, outcome.
    Audit {
        /// Incident id (default: the most recent open incident, else the most recent).
        incident: Option<String>,
    },
    /// Run a chaos game-day in the Drill clock pane: hypothesis, safety boundary, Chaos Mesh
    /// experiments started behind the safety prompt, the abort condition (which deletes
    /// them at once when it trips), a kill switch, the observation window and the verdict.
    ///
    /// Resumes the game-day's journal when it was interrupted. With --demo, plays the
    /// shipped game-day against a simulated cluster.
    Gameday {
        /// NAME.yaml in the runbooks directory's gamedays/ (or a file); optional with --demo.
        name: Option<String>,
    },
    /// Open or list incidents without the full-screen console.
    Incident {
        #[command(subcommand)]
        action: IncidentCommand,
    },
    /// Check runbooks (structure, branch anchors, safety checks, placeholders, freshness),
    /// drill files (targets, phase steps, guards, RPO method) and the drill log.
    ///
    /// Exit status 0 when there are no errors, 1 when there are, 2 on a usage error.
    Lint {
        /// Files or directories (searched recursively for *.md, and drills/*.yaml);
        /// default: the configured runbooks directory, else ./runbooks.
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: LintFormat,
        /// Treat warnings (e.g. a stale runbook) as errors.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Print a shell completion script, e.g. `warroom completions bash > ~/.local/share/bash-completion/completions/warroom`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open a new incident and print its id.
    Open {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "P1", value_parser = ["P0", "P1", "P2"])]
        severity: String,
    },
    /// List incidents, newest last.
    List,
}
