//! Markdown → [`Runbook`]. Runbook files are untrusted input: the size is capped, parsing
//! gives up after a time budget, and every string is sanitized here, where it enters.
//! Problems the parser can see (bad attributes, unterminated fences, stray safety checks)
//! come back as diagnostics beside the model; `lint` checks the model as a whole.

use std::time::{Duration, Instant};

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::anchors::Anchors;
use super::attrs::{self, Attrs};
use super::diagnostic::Diagnostic;
use super::front;
use super::model::*;
pub use super::text::{Lines, plain};
use super::text::{branch_label, fence_body, heading_level};
use crate::sanitize::escape;

/// Larger files are refused: a runbook is read at 3am, not a novel.
pub const MAX_BYTES: usize = 256 * 1024;
/// Parsing stops with an error after this long, whatever the input.
pub const TIME_BUDGET: Duration = Duration::from_millis(500);

/// A heading as GitHub would anchor it; lint checks branch targets against these.
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    pub anchor: String,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct Parsed {
    pub runbook: Runbook,
    pub headings: Vec<Heading>,
    /// Byte-level facts lint needs: placeholders found, with their positions.
    pub placeholders: Vec<(String, Pos)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one runbook. Fatal problems (too big, too slow) are an `Err` with one diagnostic.
pub fn parse(id: &str, path: &str, text: &str) -> Result<Parsed, Diagnostic> {
    if text.len() > MAX_BYTES {
        return Err(Diagnostic::error(
            "too-large",
            Pos { line: 1, col: 1 },
            format!(
                "file is {} bytes; runbooks are limited to {MAX_BYTES} bytes",
                text.len()
            ),
        )
        .hint("split it: one runbook per alert")
        .in_file(path));
    }
    let lines = Lines::new(text);
    let mut p = Builder::new(id, path, &lines);
    let body_start = front::split(text, &lines, &mut p.rb.meta, &mut p.diags);
    p.walk(text, body_start)?;
    Ok(p.finish())
}

struct Builder<'a> {
    rb: Runbook,
    lines: &'a Lines<'a>,
    anchors: Anchors,
    headings: Vec<Heading>,
    placeholders: Vec<(String, Pos)>,
    diags: Vec<Diagnostic>,
    section: Option<SectionKind>,
    /// Text being collected for the current paragraph, heading, item or quote.
    inlines: Vec<Inline>,
    style: Vec<InlineStyle>,
    /// Open lists: the next number for ordered ones.
    lists: Vec<Option<u64>>,
    /// Inside a list item: its start, depth, number and the `#` link it holds.
    item: Option<ItemState>,
    quote: usize,
    link_target: Option<(String, usize)>,
    heading: Option<(u8, usize)>,
    in_code: bool,
}

struct ItemState {
    depth: usize,
    number: Option<u64>,
    /// The first `#` link: its target, and where its text starts and ends in the item.
    branch: Option<(String, usize, usize)>,
    link_start: usize,
    start: usize,
}

