//! Theme files: the builtins, user overrides, `extends`, every error message, and `NO_COLOR`.

use std::fs;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use warroom::theme::{self, Theme, ThemeError};

/// A theme file that sets every role to the same style, so tests can tell it from a builtin.
fn full_theme_yaml(style: &str) -> String {
    let mut text = String::from("styles:\n");
    for (role, _) in Theme::default().roles() {
        text.push_str(&format!("  {role}: {style}\n"));
    }
    text
}

fn write(dir: &Path, file: &str, text: &str) {
    fs::write(dir.join(file), text).expect("write test theme");
}

fn err_text(result: Result<Theme, ThemeError>) -> String {
    match result {
        Ok(theme) => panic!("expected an error, got theme {:?}", theme.name),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_builtin_parses_and_differs_from_the_others() {
    let names = theme::builtin_names();
    assert_eq!(names, ["dark", "light", "high-contrast"]);
    let themes: Vec<Theme> = names
        .iter()
        .map(|n| theme::load(n, None).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    for (theme, name) in themes.iter().zip(names) {
        assert_eq!(theme.name, *name);
    }
    for (i, a) in themes.iter().enumerate() {
        for b in &themes[i + 1..] {
            assert_ne!(
                a.roles(),
                b.roles(),
                "{} and {} look the same",
                a.name,
                b.name
            );
        }
    }
}

#[test]
fn dark_file_matches_default() {
    assert_eq!(theme::load("dark", None).expect("dark"), Theme::default());
}

#[test]
fn light_has_dark_text_and_a_selection() {
    let light = theme::load("light", None).expect("light");
    assert_eq!(light.name, "light");
    assert_eq!(light.base.fg, Some(Color::Black));
    assert_ne!(light.selected, Style::new());
}

#[test]
fn colour_forms() {
    let text = "extends: dark\nstyles:\n  base: { fg: '#102030', bg: 236 }\n  \
                border: { fg: default, bg: reset }\n  dim: { fg: LightRed, dim: true, italic: true }\n";
    let t = theme::parse("x.yaml", text).expect("parse");
    assert_eq!(
        t.base,
        Style::new()
            .fg(Color::Rgb(0x10, 0x20, 0x30))
            .bg(Color::Indexed(236))
    );
    assert_eq!(t.border, Style::new().fg(Color::Reset).bg(Color::Reset));
    assert_eq!(
        t.dim,
        Style::new()
            .fg(Color::LightRed)
            .add_modifier(Modifier::DIM | Modifier::ITALIC)
    );
}

#[test]
fn user_file_overrides_a_builtin_and_adds_new_themes() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "dark.yaml", &full_theme_yaml("{ fg: blue }"));
    write(
        dir.path(),
        "mine.yaml",
        &full_theme_yaml("{ fg: '#ff8800', underlined: true }"),
    );

    let dark = theme::load("dark", Some(dir.path())).expect("overridden dark");
    assert_eq!(dark.name, "dark");
    assert!(
        dark.roles()
            .iter()
            .all(|(_, s)| *s == Style::new().fg(Color::Blue))
    );

    let mine = theme::load("mine", Some(dir.path())).expect("mine");
    assert_eq!(mine.name, "mine");
    assert_eq!(mine.p0.fg, Some(Color::Rgb(0xff, 0x88, 0x00)));

    // Builtins without a user file are still found.
    assert_eq!(
        theme::load("light", Some(dir.path())).expect("light").name,
        "light"
    );
}

#[test]
fn extends_takes_unlisted_roles_from_the_builtin() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "warm.yaml",
        "# light with amber P0\nname: warm\nextends: light\nstyles:\n  p0: { fg: black, bg: 220, bold: true }\n",
    );
    // A user `dark` extending `dark` means the embedded one, not itself.
    write(
        dir.path(),
        "dark.yaml",
        "extends: dark\nstyles:\n  selected: { bg: blue }\n",
    );

    let warm = theme::load("warm", Some(dir.path())).expect("warm");
    let light = theme::load("light", None).expect("light");
    assert_eq!(warm.name, "warm");
    assert_eq!(
        warm.p0,
        Style::new()
            .fg(Color::Black)
            .bg(Color::Indexed(220))
            .add_modifier(Modifier::BOLD)
    );
    assert_eq!(warm.base, light.base);
    assert_eq!(warm.stale, light.stale);

    let dark = theme::load("dark", Some(dir.path())).expect("dark");
    assert_eq!(dark.selected, Style::new().bg(Color::Blue));
    assert_eq!(dark.p0, Theme::default().p0);
}

#[test]
fn unknown_theme_lists_available_names_and_the_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "mine.yaml", &full_theme_yaml("{}"));
    let msg = err_text(theme::load("nope", Some(dir.path())));
    assert!(msg.starts_with("unknown theme \"nope\""), "{msg}");
    assert!(
        msg.contains("available: dark, high-contrast, light, mine"),
        "{msg}"
    );
    assert!(
        msg.contains(&dir.path().join("nope.yaml").display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("--theme"), "{msg}");

    let msg = err_text(theme::load("nope", None));
    assert!(
        msg.contains("available: dark, high-contrast, light;"),
        "{msg}"
    );
    assert!(msg.contains("no user theme directory"), "{msg}");
}

