//! What each key does, given what is on screen. Prompts and inputs take keys first and
//! swallow what they do not know, so no key meant for a prompt leaks into the panes.

use crossterm::event::KeyEvent;

use super::incident::parse_note;
use super::input::{InputOutcome, LineInput};
use super::{Effect, JournalStatus, Overlay, Pane, Pending, Severity, State};
use crate::incident::RecordKind;
use crate::keymap::{Action, Key};

pub fn on_key(state: &mut State, ev: KeyEvent) -> Vec<Effect> {
    // Text input first: it needs every printable key, including ones bound to actions.
    if let Some(Overlay::Note(input)) = &mut state.overlay {
        state.dirty = true;
        return match input.handle(&ev) {
            InputOutcome::Submit => submit_note(state),
            InputOutcome::Cancel => {
                state.overlay = None;
                Vec::new()
            }
            InputOutcome::Edited | InputOutcome::Ignored => Vec::new(),
        };
    }
    if let Some(Overlay::Mitigation(_)) = &state.overlay {
        return super::mitigation::on_prompt_key(state, ev);
    }
    let Some(key) = Key::from_event(&ev) else {
        return Vec::new();
    };
    let is = |spec: &str| Key::parse(spec).is_ok_and(|k| k == key);
    match &state.overlay {
        Some(Overlay::Confirm { on_yes, .. }) => {
            if is("y") || is("Y") {
                let pending = on_yes.clone();
                state.overlay = None;
                state.dirty = true;
                return confirmed(state, pending);
            }
            if is("n") || is("N") || is("esc") {
                state.overlay = None;
                state.dirty = true;
            }
            return Vec::new();
        }
        Some(Overlay::Help { scroll }) => {
            let scroll = *scroll;
            let action = state.keymap.action_for(&key);
            state.dirty = true;
            match action {
                Some(Action::Help) => state.overlay = None,
                _ if is("esc") => state.overlay = None,
                Some(Action::Down) => state.overlay = Some(Overlay::Help { scroll: scroll + 1 }),
                Some(Action::Up) => {
                    state.overlay = Some(Overlay::Help {
                        scroll: scroll.saturating_sub(1),
                    })
                }
                Some(Action::Quit | Action::Suspend | Action::Redraw) => {}
                _ => {
                    state.dirty = false;
                    return Vec::new();
                }
            }
            if state.overlay.is_none() || matches!(action, Some(Action::Down | Action::Up)) {
                return Vec::new();
            }
        }
        Some(Overlay::Note(_) | Overlay::Mitigation(_)) | None => {}
    }

    if let Some(n) = (1..=9).find(|n| is(&n.to_string())) {
        return choose_branch(state, n);
    }
    let Some(action) = state.keymap.action_for(&key) else {
        return Vec::new();
    };
    state.dirty = true;
    match action {
        Action::Help => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Quit => match state.running_work() {
            Some(reason) => {
                state.overlay = Some(Overlay::Confirm {
                    title: "Quit?".into(),
                    detail: format!("{reason} Quitting the console does not stop it."),
                    on_yes: Pending::Quit,
                })
            }
            None => return vec![Effect::Exit(0)],
        },
        Action::FocusNext => state.focus = state.focus.offset(1),
        Action::FocusPrev => state.focus = state.focus.offset(-1),
        Action::Zoom => state.zoomed = !state.zoomed,
        Action::Redraw => return vec![Effect::FullRedraw],
        Action::Suspend => return vec![Effect::Suspend],
        Action::Up => move_in_pane(state, -1),
        Action::Down => move_in_pane(state, 1),
        Action::PageUp => move_in_pane(state, -10),
        Action::PageDown => move_in_pane(state, 10),
        Action::Top => move_in_pane(state, isize::MIN / 2),
        Action::Bottom => move_in_pane(state, isize::MAX / 2),
        Action::Select => return select(state),
        Action::Back => return back(state),
        Action::Ack => return ack(state),
        Action::Note => {
            if state.incident_open() {
                state.overlay = Some(Overlay::Note(LineInput::default()));
            } else {
                state.notify("Notes go into an incident: open one first (I), or ack a P0/P1.");
            }
        }
        Action::OpenIncident => {
            let (title, severity) = match state.alerts.selected_alert() {
                Some(a) => (incident_title(a), a.severity),
                None => ("Incident".to_string(), Severity::P1),
            };
            state.overlay = Some(Overlay::Confirm {
                title: "Open an incident?".into(),
                detail: format!(
                    "{} \"{title}\", commanded by {}.",
                    severity.tag(),
                    state.user
                ),
                on_yes: Pending::OpenIncident { title, severity },
            });
        }
        Action::Run => return super::mitigation::request(state, false),
        Action::DryRun => return super::mitigation::request(state, true),
        Action::CancelRun => {
            if state.exec.running.is_some() {
                state.notify("Cancelling: the command's process group is killed.");
                return vec![Effect::CancelExec];
            }
            state.notify("Nothing is running.");
        }
        Action::ResolveIncident => match &state.incident {
            Some(inc) if inc.is_open() => {
                state.overlay = Some(Overlay::Confirm {
                    title: "Resolve the incident?".into(),
                    detail: format!(
                        "{} \"{}\" is resolved: the postmortem clock starts.",
                        inc.id, inc.title
                    ),
                    on_yes: Pending::ResolveIncident,
                });
            }
            _ => state.notify("No incident is open."),
        },
    }
    Vec::new()
}

