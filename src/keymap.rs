//! Keys → actions. The single table that both input handling and the help overlay read,
//! so the help can never disagree with what the keys do.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde::{Deserialize, Deserializer};

/// Everything a key can ask for outside of a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Help,
    Quit,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Select,
    Back,
    NextSection,
    PrevSection,
    FindRunbook,
    Zoom,
    Redraw,
    Suspend,
    Ack,
    Note,
    OpenIncident,
    ResolveIncident,
    Filter,
    GroupBy,
    Detail,
    Silence,
    ExpireSilence,
    Run,
    DryRun,
    NextCommand,
    CancelRun,
    StartExperiment,
    KillSwitch,
    Verdict,
    AdvanceDrill,
    Abandon,
}

impl Action {
    /// Help order: the things people look for first.
    pub const ALL: [Action; 36] = [
        Action::Help,
        Action::Quit,
        Action::FocusNext,
        Action::FocusPrev,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Select,
        Action::Back,
        Action::Ack,
        Action::Note,
        Action::OpenIncident,
        Action::ResolveIncident,
        Action::NextSection,
        Action::PrevSection,
        Action::FindRunbook,
        Action::Detail,
        Action::Filter,
        Action::GroupBy,
        Action::Silence,
        Action::ExpireSilence,
        Action::Run,
        Action::DryRun,
        Action::NextCommand,
        Action::CancelRun,
        Action::StartExperiment,
        Action::KillSwitch,
        Action::Verdict,
        Action::AdvanceDrill,
        Action::Abandon,
        Action::Zoom,
        Action::Redraw,
        Action::Suspend,
    ];

    /// The name used in the config file's `keys:` map.
    pub fn config_name(self) -> &'static str {
        match self {
            Action::Help => "help",
            Action::Quit => "quit",
            Action::FocusNext => "focus_next",
            Action::FocusPrev => "focus_prev",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Select => "select",
            Action::Back => "back",
            Action::NextSection => "next_section",
            Action::PrevSection => "prev_section",
            Action::FindRunbook => "find_runbook",
            Action::Zoom => "zoom",
            Action::Redraw => "redraw",
            Action::Suspend => "suspend",
            Action::Ack => "ack",
            Action::Note => "note",
            Action::OpenIncident => "open_incident",
            Action::ResolveIncident => "resolve_incident",
            Action::Filter => "filter",
            Action::GroupBy => "group_by",
            Action::Detail => "detail",
            Action::Silence => "silence",
            Action::ExpireSilence => "expire_silence",
            Action::Run => "run",
            Action::DryRun => "dry_run",
            Action::NextCommand => "next_command",
            Action::CancelRun => "cancel_run",
            Action::StartExperiment => "start_experiment",
            Action::KillSwitch => "kill_switch",
            Action::Verdict => "verdict",
            Action::AdvanceDrill => "advance_drill",
            Action::Abandon => "abandon",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Action::Help => "show or hide this help",
            Action::Quit => "quit (asks first if a drill or command is running)",
            Action::FocusNext => "focus the next pane",
            Action::FocusPrev => "focus the previous pane",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "go to the first item",
            Action::Bottom => "go to the last item",
            Action::Select => "select (an alert opens its runbook)",
            Action::Back => "back along the runbook path taken",
            Action::NextSection => "runbook: jump to the next section",
            Action::PrevSection => "runbook: jump to the previous section",
            Action::FindRunbook => "find a runbook (fuzzy search)",
            Action::Zoom => "zoom the focused pane / unzoom",
            Action::Redraw => "redraw the whole screen",
            Action::Suspend => "suspend to the shell (resume with fg)",
            Action::Ack => "ack the selected alert (a P0/P1 opens an incident)",
            Action::Note => "add a note (or an action item) to the incident",
            Action::OpenIncident => "open an incident for the selected alert",
            Action::ResolveIncident => "resolve the incident (asks first)",
            Action::Filter => "filter alerts by text, esc clears (runbook pane: find a runbook)",
            Action::GroupBy => "group alerts: Alertmanager group, then by label, then none",
            Action::Detail => "all labels and annotations of the alert / SLO numbers",
            Action::Silence => "silence the alert in Alertmanager (asks first)",
            Action::ExpireSilence => "expire the alert's silence (asks first)",
            Action::Run => "run the step's selected command (asks first)",
            Action::DryRun => "preview the step's selected command as a dry run",
            Action::NextCommand => "select the step's next command for run and dry run",
            Action::CancelRun => "cancel the running command",
            Action::StartExperiment => "game-day: start the selected experiment (asks first)",
            Action::KillSwitch => "game-day: kill switch, delete every experiment now",
            Action::Verdict => "game-day: record whether the hypothesis held",
            Action::AdvanceDrill => {
                "drill: start it, guards, next phase, service restored, score (asks first)"
            }
            Action::Abandon => {
                "abandon the drill or game-day, with a reason (asks first; experiments deleted first)"
            }
        }
    }

    fn default_keys(self) -> &'static [&'static str] {
        match self {
            Action::Help => &["?", "f1"],
            Action::Quit => &["q", "ctrl-c"],
            Action::FocusNext => &["tab"],
            Action::FocusPrev => &["shift-tab"],
            Action::Up => &["k", "up"],
            Action::Down => &["j", "down"],
            Action::PageUp => &["pgup", "ctrl-u"],
            Action::PageDown => &["pgdn", "ctrl-d"],
            Action::Top => &["g", "home"],
            Action::Bottom => &["G", "end"],
            Action::Select => &["enter"],
            Action::Back => &["backspace"],
            Action::NextSection => &["]"],
            Action::PrevSection => &["["],
            Action::FindRunbook => &["f"],
            Action::Zoom => &["z"],
            Action::Redraw => &["ctrl-l"],
            Action::Suspend => &["ctrl-z"],
            Action::Ack => &["a"],
            Action::Note => &["i"],
            Action::OpenIncident => &["I"],
            Action::ResolveIncident => &["R"],
            Action::Filter => &["/"],
            Action::GroupBy => &["b"],
            Action::Detail => &["d"],
            Action::Silence => &["s"],
            Action::ExpireSilence => &["U"],
            Action::Run => &["x"],
            Action::DryRun => &["X"],
            Action::NextCommand => &["c"],
            Action::CancelRun => &["ctrl-k"],
            Action::StartExperiment => &["e"],
            Action::KillSwitch => &["K"],
            Action::Verdict => &["v"],
            Action::AdvanceDrill => &["p"],
            Action::Abandon => &["A"],
        }
    }
}