#[test]
fn names_that_are_not_plain_file_stems_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    for bad in ["", "..", "../dark", "sub/dark", "a\\b"] {
        let result = theme::load(bad, Some(dir.path()));
        assert!(
            matches!(result, Err(ThemeError::InvalidName { .. })),
            "{bad:?}"
        );
        let msg = err_text(result);
        assert!(
            msg.starts_with(&format!("invalid theme name {bad:?}")),
            "{msg}"
        );
        assert!(msg.contains("plain file name"), "{msg}");
    }
}

#[test]
fn unreadable_user_file_is_an_io_error_with_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir(dir.path().join("dark.yaml")).expect("mkdir");
    let result = theme::load("dark", Some(dir.path()));
    assert!(matches!(result, Err(ThemeError::Io { .. })));
    let msg = err_text(result);
    let path = dir.path().join("dark.yaml").display().to_string();
    assert!(
        msg.starts_with(&format!("cannot read theme file {path}: ")),
        "{msg}"
    );
}

#[test]
fn yaml_syntax_error_has_file_line_column() {
    let msg = err_text(theme::parse(
        "t/bad.yaml",
        "styles:\n  base: { fg: red }}\n",
    ));
    assert!(
        msg.starts_with("t/bad.yaml:2:20: did not find expected key"),
        "{msg}"
    );
    assert!(msg.ends_with("see docs/themes.md for the format"), "{msg}");
    assert!(
        !msg.contains("line 2 column 20"),
        "location is given once, up front: {msg}"
    );
}

#[test]
fn unknown_colour_names_value_role_and_accepted_forms() {
    let text = "extends: dark\nstyles:\n  p1: { fg: purpel }\n";
    let msg = err_text(theme::parse("t/c.yaml", text));
    assert!(
        msg.starts_with("t/c.yaml:3:13: styles.p1.fg: unknown colour \"purpel\""),
        "{msg}"
    );
    assert!(msg.contains("lightred"), "{msg}");
    assert!(msg.contains("#rrggbb"), "{msg}");
    assert!(msg.contains("0-255"), "{msg}");

    let msg = err_text(theme::parse(
        "t/c.yaml",
        "extends: dark\nstyles:\n  p1: { bg: 256 }\n",
    ));
    assert!(
        msg.starts_with("t/c.yaml:3:13: styles.p1.bg: unknown colour \"256\""),
        "{msg}"
    );
}

#[test]
fn unknown_role_and_unknown_style_key_are_located() {
    let msg = err_text(theme::parse(
        "t/r.yaml",
        "extends: dark\nstyles:\n  p3: { bold: true }\n",
    ));
    assert!(
        msg.starts_with("t/r.yaml:3:3: styles: unknown field `p3`, expected one of"),
        "{msg}"
    );
    assert!(msg.contains("`mode_read_only`"), "{msg}");

    let msg = err_text(theme::parse(
        "t/k.yaml",
        "extends: dark\nstyles:\n  p0: { blod: true }\n",
    ));
    assert!(
        msg.starts_with("t/k.yaml:3:9: styles.p0: unknown field `blod`"),
        "{msg}"
    );
    assert!(msg.contains("`bold`"), "{msg}");

    let msg = err_text(theme::parse(
        "t/s.yaml",
        "extends: dark\nstyles:\n  p0: red\n",
    ));
    assert!(
        msg.starts_with("t/s.yaml:3:7: styles.p0: invalid type: string \"red\", expected a style"),
        "{msg}"
    );

    let msg = err_text(theme::parse("t/t.yaml", "extend: dark\n"));
    assert!(
        msg.starts_with("t/t.yaml:1:1: unknown field `extend`, expected"),
        "{msg}"
    );
}

#[test]
fn missing_roles_without_extends_are_listed() {
    let msg = err_text(theme::parse(
        "t/m.yaml",
        "styles:\n  base: { fg: gray }\n  p0: { bold: true }\n",
    ));
    assert!(
        msg.starts_with("t/m.yaml: missing roles: border, border_focused, title,"),
        "{msg}"
    );
    assert!(msg.contains(", stale;"), "{msg}");
    assert!(!msg.contains(" p0,"), "{msg}");
    assert!(msg.contains("extends: dark"), "{msg}");
}

#[test]
fn unknown_base_and_name_mismatch() {
    let msg = err_text(theme::parse("t/u.yaml", "extends: solarized\n"));
    assert_eq!(
        msg,
        "t/u.yaml: `extends: solarized` is not a builtin theme; extend one of: dark, light, high-contrast"
    );

    let msg = err_text(theme::parse("t/copy.yaml", "name: dark\nextends: dark\n"));
    assert!(
        msg.starts_with("t/copy.yaml: says `name: dark` but its file name makes it theme \"copy\""),
        "{msg}"
    );
    assert!(msg.contains("`name: copy`"), "{msg}");
}

#[test]
fn monochrome_has_no_colours_and_keeps_severity_readable() {
    for name in theme::builtin_names() {
        let mono = theme::load(name, None).expect("builtin").monochrome();
        for (role, style) in mono.roles() {
            assert_eq!(
                (style.fg, style.bg),
                (None, None),
                "{name}: {role} still has a colour"
            );
        }
        assert_ne!(mono.p0, mono.p2, "{name}");
        assert!(
            mono.p0
                .add_modifier
                .contains(Modifier::REVERSED | Modifier::BOLD)
        );
        assert!(mono.p1.add_modifier.contains(Modifier::BOLD));
        assert_eq!(mono.p2, Style::new());
        assert!(mono.selected.add_modifier.contains(Modifier::REVERSED));
        assert!(mono.mode_live.add_modifier.contains(Modifier::REVERSED));
        assert!(mono.error.add_modifier.contains(Modifier::BOLD));
    }
}
