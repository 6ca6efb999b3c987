//! A one-line text input (notes, filters, comments): the editing keys every prompt shares.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key did to the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputOutcome {
    Edited,
    Submit,
    Cancel,
    Ignored,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub text: String,
    /// Cursor position in characters.
    pub cursor: usize,
    /// Shown under the input after a failed submit.
    pub error: Option<String>,
}

/// Long enough for any note; a paste cannot grow the state without bound.
pub const MAX_CHARS: usize = 1000;

impl LineInput {
    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    pub fn handle(&mut self, key: &KeyEvent) -> InputOutcome {
        if key.kind == KeyEventKind::Release {
            return InputOutcome::Ignored;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Enter => return InputOutcome::Submit,
            KeyCode::Esc => return InputOutcome::Cancel,
            KeyCode::Char('c') if ctrl => return InputOutcome::Cancel,
            KeyCode::Char('u') if ctrl => {
                self.text.clear();
                self.cursor = 0;
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = len,
            KeyCode::Char(c) if !ctrl && !c.is_control() && len < MAX_CHARS => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            KeyCode::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            _ => return InputOutcome::Ignored,
        }
        self.error = None;
        InputOutcome::Edited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_in_the_middle_with_multibyte_text() {
        let mut i = LineInput::default();
        for c in "lag→40s".chars() {
            i.handle(&k(KeyCode::Char(c)));
        }
        i.handle(&k(KeyCode::Left));
        i.handle(&k(KeyCode::Left));
        i.handle(&k(KeyCode::Left));
        i.handle(&k(KeyCode::Backspace));
        assert_eq!(i.text, "lag40s");
        i.handle(&k(KeyCode::Char(' ')));
        assert_eq!(i.text, "lag 40s");
        assert_eq!(i.handle(&k(KeyCode::Enter)), InputOutcome::Submit);
        assert_eq!(i.handle(&k(KeyCode::Esc)), InputOutcome::Cancel);
    }
}