/// A key with its modifiers, normalised so that `G` and `shift-g` are the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    code: KeyCodeOrd,
    ctrl: bool,
    alt: bool,
}

/// `KeyCode` is not `Ord`; this is the subset warroom binds, in an orderable form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyCodeOrd {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

impl Key {
    /// The key a terminal event stands for; `None` for releases and keys warroom never binds.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCodeOrd::BackTab,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Delete => KeyCodeOrd::Delete,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// Parses `q`, `G`, `?`, `ctrl-c`, `alt-x`, `shift-tab`, `enter`, `f1`, `space` ...
    pub fn parse(spec: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = spec;
        // A lone "-" is the minus key, not an empty modifier.
        while let Some((prefix, tail)) = rest.split_once('-').filter(|(_, t)| !t.is_empty()) {
            match prefix.to_ascii_lowercase().as_str() {
                "ctrl" | "c" => ctrl = true,
                "alt" | "a" | "m" | "meta" => alt = true,
                "shift" | "s" => shift = true,
                _ => {
                    return Err(format!(
                        "unknown modifier `{prefix}` in key `{spec}` (use ctrl-, alt- or shift-)"
                    ));
                }
            }
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                if shift && c.is_ascii_alphabetic() {
                    shift = false;
                    KeyCodeOrd::Char(c.to_ascii_uppercase())
                } else {
                    KeyCodeOrd::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCodeOrd::Enter,
                "esc" | "escape" => KeyCodeOrd::Esc,
                "tab" if shift => {
                    shift = false;
                    KeyCodeOrd::BackTab
                }
                "tab" => KeyCodeOrd::Tab,
                "backtab" => KeyCodeOrd::BackTab,
                "backspace" | "bs" => KeyCodeOrd::Backspace,
                "delete" | "del" => KeyCodeOrd::Delete,
                "space" => KeyCodeOrd::Char(' '),
                "up" => KeyCodeOrd::Up,
                "down" => KeyCodeOrd::Down,
                "left" => KeyCodeOrd::Left,
                "right" => KeyCodeOrd::Right,
                "pgup" | "pageup" => KeyCodeOrd::PageUp,
                "pgdn" | "pagedown" => KeyCodeOrd::PageDown,
                "home" => KeyCodeOrd::Home,
                "end" => KeyCodeOrd::End,
                f if f.starts_with('f') && f.len() > 1 => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCodeOrd::F(n),
                    _ => {
                        return Err(format!(
                            "unknown key `{spec}` (function keys are f1 to f12)"
                        ));
                    }
                },
                _ => {
                    return Err(format!(
                        "unknown key `{spec}` (use a single character, or one of enter, esc, tab, \
                         backtab, backspace, delete, space, up, down, left, right, pgup, pgdn, home, \
                         end, f1-f12, with optional ctrl-, alt-, shift- prefixes)"
                    ));
                }
            },
        };
        if shift {
            return Err(format!(
                "`shift-` works only with letters and tab in `{spec}` (write the shifted character itself, e.g. `?`)"
            ));
        }
        // Terminals send ctrl-letter in lower case; ctrl-G and ctrl-g are one key.
        if ctrl && let KeyCodeOrd::Char(c) = code {
            return Ok(Key {
                code: KeyCodeOrd::Char(c.to_ascii_lowercase()),
                ctrl,
                alt,
            });
        }
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "f{n}"),
            KeyCodeOrd::Enter => f.write_str("enter"),
            KeyCodeOrd::Esc => f.write_str("esc"),
            KeyCodeOrd::Tab => f.write_str("tab"),
            KeyCodeOrd::BackTab => f.write_str("shift-tab"),
            KeyCodeOrd::Backspace => f.write_str("backspace"),
            KeyCodeOrd::Delete => f.write_str("delete"),
            KeyCodeOrd::Up => f.write_str("↑"),
            KeyCodeOrd::Down => f.write_str("↓"),
            KeyCodeOrd::Left => f.write_str("←"),
            KeyCodeOrd::Right => f.write_str("→"),
            KeyCodeOrd::PageUp => f.write_str("pgup"),
            KeyCodeOrd::PageDown => f.write_str("pgdn"),
            KeyCodeOrd::Home => f.write_str("home"),
            KeyCodeOrd::End => f.write_str("end"),
        }
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spec = String::deserialize(d)?;
        Key::parse(&spec).map_err(serde::de::Error::custom)
    }
}

