//! Where the on-call is in a runbook: the path of steps taken, so Backspace retraces it.

/// The open runbook and the steps visited, last one current.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunbookView {
    /// Index into `State::runbooks`.
    pub runbook: Option<usize>,
    pub path: Vec<usize>,
    /// Lines scrolled down within the current step.
    pub scroll: usize,
}

impl RunbookView {
    pub fn open(&mut self, runbook: usize) {
        if self.runbook != Some(runbook) {
            *self = RunbookView {
                runbook: Some(runbook),
                path: vec![0],
                scroll: 0,
            };
        }
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