impl<'a> Builder<'a> {
    fn new(id: &str, path: &str, lines: &'a Lines<'a>) -> Builder<'a> {
        Builder {
            rb: Runbook {
                id: escape(id).into_owned(),
                path: path.to_string(),
                title: escape(id).into_owned(),
                meta: FrontMatter::default(),
                sections: Vec::new(),
                steps: Vec::new(),
            },
            lines,
            anchors: Anchors::default(),
            headings: Vec::new(),
            placeholders: Vec::new(),
            diags: Vec::new(),
            section: None,
            inlines: Vec::new(),
            style: Vec::new(),
            lists: Vec::new(),
            item: None,
            quote: 0,
            link_target: None,
            heading: None,
            in_code: false,
        }
    }

    fn finish(self) -> Parsed {
        let file = self.rb.path.clone();
        Parsed {
            runbook: self.rb,
            headings: self.headings,
            placeholders: self.placeholders,
            diagnostics: self.diags.into_iter().map(|d| d.in_file(&file)).collect(),
        }
    }

    fn walk(&mut self, text: &str, base: usize) -> Result<(), Diagnostic> {
        let body = &text[base..];
        let started = Instant::now();
        let events = Parser::new_ext(body, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
            .into_offset_iter();
        for (n, (ev, range)) in events.enumerate() {
            if n % 256 == 0 && started.elapsed() > TIME_BUDGET {
                return Err(Diagnostic::error(
                    "too-slow",
                    self.lines.pos(base + range.start),
                    format!("parsing took longer than {TIME_BUDGET:?}; the file is pathological"),
                )
                .hint("simplify the markdown (deep nesting, huge tables)")
                .in_file(&self.rb.path));
            }
            let at = base + range.start;
            self.event(ev, at, &text[base + range.start..base + range.end]);
        }
        Ok(())
    }

    fn event(&mut self, ev: Event, at: usize, src: &str) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                self.inlines.clear();
                self.heading = Some((heading_level(level), at));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start)) = self.heading.take() {
                    let inl = std::mem::take(&mut self.inlines);
                    self.heading(level, inl, start);
                }
            }
            // Inside a list item, paragraphs are part of the item's text.
            Event::Start(Tag::Paragraph) if self.item.is_none() => self.inlines.clear(),
            Event::End(TagEnd::Paragraph) if self.item.is_none() => {
                let inl = std::mem::take(&mut self.inlines);
                self.paragraph(inl, at);
            }
            Event::Start(Tag::BlockQuote(_)) => self.quote += 1,
            Event::End(TagEnd::BlockQuote(_)) => self.quote = self.quote.saturating_sub(1),
            Event::Start(Tag::List(start)) => {
                self.flush_item();
                self.lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                self.flush_item();
                self.lists.pop();
            }
            Event::Start(Tag::Item) => {
                self.flush_item();
                let depth = self.lists.len().saturating_sub(1);
                let number = self.lists.last_mut().and_then(|n| {
                    let cur = *n;
                    if let Some(x) = n.as_mut() {
                        *x += 1;
                    }
                    cur
                });
                self.inlines.clear();
                self.item = Some(ItemState {
                    depth,
                    number,
                    branch: None,
                    link_start: 0,
                    start: at,
                });
            }
            Event::End(TagEnd::Item) => self.flush_item(),
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => Some(info.to_string()),
                    CodeBlockKind::Indented => None,
                };
                self.code_block(info, at, src);
                self.in_code = true;
            }
            Event::End(TagEnd::CodeBlock) => self.in_code = false,
            // Tables are shown one row per line, cells separated by a bar.
            Event::Start(Tag::Table(_)) => self.inlines.clear(),
            Event::End(TagEnd::TableCell) => self.push_text(" │ ", InlineStyle::Plain),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                let inl = std::mem::take(&mut self.inlines);
                self.paragraph(inl, at);
            }
            // HTML blocks (comments, badges) are not shown.
            Event::End(TagEnd::HtmlBlock) => self.inlines.clear(),
            Event::Start(Tag::Emphasis) => self.style.push(InlineStyle::Emphasis),
            Event::Start(Tag::Strong) => self.style.push(InlineStyle::Strong),
            Event::Start(Tag::Link { dest_url, .. }) => {
                self.style.push(InlineStyle::Link);
                self.link_target = Some((dest_url.to_string(), at));
                let len = plain(&self.inlines).len();
                if let Some(item) = self.item.as_mut() {
                    item.link_start = len;
                }
            }
            Event::End(TagEnd::Emphasis | TagEnd::Strong) => {
                self.style.pop();
            }
            Event::End(TagEnd::Link) => {
                self.style.pop();
                let len = plain(&self.inlines).len();
                if let Some((dest, _)) = self.link_target.take()
                    && let Some(anchor) = dest.strip_prefix('#')
                    && let Some(item) = self.item.as_mut()
                    && item.branch.is_none()
                {
                    item.branch = Some((anchor.to_string(), item.link_start, len));
                }
            }
            Event::Text(t) => {
                // Code block text is taken from the source range, fences included.
                if self.in_code {
                    return;
                }
                self.push_text(&t, self.current_style());
            }
            Event::Code(t) => self.push_text(&t, InlineStyle::Code),
            Event::Html(_) => {}
            Event::InlineHtml(t) => self.push_text(&t, InlineStyle::Plain),
            Event::SoftBreak | Event::HardBreak => self.push_text(" ", self.current_style()),
            _ => {}
        }
    }

    fn current_style(&self) -> InlineStyle {
        self.style.last().copied().unwrap_or(InlineStyle::Plain)
    }

    fn push_text(&mut self, text: &str, style: InlineStyle) {
        let clean = escape(text);
        match self.inlines.last_mut() {
            Some(last) if last.style == style => last.text.push_str(&clean),
            _ => self.inlines.push(Inline {
                text: clean.into_owned(),
                style,
            }),
        }
    }

    fn heading(&mut self, level: u8, inl: Vec<Inline>, at: usize) {
        let text = plain(&inl);
        let pos = self.lines.pos(at);
        let anchor = self.anchors.next(&text);
        self.headings.push(Heading {
            level,
            text: text.clone(),
            anchor: anchor.clone(),
            pos,
        });
        match level {
            1 => {
                if self.rb.sections.is_empty() && self.rb.steps.is_empty() {
                    self.rb.title = text;
                }
            }
            2 => {
                let kind = SectionKind::from_title(&text);
                self.rb.sections.push(SectionHeading {
                    title: text,
                    kind,
                    pos,
                });
                self.section = kind;
            }
            3 => match self.section {
                Some(section) => self.rb.steps.push(Step {
                    anchor,
                    title: text,
                    section,
                    pos,
                    body: Vec::new(),
                    commands: Vec::new(),
                    branches: Vec::new(),
                }),
                None => self.diags.push(
                    Diagnostic::error(
                        "step-outside-section",
                        pos,
                        format!("step `{text}` is not under one of the five sections"),
                    )
                    .hint(
                        "put steps (###) under ## Alert, Check, Diagnose, Mitigate or Postmortem",
                    ),
                ),
            },
            _ => {
                if let Some(step) = self.step_mut() {
                    step.body.push(BodyBlock {
                        pos,
                        block: Block::Heading(inl),
                    });
                }
            }
        }
    }

    /// The step content at `at` belongs to. Content under a `##` before its first `###`
    /// forms an implicit step named after the section, anchored at the section's anchor.
    fn step_mut(&mut self) -> Option<&mut Step> {
        let section = self.section?;
        let last_heading = self.rb.sections.last()?;
        let in_step = self
            .rb
            .steps
            .last()
            .is_some_and(|s| s.section == section && s.pos >= last_heading.pos);
        if !in_step {
            let anchor = self
                .headings
                .iter()
                .rev()
                .find(|h| h.level == 2)
                .map(|h| h.anchor.clone())
                .unwrap_or_default();
            self.rb.steps.push(Step {
                anchor,
                title: last_heading.title.clone(),
                section,
                pos: last_heading.pos,
                body: Vec::new(),
                commands: Vec::new(),
                branches: Vec::new(),
            });
        }
        self.rb.steps.last_mut()
    }

    fn paragraph(&mut self, inl: Vec<Inline>, at: usize) {
        if inl.is_empty() {
            return;
        }
        let pos = self.lines.pos(at);
        let text = plain(&inl);
        let lower = text.trim_start().to_ascii_lowercase();
        if lower.starts_with("safety:") {
            let question = text.trim_start()["safety:".len()..].trim().to_string();
            for (_, name) in super::placeholder::find(&question) {
                self.placeholders.push((name, pos));
            }
            let target = self.step_mut().and_then(|s| {
                s.commands
                    .iter_mut()
                    .rev()
                    .find(|c| c.kind == CommandKind::Mitigation)
            });
            match target {
                Some(c) => {
                    c.safety_question = Some(question);
                    return;
                }
                None => self.diags.push(
                    Diagnostic::error(
                        "orphan-safety",
                        pos,
                        "safety question with no mitigation before it in this step",
                    )
                    .hint("put `Safety: ...` right after the mitigation it guards"),
                ),
            }
        }
        let quote = self.quote > 0;
        if let Some(step) = self.step_mut() {
            step.body.push(BodyBlock {
                pos,
                block: if quote {
                    Block::Quote(inl)
                } else {
                    Block::Paragraph(inl)
                },
            });
        }
    }

    fn flush_item(&mut self) {
        let Some(item) = self.item.take() else {
            return;
        };
        let inl = std::mem::take(&mut self.inlines);
        if inl.is_empty() {
            return;
        }
        let pos = self.lines.pos(item.start);
        let label = plain(&inl);
        let Some(step) = self.step_mut() else {
            return;
        };
        match item.branch {
            Some((target, from, to)) if item.depth == 0 => step.branches.push(Branch {
                label: branch_label(&label, from, to),
                target,
                pos,
            }),
            _ => step.body.push(BodyBlock {
                pos,
                block: Block::Item {
                    depth: item.depth,
                    number: item.number,
                    text: inl,
                },
            }),
        }
    }

    fn code_block(&mut self, info: Option<String>, at: usize, src: &str) {
        self.flush_item();
        let pos = self.lines.pos(at);
        let (code, terminated) = fence_body(src, info.is_some());
        if !terminated {
            self.diags.push(
                Diagnostic::error("unterminated-fence", pos, "code fence is never closed")
                    .hint("close it with a line of the same fence characters (```)"),
            );
        }
        let code: Vec<String> = code
            .iter()
            .map(|l| escape(&l.replace('\t', "    ")).into_owned())
            .collect();
        // The raw info string: CommonMark would drop the backslashes of `\"` in values.
        let raw_info = info.as_ref().map(|_| {
            let first = src.lines().next().unwrap_or("").trim_start();
            first.trim_start_matches(['`', '~']).trim().to_string()
        });
        let first = src.lines().next().unwrap_or("");
        let brace = Pos {
            line: pos.line,
            col: pos.col + first.find('{').map_or(0, |b| first[..b].chars().count()),
        };
        let parsed = raw_info.as_deref().map(|i| attrs::parse_info(i, brace));
        let Some(Attrs {
            lang,
            attrs: Some(attrs),
            problems,
        }) = parsed
        else {
            if let Some(step) = self.step_mut() {
                step.body.push(BodyBlock {
                    pos,
                    block: Block::Code(code),
                });
            }
            return;
        };
        self.diags.extend(problems);
        let joined = code.join("\n");
        for (i, line) in code.iter().enumerate() {
            for (off, name) in super::placeholder::find(line) {
                let p = Pos {
                    line: pos.line + 1 + i,
                    col: line[..off].chars().count() + 1,
                };
                self.placeholders.push((name, p));
            }
        }
        if let Some(dry) = &attrs.dry_run {
            for (_, name) in super::placeholder::find(dry) {
                self.placeholders.push((name, pos));
            }
        }
        let mut cmd = CommandBlock {
            name: attrs.name.unwrap_or_default(),
            kind: attrs.kind,
            danger: attrs.danger,
            lang: escape(&lang).into_owned(),
            code: joined,
            timeout: attrs.timeout.unwrap_or(DEFAULT_TIMEOUT),
            dry_run: attrs.dry_run.map(|d| escape(&d).into_owned()),
            safety_question: None,
            prechecks: Vec::new(),
            expected: None,
            pos,
            shell: attrs.shell,
            auto: attrs.auto,
            kube: attrs.kube,
        };
        let Some(step) = self.step_mut() else {
            return;
        };
        match cmd.kind {
            CommandKind::Check | CommandKind::Mitigation => {
                step.body.push(BodyBlock {
                    pos,
                    block: Block::Command(step.commands.len()),
                });
                step.commands.push(cmd);
            }
            CommandKind::Precheck => {
                let kind = match cmd.lang.as_str() {
                    "promql" => PrecheckKind::Promql,
                    "kube" => PrecheckKind::Kube,
                    _ => PrecheckKind::Command,
                };
                let target = step
                    .commands
                    .iter_mut()
                    .rev()
                    .find(|c| c.kind == CommandKind::Mitigation);
                match target {
                    Some(m) => m.prechecks.push(Precheck {
                        kind,
                        code: std::mem::take(&mut cmd.code),
                        pos,
                    }),
                    None => self.diags.push(
                        Diagnostic::error(
                            "orphan-precheck",
                            pos,
                            "pre-check with no mitigation before it in this step",
                        )
                        .hint("put the kind=precheck block right after the mitigation it guards"),
                    ),
                }
            }
            CommandKind::Expected => match step.commands.last_mut() {
                Some(c) => c.expected = Some(std::mem::take(&mut cmd.code)),
                None => step.body.push(BodyBlock {
                    pos,
                    block: Block::Code(code),
                }),
            },
        }
    }
}
