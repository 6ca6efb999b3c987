//! Where the on-call is in a runbook: the path of steps taken, so Backspace retraces it,
//! and the alert labels its placeholders are filled from.

use std::collections::BTreeMap;

use crate::runbook::{CommandKind, Step};

/// The commands of a step `x` can run: its checks and mitigations, in file order. A
/// ```` ```promql ```` check is a query to read on a dashboard, not a command.
pub fn runnable(step: &Step) -> Vec<usize> {
    step.commands
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.kind, CommandKind::Check | CommandKind::Mitigation))
        .filter(|(_, c)| c.lang != "promql")
        .map(|(i, _)| i)
        .collect()
}

/// The open runbook and the steps visited, last one current.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunbookView {
    /// Index into `State::runbooks`.
    pub runbook: Option<usize>,
    pub path: Vec<usize>,
    /// Lines scrolled down within the current step.
    pub scroll: usize,
    /// Labels of the alert the runbook was opened for; `{{label}}` placeholders use them.
    pub labels: BTreeMap<String, String>,
    /// The alert the runbook was opened for, if any.
    pub alert: Option<String>,
    /// Why nothing is open for the alert last asked about, and which file would answer it.
    pub missing: Option<String>,
    /// The command of the current step `x` and `X` run, chosen with `c` (an index into
    /// the step's commands); `None` until chosen: the step's first mitigation, else its
    /// first check.
    pub command: Option<usize>,
}

impl RunbookView {
    pub fn open(
        &mut self,
        runbook: usize,
        alert: Option<String>,
        labels: BTreeMap<String, String>,
    ) {
        if self.runbook != Some(runbook) || self.alert != alert {
            *self = RunbookView {
                runbook: Some(runbook),
                path: vec![0],
                scroll: 0,
                labels,
                alert,
                missing: None,
                command: None,
            };
        }
        self.missing = None;
    }

    /// Says, in the pane, that an alert has no runbook.
    pub fn not_found(&mut self, message: String) {
        *self = RunbookView {
            missing: Some(message),
            ..RunbookView::default()
        };
    }

    pub fn current_step(&self) -> Option<usize> {
        self.path.last().copied()
    }

    pub fn go(&mut self, step: usize) {
        self.path.push(step);
        self.scroll = 0;
        self.command = None;
    }

    /// Continues to the next step in document order; false at the end.
    pub fn next(&mut self, steps: usize) -> bool {
        match self.current_step() {
            Some(i) if i + 1 < steps => {
                self.go(i + 1);
                true
            }
            _ => false,
        }
    }

    /// Steps back along the path taken; false when there is nowhere to go back to.
    pub fn back(&mut self) -> bool {
        if self.path.len() > 1 {
            self.path.pop();
            self.scroll = 0;
            self.command = None;
            true
        } else {
            false
        }
    }

    /// The command `x` runs in this step: the one chosen with `c`, else the first
    /// mitigation, else the first check. `None` when the step has none.
    pub fn selected_command(&self, step: &Step) -> Option<usize> {
        let runnable = runnable(step);
        match self.command {
            Some(i) if runnable.contains(&i) => Some(i),
            _ => runnable
                .iter()
                .copied()
                .find(|&i| step.commands[i].kind == CommandKind::Mitigation)
                .or_else(|| runnable.first().copied()),
        }
    }

    /// `c`: the step's next command after the selected one, round.
    pub fn next_command(&mut self, step: &Step) -> Option<usize> {
        let runnable = runnable(step);
        let at = self
            .selected_command(step)
            .and_then(|i| runnable.iter().position(|&r| r == i))?;
        let next = runnable[(at + 1) % runnable.len()];
        self.command = Some(next);
        Some(next)
    }

    pub fn scroll_by(&mut self, delta: isize) {
        self.scroll = (self.scroll as isize + delta).clamp(0, 10_000) as usize;
    }
}