/// One key or a list of keys, as written in the config file.
#[derive(Debug, Clone)]
pub enum KeyList {
    One(Key),
    Many(Vec<Key>),
}

/// By hand rather than `#[serde(untagged)]`, which would replace a precise "unknown key"
/// message with "did not match any variant".
impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = KeyList;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key like `q` or `ctrl-c`, or a list of keys")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KeyList, E> {
                Key::parse(v).map(KeyList::One).map_err(E::custom)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = seq.next_element::<Key>()? {
                    keys.push(k);
                }
                Ok(KeyList::Many(keys))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl KeyList {
    fn into_vec(self) -> Vec<Key> {
        match self {
            KeyList::One(k) => vec![k],
            KeyList::Many(v) => v,
        }
    }
}

/// The bindings in force: defaults with the config's `keys:` overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = Action::ALL
            .iter()
            .map(|&a| {
                let keys = a
                    .default_keys()
                    .iter()
                    .filter_map(|s| Key::parse(s).ok())
                    .collect();
                (a, keys)
            })
            .collect();
        Keymap { bindings }
    }
}

/// Actions the help shows on one row when both are bound: (first, second, description).
const HELP_PAIRS: [(Action, Action, &str); 4] = [
    (
        Action::FocusNext,
        Action::FocusPrev,
        "focus the next / previous pane",
    ),
    (Action::Up, Action::Down, "move up / down"),
    (Action::Top, Action::Bottom, "go to the first / last item"),
    (
        Action::Silence,
        Action::ExpireSilence,
        "silence in Alertmanager / expire the silence (both ask)",
    ),
];

/// Keys with a fixed meaning that config may not take over: digits choose branches, and
/// y/n/esc answer prompts.
pub const RESERVED: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8", "9", "y", "n", "esc"];

impl Keymap {
    /// Applies overrides: each named action gets exactly the keys listed (an empty list
    /// unbinds it). A key bound to two actions, or a reserved key, is an error.
    pub fn with_overrides(
        overrides: BTreeMap<Action, KeyList>,
    ) -> Result<Keymap, (Action, String)> {
        let mut map = Keymap::default();
        for (action, keys) in overrides {
            map.bindings.insert(action, keys.into_vec());
        }
        let reserved: Vec<Key> = RESERVED.iter().filter_map(|s| Key::parse(s).ok()).collect();
        let mut seen: BTreeMap<Key, Action> = BTreeMap::new();
        for (&action, keys) in &map.bindings {
            for key in keys {
                if reserved.contains(key) {
                    return Err((
                        action,
                        format!(
                            "key `{key}` for `{}` is reserved (digits choose branches; y, n and esc answer prompts)",
                            action.config_name()
                        ),
                    ));
                }
                if let Some(other) = seen.insert(*key, action) {
                    return Err((
                        action,
                        format!(
                            "key `{key}` is bound to both `{}` and `{}`; give each action its own keys",
                            other.config_name(),
                            action.config_name()
                        ),
                    ));
                }
            }
        }
        if map.keys(Action::Quit).is_empty() {
            return Err((Action::Quit, "`quit` must keep at least one key".into()));
        }
        Ok(map)
    }

