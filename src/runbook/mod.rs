//! Runbooks: markdown files parsed into a typed model the console steps through, and the
//! lint that keeps them trustworthy.

pub mod anchors;
pub mod attrs;
pub mod command;
pub mod diagnostic;
pub mod front;
pub mod lint;
pub mod lint_exec;
pub mod load;
pub mod model;
pub mod parse;
pub mod placeholder;
pub mod text;

pub use diagnostic::{Diagnostic, Level};
pub use model::{
    Block, BodyBlock, Branch, CommandBlock, CommandKind, Danger, FrontMatter, Inline, InlineStyle,
    KubeVerb, Pos, Precheck, PrecheckKind, Runbook, SectionKind, Step,
};
