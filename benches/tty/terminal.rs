//! The replies a real terminal (xterm-like) gives to the queries TUIs send at start-up:
//! without them a program waits for its timeout and its first frame looks slow.

pub struct Queries {
    rows: u16,
    cols: u16,
    /// The start of a query split across two reads.
    partial: Vec<u8>,
}

impl Queries {
    pub fn new(rows: u16, cols: u16) -> Queries {
        Queries {
            rows,
            cols,
            partial: Vec::new(),
        }
    }

    /// The bytes to send back for every complete query in `data`.
    pub fn answer(&mut self, data: &[u8]) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.partial);
        buf.extend_from_slice(data);
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(off) = buf[i..].iter().position(|&b| b == 0x1b) {
            let at = i + off;
            match sequence(&buf[at..]) {
                Seq::Complete(len, body) => {
                    self.reply(&body, &mut out);
                    i = at + len;
                }
                Seq::Incomplete => {
                    // Keep a bounded tail; a real query is short.
                    if buf.len() - at < 64 {
                        self.partial = buf[at..].to_vec();
                    }
                    return out;
                }
            }
        }
        out
    }

    fn reply(&self, seq: &Sequence, out: &mut Vec<u8>) {
        let (r, c) = (self.rows, self.cols);
        match seq {
            // Cursor position report.
            Sequence::Csi(b) if b == b"6n" || b == b"?6n" => out.extend(b"\x1b[1;1R"),
            // Primary device attributes: VT220 with colour.
            Sequence::Csi(b) if b == b"c" || b == b"0c" => out.extend(b"\x1b[?62;22c"),
            // Secondary device attributes.
            Sequence::Csi(b) if b == b">c" || b == b">0c" => out.extend(b"\x1b[>1;10;0c"),
            // Terminal name and version.
            Sequence::Csi(b) if b == b">q" || b == b">0q" => out.extend(b"\x1bP>|xterm(390)\x1b\\"),
            // Window and cell size in pixels and characters.
            Sequence::Csi(b) if b == b"14t" => {
                out.extend(format!("\x1b[4;{};{}t", r * 20, c * 10).as_bytes())
            }
            Sequence::Csi(b) if b == b"16t" => out.extend(b"\x1b[6;20;10t"),
            Sequence::Csi(b) if b == b"18t" => out.extend(format!("\x1b[8;{r};{c}t").as_bytes()),
            // Mode reports (DECRQM): synchronized output is known, the rest is not.
            Sequence::Csi(b) if b.starts_with(b"?") && b.ends_with(b"$p") => {
                let mode = &b[1..b.len() - 2];
                let state = if mode == b"2026" { b"2" } else { b"0" };
                out.extend(b"\x1b[?");
                out.extend(mode);
                out.push(b';');
                out.extend(state);
                out.extend(b"$y");
            }
            // Foreground and background colour queries.
            Sequence::Osc(b) if b == b"10;?" => out.extend(b"\x1b]10;rgb:e5e5/e5e5/e5e5\x1b\\"),
            Sequence::Osc(b) if b == b"11;?" => out.extend(b"\x1b]11;rgb:0000/0000/0000\x1b\\"),
            // Kitty keyboard flags (`CSI ? u`): xterm does not answer, and neither do we.
            _ => {}
        }
    }
}

enum Sequence {
    Csi(Vec<u8>),
    Osc(Vec<u8>),
    Other,
}

enum Seq {
    Complete(usize, Sequence),
    Incomplete,
}

/// Parses the escape sequence at the start of `b` (which begins with ESC).
fn sequence(b: &[u8]) -> Seq {
    match b.get(1) {
        None => Seq::Incomplete,
        Some(b'[') => {
            for (j, &x) in b.iter().enumerate().skip(2) {
                if (0x40..=0x7e).contains(&x) {
                    return Seq::Complete(j + 1, Sequence::Csi(b[2..=j].to_vec()));
                }
            }
            Seq::Incomplete
        }
        Some(b']') | Some(b'P') | Some(b'_') => {
            for j in 2..b.len() {
                if b[j] == 0x07 {
                    return Seq::Complete(j + 1, osc(b, j));
                }
                if b[j] == 0x1b && j + 1 < b.len() && b[j + 1] == b'\\' {
                    return Seq::Complete(j + 2, osc(b, j));
                }
            }
            Seq::Incomplete
        }
        Some(_) => Seq::Complete(2, Sequence::Other),
    }
}

fn osc(b: &[u8], end: usize) -> Sequence {
    if b[1] == b']' {
        Sequence::Osc(b[2..end].to_vec())
    } else {
        Sequence::Other
    }
}