    pub fn action_for(&self, key: &Key) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(key))
            .map(|(a, _)| *a)
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        self.bindings.get(&action).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first key of an action, for compact hints in the status bar.
    pub fn hint(&self, action: Action) -> Option<String> {
        self.keys(action).first().map(Key::to_string)
    }

    /// Rows for the help overlay: (keys, what they do), in [`Action::ALL`] order, then the
    /// fixed keys.
    pub fn help_rows(&self) -> Vec<(String, &'static str)> {
        let keys_of = |a: Action| -> String {
            let keys: Vec<String> = self.keys(a).iter().map(Key::to_string).collect();
            keys.join(", ")
        };
        let mut rows: Vec<(String, &'static str)> = Vec::new();
        for &a in Action::ALL.iter().filter(|a| !self.keys(**a).is_empty()) {
            // Opposites share a row when both are bound, so the help fits 80x24.
            if HELP_PAIRS.iter().any(|(_, second, _)| {
                *second == a
                    && HELP_PAIRS
                        .iter()
                        .any(|(f, s2, _)| *s2 == a && !self.keys(*f).is_empty())
            }) {
                continue;
            }
            match HELP_PAIRS.iter().find(|(first, _, _)| *first == a) {
                Some((_, second, both)) if !self.keys(*second).is_empty() => {
                    rows.push((format!("{} / {}", keys_of(a), keys_of(*second)), *both));
                }
                _ => rows.push((keys_of(a), a.description())),
            }
        }
        rows.push(("1-9".into(), "choose a numbered branch in the runbook"));
        rows.push((
            "y / n, esc".into(),
            "answer a prompt (the default is always No)",
        ));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn parses_and_matches_terminal_events() {
        let map = Keymap::default();
        let q = Key::from_event(&ev(KeyCode::Char('q'), KeyModifiers::NONE)).unwrap();
        assert_eq!(map.action_for(&q), Some(Action::Quit));
        let cc = Key::from_event(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL)).unwrap();
        assert_eq!(map.action_for(&cc), Some(Action::Quit));
        let bt = Key::from_event(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)).unwrap();
        assert_eq!(map.action_for(&bt), Some(Action::FocusPrev));
        let big_g = Key::from_event(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)).unwrap();
        assert_eq!(map.action_for(&big_g), Some(Action::Bottom));
    }

    #[test]
    fn key_specs_round_trip() {
        for spec in [
            "q",
            "G",
            "?",
            "ctrl-c",
            "alt-x",
            "shift-tab",
            "enter",
            "f1",
            "space",
            "-",
        ] {
            let key = Key::parse(spec).unwrap();
            assert_eq!(Key::parse(&key.to_string()), Ok(key), "{spec}");
        }
        assert_eq!(Key::parse("shift-g"), Key::parse("G"));
        assert!(
            Key::parse("hyper-x")
                .unwrap_err()
                .contains("unknown modifier")
        );
        assert!(Key::parse("f13").unwrap_err().contains("f1 to f12"));
        assert!(Key::parse("shift-1").unwrap_err().contains("shift-"));
    }

    #[test]
    fn overrides_replace_and_conflicts_are_errors() {
        let mut o = BTreeMap::new();
        o.insert(Action::Zoom, KeyList::One(Key::parse("Z").unwrap()));
        let map = Keymap::with_overrides(o).unwrap();
        assert_eq!(map.keys(Action::Zoom), &[Key::parse("Z").unwrap()]);
        assert!(
            map.help_rows()
                .iter()
                .any(|(k, d)| k == "Z" && d.starts_with("zoom"))
        );

        let mut o = BTreeMap::new();
        o.insert(Action::Zoom, KeyList::One(Key::parse("q").unwrap()));
        let (_, err) = Keymap::with_overrides(o).unwrap_err();
        assert!(
            err.contains("`q` is bound to both `quit` and `zoom`"),
            "{err}"
        );

        let mut o = BTreeMap::new();
        o.insert(Action::Zoom, KeyList::One(Key::parse("y").unwrap()));
        assert!(
            Keymap::with_overrides(o)
                .unwrap_err()
                .1
                .contains("reserved")
        );

        let mut o = BTreeMap::new();
        o.insert(Action::Quit, KeyList::Many(vec![]));
        assert!(
            Keymap::with_overrides(o)
                .unwrap_err()
                .1
                .contains("at least one key")
        );
    }
}
