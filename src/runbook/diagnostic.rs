//! One finding about a runbook file, shared by the parser, the loader and lint so every
//! problem prints the same way: `file:line:col: error: message` and a hint. Messages quote
//! the file's text, so they are escaped here, once, for the terminal and for CI logs.

use std::fmt;

use serde::Serialize;

use super::model::Pos;
use crate::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub level: Level,
    /// A stable name for the kind of finding, e.g. `dangling-anchor`.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: String::new(),
            line: pos.line,
            column: pos.col,
            level: Level::Error,
            code,
            message: sanitize::escape_keeping_lines(&message.into()),
            hint: None,
        }
    }

    pub fn warning(code: &'static str, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, pos, message)
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(sanitize::escape_keeping_lines(&hint.into()));
        self
    }

    pub fn in_file(mut self, file: &str) -> Diagnostic {
        self.file = sanitize::escape(file).into_owned();
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {level}: {} [{}]",
            self.file, self.line, self.column, self.message, self.code
        )?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}
