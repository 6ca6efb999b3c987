//! Helpers shared by the in-process tests: a demo state at a fixed instant, keys through the
//! real keymap, and rendering to ratatui's TestBackend.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::keymap::Keymap;
use warroom::sources::demo::{DemoPlayer, Scenario};
use warroom::state::{Effect, Event, Mode, State, update};
use warroom::theme::Theme;

/// A fixed instant, so every test and snapshot sees the same clock.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 0).unwrap()
}

pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

/// The demo played second by second from its start up to `secs`, as the runtime would.
pub fn demo_state(secs: i64) -> State {
    let mut state = State::new(Mode::Demo, Keymap::default(), false, t0());
    let mut player = DemoPlayer::new(Scenario::embedded().unwrap(), t0());
    for s in 0..=secs {
        for ev in player.advance(at(s)) {
            update(&mut state, ev);
        }
        update(&mut state, Event::Tick(at(s)));
    }
    state
}

/// A key as the terminal reports it: `q`, `G`, `tab`, `backtab`, `enter`, `esc`, `bs`.
pub fn key(spec: &str) -> Event {
    let (code, mods) = match spec {
        "tab" => (KeyCode::Tab, KeyModifiers::NONE),
        "backtab" => (KeyCode::BackTab, KeyModifiers::SHIFT),
        "enter" => (KeyCode::Enter, KeyModifiers::NONE),
        "esc" => (KeyCode::Esc, KeyModifiers::NONE),
        "bs" => (KeyCode::Backspace, KeyModifiers::NONE),
        "down" => (KeyCode::Down, KeyModifiers::NONE),
        "ctrl-c" => (KeyCode::Char('c'), KeyModifiers::CONTROL),
        "ctrl-u" => (KeyCode::Char('u'), KeyModifiers::CONTROL),
        "ctrl-z" => (KeyCode::Char('z'), KeyModifiers::CONTROL),
        s if s.chars().count() == 1 => {
            let c = s.chars().next().unwrap();
            let m = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            (KeyCode::Char(c), m)
        }
        other => panic!("no such test key {other}"),
    };
    Event::Key(KeyEvent::new(code, mods))
}

/// Sends keys in order and returns every effect they asked for.
pub fn press(state: &mut State, keys: &[&str]) -> Vec<Effect> {
    keys.iter().flat_map(|k| update(state, key(k))).collect()
}

pub fn render(state: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| warroom::ui::draw(f, state, &Theme::default()))
        .unwrap();
    t
}

pub fn screen(state: &State, w: u16, h: u16) -> String {
    render(state, w, h).backend().to_string()
}

/// Plays the journal's part in memory: every journal effect becomes a record that is fed
/// back as `Journaled`, as the runtime's journal thread would after its fsync. Returns the
/// other effects.
pub fn journal_in_memory(state: &mut State, effects: Vec<Effect>) -> Vec<Effect> {
    use warroom::incident::Record;
    use warroom::state::JournalStatus;
    let mut rest = Vec::new();
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    while let Some(e) = queue.pop_front() {
        let seq = state
            .incident
            .as_ref()
            .map_or(1, |i| i.records.len() as u64 + 1);
        let record = match e {
            // A drill run's journal: its first record, then its `drill_started`.
            Effect::OpenDrillRun {
                id,
                opened,
                started,
                by,
                ..
            } => {
                queue.push_front(Effect::Journal {
                    kind: *started,
                    by: by.clone(),
                });
                queue.push_front(Effect::OpenIncident { id, opened, by });
                continue;
            }
            Effect::OpenIncident { opened, by, .. } => {
                queue.extend(update(state, Event::JournalReady(JournalStatus::Writable)));
                Record::new(1, state.now, by, opened)
            }
            Effect::Journal { kind, by } => Record::new(seq, state.now, by, kind),
            other => {
                rest.push(other);
                continue;
            }
        };
        queue.extend(update(state, Event::Journaled(record)));
    }
    rest
}
