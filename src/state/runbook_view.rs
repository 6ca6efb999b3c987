//! Where the on-call is in a runbook: the path of steps taken, so Backspace retraces it,
//! and the alert labels its placeholders are filled from.

use std::collections::BTreeMap;

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
            true
        } else {
            false
        }
    }

    pub fn scroll_by(&mut self, delta: isize) {
        self.scroll = (self.scroll as isize + delta).clamp(0, 10_000) as usize;
    }
}
