//! Colours and text attributes for every role on screen, loaded from `themes/*.yaml`.
//!
//! Themes live in data files rather than code so that people on light terminals, with low
//! vision, or with a house style can fix the console's look without rebuilding it. The three
//! builtins are compiled in, so the binary never depends on files next to it; a user file
//! with the same name overrides one. The file format is described in `docs/themes.md`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// One style per role the UI draws. Panes never pick colours themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// Whole-screen text and background.
    pub base: Style,
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    pub title_focused: Style,
    /// Table headers and section headings.
    pub header: Style,
    /// The selected row in a list.
    pub selected: Style,
    /// Secondary text: ages, hints, labels.
    pub dim: Style,
    pub p0: Style,
    pub p1: Style,
    pub p2: Style,
    /// Healthy / on time.
    pub ok: Style,
    /// Close to a target.
    pub warn: Style,
    /// Past a target, budget exhausted.
    pub over: Style,
    /// An acknowledged alert's ack marker.
    pub acked: Style,
    pub status_bar: Style,
    pub mode_live: Style,
    pub mode_demo: Style,
    pub mode_read_only: Style,
    /// The key in a key hint ("q" in "q quit").
    pub key: Style,
    pub sparkline: Style,
    /// Fenced code blocks and commands.
    pub code: Style,
    /// Numbered branch choices in a diagnose tree.
    pub choice: Style,
    /// Help overlay and confirmation prompts.
    pub overlay: Style,
    pub error: Style,
    /// Data that is older than it should be.
    pub stale: Style,
}

/// Kept in code as well as in `themes/dark.yaml` so that `Default` can never fail; a test
/// keeps the two identical.
impl Default for Theme {
    fn default() -> Self {
        let fg = Style::new().fg(Color::Gray);
        Theme {
            name: "dark".into(),
            base: fg,
            border: Style::new().fg(Color::DarkGray),
            border_focused: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            title: Style::new().fg(Color::Gray),
            title_focused: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            header: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            dim: Style::new().fg(Color::DarkGray),
            p0: Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            p1: Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            p2: Style::new().fg(Color::Yellow),
            ok: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            over: Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            acked: Style::new().fg(Color::Green),
            status_bar: Style::new().fg(Color::White).bg(Color::Indexed(236)),
            mode_live: Style::new()
                .fg(Color::Black)
                .bg(Color::Green)
                .add_modifier(Modifier::BOLD),
            mode_demo: Style::new()
                .fg(Color::Black)
                .bg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
            mode_read_only: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            sparkline: Style::new().fg(Color::LightBlue),
            code: Style::new().fg(Color::LightYellow),
            choice: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            overlay: Style::new().fg(Color::White).bg(Color::Indexed(235)),
            error: Style::new().fg(Color::LightRed),
            stale: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        }
    }
}

/// Everything that can go wrong finding or reading a theme. Each message names the file or
/// value at fault and says how to fix it, because the user sees it at startup and nowhere else.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("{}", unknown_theme_message(.name, .available, .dir.as_deref()))]
    UnknownTheme {
        name: String,
        /// Builtins plus the user themes found, sorted.
        available: Vec<String>,
        dir: Option<PathBuf>,
    },
    #[error(
        "invalid theme name {name:?}: use a plain file name such as \"dark\" or \"my-theme\", \
         without \"/\", \"\\\" or \"..\""
    )]
    InvalidName { name: String },
    #[error("cannot read theme file {}: {source}; make it a readable file or remove it", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {message}; see docs/themes.md for the format", location_prefix(.path, .location))]
    Parse {
        path: String,
        /// 1-based line and column, when the YAML parser knows them.
        location: Option<(usize, usize)>,
        message: String,
    },
    #[error(
        "{path}: `extends: {base}` is not a builtin theme; extend one of: {}",
        BUILTIN_NAMES.join(", ")
    )]
    UnknownBase { path: String, base: String },
    #[error(
        "{path}: missing roles: {}; add them under `styles:`, or add `extends: dark` \
         (or another builtin) to take the rest from it",
        .roles.join(", ")
    )]
    MissingRoles {
        path: String,
        roles: Vec<&'static str>,
    },
    #[error(
        "{path}: says `name: {found}` but its file name makes it theme {expected:?}; \
         change the line to `name: {expected}` or remove it"
    )]
    NameMismatch {
        path: String,
        found: String,
        expected: String,
    },
}

fn unknown_theme_message(name: &str, available: &[String], dir: Option<&Path>) -> String {
    let searched = match dir {
        Some(dir) => format!("looked for {}", dir.join(format!("{name}.yaml")).display()),
        None => "no user theme directory".to_owned(),
    };
    format!(
        "unknown theme {name:?} ({searched}); available: {}; pick one of those with \
         --theme or `theme:` in the config, or create that file",
        available.join(", ")
    )
}

