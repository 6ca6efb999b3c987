//! What each key does, given what is on screen. Prompts and inputs take keys first and
//! swallow what they do not know, so no key meant for a prompt leaks into the panes.

use crossterm::event::KeyEvent;

use super::incident::parse_note;
use super::input::{InputOutcome, LineInput};
use std::time::Duration;

use super::{
    Effect, JournalStatus, Mode, Overlay, Pane, Pending, Severity, SilenceField, SilenceForm,
    State, alerts,
};
use crate::incident::RecordKind;
use crate::keymap::{Action, Key};
use crate::runbook::SectionKind;
use crate::sources::alertmanager::SilenceRequest;

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
    if let Some(Overlay::Mitigation(p)) = &state.overlay {
        let name = p.gated.plan.name.clone();
        let mut effects = super::mitigation::on_prompt_key(state, ev);
        let more = super::drill_flow::after_prompt_key(state, &name, &effects);
        effects.extend(more);
        return effects;
    }
    if let Some(Overlay::Verdict(_)) = &state.overlay {
        return super::gameday::on_verdict_key(state, ev);
    }
    // The drill's questions take every key while open (there is no default answer).
    match &state.overlay {
        Some(Overlay::Guards(_)) => return super::drill_flow::on_guard_key(state, &ev),
        Some(Overlay::DrillInput(_)) => return super::drill_flow::on_ask_key(state, &ev),
        _ => {}
    }
    // The alert filter and the silence form take every typed character while open.
    if let Some(effects) = on_text_key(state, &ev) {
        return effects;
    }
    // The picker is modal too: while it is open, typed characters go to its query.
    if let Some(Overlay::Picker(_)) = &state.overlay {
        return super::picker::on_key(state, &ev);
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
                let pending = on_yes.clone();
                state.overlay = None;
                state.dirty = true;
                return super::drill_flow::declined(state, &pending);
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
        Some(Overlay::AlertDetail { .. } | Overlay::SloDetail { .. }) => {
            let action = state.keymap.action_for(&key);
            state.dirty = true;
            let delta: i32 = match action {
                Some(Action::Up) => -1,
                Some(Action::Down) => 1,
                Some(Action::PageUp) => -10,
                Some(Action::PageDown) => 10,
                _ => 0,
            };
            if delta != 0 {
                if let Some(Overlay::AlertDetail { scroll, .. } | Overlay::SloDetail { scroll }) =
                    state.overlay.as_mut()
                {
                    *scroll = (*scroll as i32 + delta).clamp(0, u16::MAX as i32) as u16;
                }
                return Vec::new();
            }
            if is("esc")
                || matches!(
                    action,
                    Some(Action::Detail | Action::Back | Action::Select | Action::Help)
                )
            {
                state.overlay = None;
                return Vec::new();
            }
            if !matches!(
                action,
                Some(Action::Quit | Action::Suspend | Action::Redraw)
            ) {
                return Vec::new();
            }
        }
        Some(
            Overlay::Note(_)
            | Overlay::Picker(_)
            | Overlay::Filter
            | Overlay::Silence(_)
            | Overlay::Mitigation(_)
            | Overlay::Verdict(_)
            | Overlay::Guards(_)
            | Overlay::DrillInput(_),
        )
        | None => {}
    }
    // A lone esc clears an active filter.
    if state.overlay.is_none() && is("esc") && !state.alerts.filter.is_empty() {
        state.alerts.filter.clear();
        state.alerts.fix_selection();
        state.dirty = true;
        return Vec::new();
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
            if let Some(why) = state.journal_refusal() {
                state.notify(why);
            } else if state.incident_open() {
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
        Action::NextSection => return jump_section(state, 1),
        Action::PrevSection => return jump_section(state, -1),
        Action::FindRunbook => {
            if state.runbooks.is_empty() {
                state.notify("No runbooks loaded.");
            } else {
                state.overlay = Some(Overlay::Picker(super::Picker::default()));
            }
        }
        Action::Filter if state.focus == Pane::Runbook => {
            // In the runbook pane `/` finds a runbook; everywhere else it filters alerts.
            if state.runbooks.is_empty() {
                state.notify("No runbooks loaded.");
            } else {
                state.overlay = Some(Overlay::Picker(super::Picker::default()));
            }
        }
        Action::Filter => {
            state.focus = Pane::Alerts;
            state.overlay = Some(Overlay::Filter);
        }
        Action::GroupBy => {
            state.alerts.group_by = next_group(state.alerts.group_by.as_deref());
            state.alerts.fix_selection();
            match &state.alerts.group_by {
                Some(g) => state.notify(format!("Alerts grouped by {g}.")),
                None => state.notify("Alerts not grouped."),
            }
        }
        Action::Detail => match state.focus {
            Pane::Slo if !state.slos.is_empty() => {
                state.overlay = Some(Overlay::SloDetail { scroll: 0 })
            }
            _ => match state.alerts.selected_alert() {
                Some(a) => {
                    state.overlay = Some(Overlay::AlertDetail {
                        fingerprint: a.fingerprint.clone(),
                        scroll: 0,
                    })
                }
                None => state.notify("No alert selected."),
            },
        },
        Action::Silence => open_silence(state),
        Action::ExpireSilence => open_expire(state),
        Action::Run | Action::DryRun => {
            let dry_run = action == Action::DryRun;
            let effects = match super::drill_flow::run_phase_command(state, dry_run) {
                Some(effects) => effects,
                None => super::mitigation::request(state, dry_run),
            };
            super::drill_flow::run_requested(state, &effects);
            return effects;
        }
        Action::NextCommand => super::mitigation::next_command(state),
        Action::AdvanceDrill => return super::drill_flow::advance(state),
        Action::Abandon => return super::drill_flow::abandon(state),
        Action::CancelRun => {
            if state.exec.running.is_some() {
                state.notify(
                    "Cancelling: a command's process group is killed; a Kubernetes call is abandoned (it may already have taken effect).",
                );
                return vec![Effect::CancelExec];
            }
            state.notify("Nothing is running.");
        }
        Action::StartExperiment => return super::gameday::start(state),
        Action::KillSwitch => return super::gameday::kill_switch(state),
        Action::Verdict => super::gameday::open_verdict(state),
        Action::ResolveIncident => match &state.incident {
            // A game-day ends with its verdict.
            Some(inc) if inc.is_open() && inc.gameday.is_some() => {
                super::gameday::open_verdict(state)
            }
            // A drill run is not resolved: it is scored, or abandoned.
            Some(inc) if inc.is_open() && state.drill.as_ref().is_some_and(|d| d.run.is_some()) => {
                let (p, a) = (
                    state.keymap.hint(Action::AdvanceDrill).unwrap_or_default(),
                    state.keymap.hint(Action::Abandon).unwrap_or_default(),
                );
                state.notify(format!(
                    "A drill run is not resolved: it ends scored ({p}) or abandoned ({a})."
                ));
            }
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
        a.name.to_string()
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
        Pending::ExpireSilence { id, alert } => {
            state.notify(format!("Expiring the silence on {alert}…"));
            vec![Effect::ExpireSilence { id }]
        }
        p @ (Pending::StartDrill
        | Pending::StartPhase(_)
        | Pending::RestoreService
        | Pending::AbandonDrill(_)
        | Pending::AbandonGameday(_)) => super::drill_flow::confirmed(state, p),
    }
}

/// The incident roles besides the commander, as the severity matrix's war room uses them.
const ROLES: [&str; 4] = ["commander", "scribe", "ops", "comms"];

fn submit_note(state: &mut State) -> Vec<Effect> {
    let Some(Overlay::Note(input)) = &mut state.overlay else {
        return Vec::new();
    };
    // The scribe's line also assigns roles and changes the severity, so the whole
    // incident record is typed in one place.
    let typed = input.text.trim().to_string();
    if let Some(rest) = typed.strip_prefix("role:") {
        let mut words = rest.split_whitespace();
        return match (
            words.next(),
            words.next().and_then(|p| p.strip_prefix('@')),
            words.next(),
        ) {
            (Some(role), Some(person), None) if ROLES.contains(&role) && !person.is_empty() => {
                let kind = RecordKind::RoleAssigned {
                    role: role.to_string(),
                    person: person.to_string(),
                };
                state.overlay = None;
                state.record_or_apply(kind)
            }
            _ => {
                input.error = Some(format!(
                    "write `role: ROLE @person`, ROLE one of {}",
                    ROLES.join(", ")
                ));
                Vec::new()
            }
        };
    }
    if let Some(rest) = typed.strip_prefix("severity:") {
        let current = state.incident.as_ref().map(|i| i.severity);
        return match (Severity::parse(rest), current) {
            (Some(to), Some(from)) if to != from => {
                let kind = RecordKind::SeverityChanged {
                    from: from.tag().into(),
                    to: to.tag().into(),
                };
                state.overlay = None;
                state.record_or_apply(kind)
            }
            (Some(_), Some(_)) => {
                input.error = Some("the incident already has that severity".into());
                Vec::new()
            }
            _ => {
                input.error = Some("write `severity: P0`, `P1` or `P2`".into());
                Vec::new()
            }
        };
    }
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
            match state.runbook_for(alert) {
                Ok(i) => {
                    let (runbook, fp, name) = (
                        state.runbooks[i].id.clone(),
                        alert.fingerprint.clone(),
                        alert.name.to_string(),
                    );
                    state.focus = Pane::Runbook;
                    if state.runbook.runbook == Some(i)
                        && state.runbook.alert.as_deref() == Some(name.as_str())
                    {
                        return Vec::new();
                    }
                    state.record_or_apply(RecordKind::RunbookOpened {
                        runbook,
                        alert: Some(fp),
                    })
                }
                Err(text) => {
                    state.runbook.not_found(text.clone());
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
        Pane::Slo if !state.slos.is_empty() => {
            state.overlay = Some(Overlay::SloDetail { scroll: 0 });
            Vec::new()
        }
        Pane::Drill => super::drill_flow::step_done(state),
        Pane::Slo => Vec::new(),
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

/// Moves to the first step of the next (or previous) section that has steps, as a step on
/// the path, so Backspace comes back.
fn jump_section(state: &mut State, dir: isize) -> Vec<Effect> {
    let Some(rb) = state.current_runbook() else {
        state.notify("Open a runbook first: select an alert and press enter.");
        return Vec::new();
    };
    let Some(cur) = state.runbook.current_step().and_then(|i| rb.steps.get(i)) else {
        return Vec::new();
    };
    let here = SectionKind::ALL
        .iter()
        .position(|s| *s == cur.section)
        .unwrap_or(0) as isize;
    let mut k = here + dir;
    let mut target = None;
    while (0..SectionKind::ALL.len() as isize).contains(&k) {
        if let Some(i) = rb.first_step_of(SectionKind::ALL[k as usize]) {
            target = Some((rb.id.clone(), rb.steps[i].anchor.clone()));
            break;
        }
        k += dir;
    }
    match target {
        Some((runbook, step)) => {
            state.focus = Pane::Runbook;
            state.record_or_apply(RecordKind::StepViewed { runbook, step })
        }
        None => {
            state.notify(if dir > 0 {
                "This is the last section."
            } else {
                "This is the first section."
            });
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
        Pane::Drill => super::gameday::move_selection(state, delta),
    }
}

/// A printable character typed without ctrl or alt, for text fields.
fn typed_char(ev: &KeyEvent) -> Option<char> {
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
    if ev.kind == KeyEventKind::Release
        || ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    match ev.code {
        KeyCode::Char(c) if !crate::sanitize::is_hazard(c) => Some(c),
        _ => None,
    }
}

fn is_key(ev: &KeyEvent, code: crossterm::event::KeyCode) -> bool {
    ev.kind != crossterm::event::KeyEventKind::Release && ev.code == code
}

/// Longest text a prompt field takes.
const FIELD_MAX: usize = 200;

/// Text prompts (the filter, the silence form) capture every key while open.
fn on_text_key(state: &mut State, ev: &KeyEvent) -> Option<Vec<Effect>> {
    use crossterm::event::KeyCode;
    match state.overlay.as_mut()? {
        Overlay::Filter => {
            state.dirty = true;
            if is_key(ev, KeyCode::Esc) {
                state.alerts.filter.clear();
                state.overlay = None;
            } else if is_key(ev, KeyCode::Enter) {
                state.overlay = None;
            } else if is_key(ev, KeyCode::Backspace) {
                state.alerts.filter.pop();
            } else if let Some(c) = typed_char(ev)
                && state.alerts.filter.chars().count() < FIELD_MAX
            {
                state.alerts.filter.push(c);
            }
            state.alerts.fix_selection();
            Some(Vec::new())
        }
        Overlay::Silence(form) => {
            state.dirty = true;
            if is_key(ev, KeyCode::Esc) {
                state.overlay = None;
                state.notify("No silence created.");
                return Some(Vec::new());
            }
            if form.confirming {
                // Only y creates it; n, Enter and anything else answer No.
                let yes = matches!(typed_char(ev), Some('y' | 'Y'));
                if yes {
                    let form = form.clone();
                    state.overlay = None;
                    let duration = humantime::parse_duration(form.duration.trim())
                        .unwrap_or(Duration::from_secs(3600));
                    let request = SilenceRequest::for_labels(
                        &form.labels,
                        state.now,
                        duration,
                        &state.user,
                        form.comment.trim(),
                    );
                    state.notify(format!("Creating a silence for {}…", form.alert));
                    return Some(vec![Effect::CreateSilence {
                        fingerprint: form.fingerprint,
                        request,
                    }]);
                }
                if matches!(typed_char(ev), Some('n' | 'N')) || is_key(ev, KeyCode::Enter) {
                    state.overlay = None;
                    state.notify("No silence created.");
                }
                return Some(Vec::new());
            }
            let field = match form.field {
                SilenceField::Duration => &mut form.duration,
                SilenceField::Comment => &mut form.comment,
            };
            if is_key(ev, KeyCode::Backspace) {
                field.pop();
            } else if is_key(ev, KeyCode::Tab) || is_key(ev, KeyCode::BackTab) {
                form.field = match form.field {
                    SilenceField::Duration => SilenceField::Comment,
                    SilenceField::Comment => SilenceField::Duration,
                };
            } else if is_key(ev, KeyCode::Enter) {
                match form.field {
                    SilenceField::Duration => form.field = SilenceField::Comment,
                    SilenceField::Comment => {
                        form.error = validate_silence(form);
                        form.confirming = form.error.is_none();
                    }
                }
            } else if let Some(c) = typed_char(ev) {
                if field.chars().count() < FIELD_MAX {
                    field.push(c);
                }
                form.error = None;
            }
            Some(Vec::new())
        }
        _ => None,
    }
}

/// Why the silence form cannot be submitted yet, if it cannot.
fn validate_silence(form: &SilenceForm) -> Option<String> {
    match humantime::parse_duration(form.duration.trim()) {
        Err(_) => {
            return Some(format!(
                "`{}` is not a duration like 30m or 2h",
                form.duration
            ));
        }
        Ok(d) if d < Duration::from_secs(60) || d > Duration::from_secs(30 * 86_400) => {
            return Some("a silence lasts from 1 minute to 30 days".into());
        }
        Ok(_) => {}
    }
    if form.comment.trim().is_empty() {
        return Some("say why in the comment (Alertmanager requires one)".into());
    }
    None
}

/// Labels the group-by key cycles through, then back to no grouping.
pub const GROUP_LABELS: [&str; 6] = [
    alerts::AM_GROUP,
    "alertname",
    "service",
    "tenant",
    "region",
    "namespace",
];

fn next_group(cur: Option<&str>) -> Option<String> {
    let i = match cur {
        None => 0,
        Some(c) => GROUP_LABELS
            .iter()
            .position(|g| *g == c)
            .map_or(0, |i| i + 1),
    };
    GROUP_LABELS.get(i).map(|s| s.to_string())
}

fn open_silence(state: &mut State) {
    if let JournalStatus::ReadOnly(why) = &state.journal {
        let text = format!("Read-only: {why}");
        state.notify(text);
        return;
    }
    if state.read_only {
        state.notify("Read-only: silences are not created from this console.");
        return;
    }
    if state.mode == Mode::Demo {
        state.notify("Demo: there is no Alertmanager to silence in.");
        return;
    }
    let Some(a) = state.alerts.selected_alert() else {
        state.notify("No alert selected.");
        return;
    };
    state.overlay = Some(Overlay::Silence(SilenceForm {
        fingerprint: a.fingerprint.clone(),
        alert: a.name.to_string(),
        labels: a.labels.to_map(),
        duration: "2h".into(),
        comment: String::new(),
        field: SilenceField::Comment,
        confirming: false,
        error: None,
    }));
}

fn open_expire(state: &mut State) {
    if let JournalStatus::ReadOnly(why) = &state.journal {
        let text = format!("Read-only: {why}");
        state.notify(text);
        return;
    }
    if state.read_only {
        state.notify("Read-only: silences are not changed from this console.");
        return;
    }
    let Some(a) = state.alerts.selected_alert() else {
        state.notify("No alert selected.");
        return;
    };
    match a.silenced_by.first() {
        Some(id) => {
            state.overlay = Some(Overlay::Confirm {
                title: "Expire the silence?".into(),
                detail: format!(
                    "Silence {id} on {} ends now and the alert notifies again.",
                    a.name
                ),
                on_yes: Pending::ExpireSilence {
                    id: id.clone(),
                    alert: a.name.to_string(),
                },
            })
        }
        None => {
            let text = format!("{} is not silenced.", a.name);
            state.notify(text);
        }
    }
}