fn incident_title(a: &super::Alert) -> String {
    let place: Vec<&str> = ["tenant", "region"]
        .iter()
        .map(|l| a.label(l))
        .filter(|v| !v.is_empty())
        .collect();
    if place.is_empty() {
        a.name.clone()
    } else {
        format!("{} ({})", a.name, place.join(", "))
    }
}

fn confirmed(state: &mut State, pending: Pending) -> Vec<Effect> {
    match pending {
        Pending::Quit => vec![Effect::Exit(0)],
        Pending::OpenIncident { title, severity } => state.open_incident(title, severity),
        Pending::ResolveIncident => {
            state.record_or_apply(RecordKind::IncidentResolved { summary: None })
        }
    }
}

fn submit_note(state: &mut State) -> Vec<Effect> {
    let Some(Overlay::Note(input)) = &mut state.overlay else {
        return Vec::new();
    };
    match parse_note(&input.text) {
        Ok((text, action_item)) => {
            state.overlay = None;
            state.record_or_apply(RecordKind::Note { text, action_item })
        }
        Err(e) => {
            input.error = Some(e);
            Vec::new()
        }
    }
}

fn ack(state: &mut State) -> Vec<Effect> {
    let Some(a) = state.alerts.selected_alert().cloned() else {
        state.notify("No alert selected.");
        return Vec::new();
    };
    if let Some(prev) = state.alerts.acks.get(&a.fingerprint) {
        let text = format!("{} is already acked by {}.", a.name, prev.by);
        state.notify(text);
        return Vec::new();
    }
    let kind = RecordKind::AlertAcked {
        fingerprint: a.fingerprint.clone(),
    };
    // Acking a P0 or P1 outside an incident opens one: that is when the war room starts.
    if !state.incident_open()
        && a.severity <= Severity::P1
        && !matches!(state.journal, JournalStatus::ReadOnly(_))
    {
        let mut effects = state.open_incident(incident_title(&a), a.severity);
        effects.push(Effect::Journal {
            kind,
            by: Some(state.user.clone()),
        });
        return effects;
    }
    state.record_or_apply(kind)
}

/// Enter: on an alert, open its runbook; in the runbook, the next step.
fn select(state: &mut State) -> Vec<Effect> {
    match state.focus {
        Pane::Alerts => {
            let Some(alert) = state.alerts.selected_alert() else {
                state.notify("No alert selected.");
                return Vec::new();
            };
            let found = alert
                .runbook
                .as_deref()
                .and_then(|id| state.runbooks.iter().find(|r| r.id == id));
            match found {
                Some(rb) => {
                    let runbook = rb.id.clone();
                    state.focus = Pane::Runbook;
                    if state.current_runbook().is_some_and(|r| r.id == runbook) {
                        return Vec::new();
                    }
                    state.record_or_apply(RecordKind::RunbookOpened { runbook })
                }
                None => {
                    let text = match &alert.runbook {
                        Some(id) => format!("Runbook `{id}` for {} is not loaded.", alert.name),
                        None => format!("No runbook is mapped to {}.", alert.name),
                    };
                    state.notify(text);
                    Vec::new()
                }
            }
        }
        Pane::Runbook => {
            let Some((runbook, _)) = state.current_step_anchor() else {
                state.notify("Open a runbook first: select an alert and press enter.");
                return Vec::new();
            };
            let next = state
                .current_runbook()
                .zip(state.runbook.current_step())
                .and_then(|(rb, i)| rb.steps.get(i + 1))
                .map(|s| s.anchor.clone());
            match next {
                Some(step) => state.record_or_apply(RecordKind::StepViewed { runbook, step }),
                None => {
                    state.notify("This is the last step of the runbook.");
                    Vec::new()
                }
            }
        }
        Pane::Slo | Pane::Drill => Vec::new(),
    }
}

fn back(state: &mut State) -> Vec<Effect> {
    match state.current_step_anchor() {
        Some((runbook, _)) if state.runbook.path.len() > 1 => {
            state.record_or_apply(RecordKind::StepBack { runbook })
        }
        _ => {
            state.notify("Already at the first step on this path.");
            Vec::new()
        }
    }
}

fn choose_branch(state: &mut State, n: usize) -> Vec<Effect> {
    state.dirty = true;
    let Some((runbook, from)) = state.current_step_anchor() else {
        state.notify("Open a runbook first: select an alert and press enter.");
        return Vec::new();
    };
    let target = state.current_runbook().and_then(|rb| {
        let step = rb.steps.get(state.runbook.current_step()?)?;
        let b = step.branches.get(n - 1)?;
        Some((b.target.clone(), rb.step_index(&b.target).is_some()))
    });
    match target {
        Some((to, true)) => state.record_or_apply(RecordKind::BranchChosen {
            runbook,
            from,
            to,
            choice: n as u8,
        }),
        Some((anchor, false)) => {
            state.notify(format!(
                "Branch {n} points at #{anchor}, which this runbook does not have."
            ));
            Vec::new()
        }
        None => {
            state.notify(format!("This step has no choice {n}."));
            Vec::new()
        }
    }
}

fn move_in_pane(state: &mut State, delta: isize) {
    match state.focus {
        Pane::Alerts => state.alerts.move_selection(delta),
        Pane::Runbook => state.runbook.scroll_by(delta),
        Pane::Slo => {
            let last = state.slos.len().saturating_sub(1) as isize;
            state.slo_selected = (state.slo_selected as isize + delta).clamp(0, last) as usize;
        }
        Pane::Drill => {}
    }
}