fn location_prefix(path: &str, location: &Option<(usize, usize)>) -> String {
    match *location {
        Some((line, column)) => format!("{path}:{line}:{column}"),
        None => path.to_owned(),
    }
}

/// The same names as `BUILTINS`, in the same order, as a slice `builtin_names` can lend out.
const BUILTIN_NAMES: &[&str] = &["dark", "light", "high-contrast"];

/// (name, where it lives in the source tree, contents). The path only appears in errors.
const BUILTINS: &[(&str, &str, &str)] = &[
    (
        "dark",
        "themes/dark.yaml",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/themes/dark.yaml")),
    ),
    (
        "light",
        "themes/light.yaml",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/themes/light.yaml")),
    ),
    (
        "high-contrast",
        "themes/high-contrast.yaml",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/themes/high-contrast.yaml"
        )),
    ),
];

/// The themes compiled into the binary, default first.
pub fn builtin_names() -> &'static [&'static str] {
    BUILTIN_NAMES
}

/// Loads theme `name`: `<user_theme_dir>/<name>.yaml` if that file exists, else the builtin.
pub fn load(name: &str, user_theme_dir: Option<&Path>) -> Result<Theme, ThemeError> {
    // The name comes from the command line or config and becomes part of a path.
    if name.is_empty() || name.contains(['/', '\\', '\0']) || name.contains("..") {
        return Err(ThemeError::InvalidName {
            name: name.to_owned(),
        });
    }
    if let Some(dir) = user_theme_dir {
        let path = dir.join(format!("{name}.yaml"));
        // Reading directly (rather than checking `exists` first) means a file that vanishes
        // or is unreadable is reported as what it is.
        match std::fs::read_to_string(&path) {
            Ok(text) => return parse(&path.display().to_string(), &text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(ThemeError::Io { path, source }),
        }
    }
    match BUILTINS.iter().find(|(n, ..)| *n == name) {
        Some((_, path, text)) => parse(path, text),
        None => Err(ThemeError::UnknownTheme {
            name: name.to_owned(),
            available: available_names(user_theme_dir),
            dir: user_theme_dir.map(Path::to_path_buf),
        }),
    }
}

/// Builtins plus `*.yaml` stems in the user directory; a missing directory just adds nothing.
fn available_names(user_theme_dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = BUILTIN_NAMES.iter().map(|&n| n.to_owned()).collect();
    if let Some(entries) = user_theme_dir.and_then(|d| std::fs::read_dir(d).ok()) {
        for path in entries.flatten().map(|e| e.path()) {
            if path.extension().is_some_and(|e| e == "yaml")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            {
                names.push(stem.to_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Parses one theme file. `source_name` is its path: it appears in errors, and its file stem
/// is the theme's name, so that `--theme NAME` and what the UI shows always agree.
pub fn parse(source_name: &str, text: &str) -> Result<Theme, ThemeError> {
    let file: ThemeFile = serde_yaml::from_str(text).map_err(|e| parse_error(source_name, &e))?;
    let expected = Path::new(source_name).file_stem().map_or_else(
        || source_name.to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    if let Some(found) = file.name.filter(|found| *found != expected) {
        return Err(ThemeError::NameMismatch {
            path: source_name.to_owned(),
            // Quoted from the file: escaped for the terminal.
            found: crate::sanitize::escape(&found).into_owned(),
            expected,
        });
    }

    let mut theme = match &file.extends {
        // Builtins never use `extends`, so this recursion is one level deep.
        Some(base) => match BUILTINS.iter().find(|(n, ..)| n == base) {
            Some((_, path, text)) => parse(path, text)?,
            None => {
                return Err(ThemeError::UnknownBase {
                    path: source_name.to_owned(),
                    base: crate::sanitize::escape(base).into_owned(),
                });
            }
        },
        None => Theme::default(),
    };
    theme.name = expected;

    let mut missing = Vec::new();
    for ((role, raw), (_, slot)) in file.styles.into_roles().into_iter().zip(theme.roles_mut()) {
        match raw {
            Some(raw) => *slot = raw.into_style(),
            None if file.extends.is_none() => missing.push(role),
            // Inherited from the base theme.
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(ThemeError::MissingRoles {
            path: source_name.to_owned(),
            roles: missing,
        });
    }
    Ok(theme)
}

/// Puts serde's location in front (`path:line:column: message`), the form editors jump to,
/// instead of serde_yaml's trailing "at line L column C".
fn parse_error(path: &str, error: &serde_yaml::Error) -> ThemeError {
    let location = error.location().map(|l| (l.line(), l.column()));
    let mut message = error.to_string();
    if let Some((line, column)) = location {
        message = message.replacen(&format!(" at line {line} column {column}"), "", 1);
    }
    ThemeError::Parse {
        path: path.to_owned(),
        location,
        // It quotes the file (an unknown key): escaped for the terminal.
        message: crate::sanitize::escape_keeping_lines(&message),
    }
}

impl Theme {
    /// The theme for `NO_COLOR` terminals: no foreground or background colours, with meaning
    /// carried by attributes instead. Roles not listed here keep their own attributes.
    pub fn monochrome(&self) -> Theme {
        let mut theme = self.clone();
        for (_, style) in theme.roles_mut() {
            // Rebuilt rather than edited so that no colour of any kind (underline included)
            // survives.
            *style = Style::new()
                .add_modifier(style.add_modifier)
                .remove_modifier(style.sub_modifier);
        }
        let only = |m: Modifier| Style::new().add_modifier(m);
        theme.p0 = only(Modifier::REVERSED | Modifier::BOLD);
        theme.p1 = only(Modifier::BOLD);
        theme.p2 = Style::new();
        theme.selected = only(Modifier::REVERSED);
        theme.border_focused = only(Modifier::BOLD);
        theme.title_focused = only(Modifier::BOLD);
        theme.over = only(Modifier::BOLD);
        theme.stale = only(Modifier::BOLD);
        theme.mode_live = only(Modifier::REVERSED | Modifier::BOLD);
        theme.mode_demo = only(Modifier::REVERSED | Modifier::BOLD);
        theme.mode_read_only = only(Modifier::REVERSED | Modifier::BOLD);
        theme.error = only(Modifier::BOLD);
        theme.key = only(Modifier::BOLD);
        theme
    }
}

/// Lists the roles once and derives from that list both the file's `styles:` mapping (whose
/// unknown keys serde rejects with a location) and a by-name view of `Theme`.
macro_rules! roles {
    ($($role:ident),* $(,)?) => {
        #[derive(Deserialize, Default)]
        #[serde(deny_unknown_fields, expecting = "a mapping from role names to styles")]
        struct RawStyles {
            $(#[serde(default)] $role: Option<RawStyle>,)*
        }

        impl RawStyles {
            fn into_roles(self) -> Vec<(&'static str, Option<RawStyle>)> {
                vec![$((stringify!($role), self.$role)),*]
            }
        }

        impl Theme {
            /// Every role with its name as written in theme files, in declaration order.
            pub fn roles(&self) -> Vec<(&'static str, Style)> {
                vec![$((stringify!($role), self.$role)),*]
            }

            fn roles_mut(&mut self) -> Vec<(&'static str, &mut Style)> {
                vec![$((stringify!($role), &mut self.$role)),*]
            }
        }
    };
}

roles!(
    base,
    border,
    border_focused,
    title,
    title_focused,
    header,
    selected,
    dim,
    p0,
    p1,
    p2,
    ok,
    warn,
    over,
    acked,
    status_bar,
    mode_live,
    mode_demo,
    mode_read_only,
    key,
    sparkline,
    code,
    choice,
    overlay,
    error,
    stale,
);

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a theme: a mapping with `name`, `extends` and `styles`"
)]
struct ThemeFile {
    name: Option<String>,
    extends: Option<String>,
    #[serde(default)]
    styles: RawStyles,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a style such as `{ fg: red, bold: true }`"
)]
struct RawStyle {
    fg: Option<ColourSpec>,
    bg: Option<ColourSpec>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
}

impl RawStyle {
    fn into_style(self) -> Style {
        let mut style = Style::new();
        style.fg = self.fg.map(|c| c.0);
        style.bg = self.bg.map(|c| c.0);
        for (on, modifier) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underlined, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            if on {
                style = style.add_modifier(modifier);
            }
        }
        style
    }
}

/// A colour checked while deserializing, so a bad one is reported at its line and column
/// with its key path (`styles.p0.fg`) rather than somewhere after parsing.
struct ColourSpec(Color);

impl<'de> Deserialize<'de> for ColourSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ColourVisitor;

        impl Visitor<'_> for ColourVisitor {
            type Value = ColourSpec;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a colour name, #rrggbb, or an index 0-255")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<ColourSpec, E> {
                // "default" reads better than "reset" in a theme: the terminal's own colour.
                if value.eq_ignore_ascii_case("default") {
                    return Ok(ColourSpec(Color::Reset));
                }
                value.parse().map(ColourSpec).map_err(|_| {
                    E::custom(format_args!(
                        "unknown colour {value:?}; use a name (black, red, green, yellow, blue, \
                         magenta, cyan, gray, darkgray, lightred, lightgreen, lightyellow, \
                         lightblue, lightmagenta, lightcyan, white, default), #rrggbb, or an \
                         index 0-255"
                    ))
                })
            }

            // YAML reads `fg: 236` as a number; indexes are valid colours.
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<ColourSpec, E> {
                self.visit_str(&value.to_string())
            }
        }

        deserializer.deserialize_str(ColourVisitor)
    }
}
