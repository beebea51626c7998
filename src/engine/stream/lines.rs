//! Output pieces into lines, per stream, with a cap on a line's length.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};

use super::StreamKind;

/// Longest line [`LineSplitter::new`] holds before emitting it in pieces.
pub const DEFAULT_MAX_LINE: usize = 1024 * 1024;
/// Splits output pieces into lines per stream (stdout and stderr lines are
/// separate, a piece of stderr must not be glued to a pending stdout line).
/// Lines keep no trailing newline ("\n", and a "\r\n" ending loses the "\r"
/// too). A line longer than max_line is emitted in max_line pieces (bounded
/// memory).
///
/// Lines come out in the order they were completed, which keeps each stream's
/// order. A line that fits in one piece is a zero-copy slice of it.
#[derive(Debug)]
pub struct LineSplitter {
    pub(super) max_line: usize,
    pub(super) partial: [PartialLine; 3],
    ready: VecDeque<(StreamKind, Bytes)>,
    /// Counts pushes, so that `finish` can flush partial lines in the order
    /// their last byte arrived.
    clock: u64,
}

/// The unfinished line of one stream.
#[derive(Debug, Default)]
pub(super) struct PartialLine {
    /// At most `max_line` bytes.
    pub(super) bytes: BytesMut,
    /// A '\r' seen last and held back: it is dropped if '\n' follows.
    cr: bool,
    last_push: u64,
}

impl PartialLine {
    fn is_empty(&self) -> bool {
        self.bytes.is_empty() && !self.cr
    }

    fn emit(&mut self, kind: StreamKind, ready: &mut VecDeque<(StreamKind, Bytes)>) {
        // Copy rather than split, so the buffer keeps its allocation.
        ready.push_back((kind, Bytes::copy_from_slice(&self.bytes)));
        self.bytes.clear();
    }

    /// Adds line content, emitting a full `max` piece only once more content
    /// follows it (so a line of exactly `max` bytes is one piece, not two).
    fn append(
        &mut self,
        kind: StreamKind,
        mut data: Bytes,
        max: usize,
        ready: &mut VecDeque<(StreamKind, Bytes)>,
    ) {
        while !data.is_empty() {
            if self.bytes.len() >= max {
                self.emit(kind, ready);
            }
            if self.bytes.is_empty() && data.len() > max {
                ready.push_back((kind, data.split_to(max)));
                continue;
            }
            let n = (max - self.bytes.len()).min(data.len());
            self.bytes.extend_from_slice(&data[..n]);
            data.advance(n);
        }
    }

    /// Adds bytes that hold no '\n', holding back a trailing '\r'.
    fn extend(
        &mut self,
        kind: StreamKind,
        mut data: Bytes,
        max: usize,
        ready: &mut VecDeque<(StreamKind, Bytes)>,
    ) {
        if data.is_empty() {
            return;
        }
        if std::mem::take(&mut self.cr) {
            self.append(kind, Bytes::from_static(b"\r"), max, ready);
        }
        let trailing_cr = data.last() == Some(&b'\r');
        if trailing_cr {
            data.truncate(data.len() - 1);
        }
        self.append(kind, data, max, ready);
        self.cr = trailing_cr;
    }

    /// Completes the line with `last`, the bytes before a '\n'.
    fn end_line(
        &mut self,
        kind: StreamKind,
        mut last: Bytes,
        max: usize,
        ready: &mut VecDeque<(StreamKind, Bytes)>,
    ) {
        if self.is_empty() {
            // The whole line is in this piece: slice it, copy nothing.
            if last.last() == Some(&b'\r') {
                last.truncate(last.len() - 1);
            }
            while last.len() > max {
                ready.push_back((kind, last.split_to(max)));
            }
            ready.push_back((kind, last));
        } else {
            self.extend(kind, last, max, ready);
            self.cr = false;
            self.emit(kind, ready);
        }
    }
}

impl Default for LineSplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl LineSplitter {
    /// A splitter with lines of at most [`DEFAULT_MAX_LINE`] bytes.
    pub fn new() -> Self {
        Self::with_max_line(DEFAULT_MAX_LINE)
    }

    /// A splitter emitting longer lines in `max` pieces (at least 1 byte).
    pub fn with_max_line(max: usize) -> Self {
        LineSplitter {
            max_line: max.max(1),
            partial: Default::default(),
            ready: VecDeque::new(),
            clock: 0,
        }
    }

    /// Adds a piece of output, as [`OutputDecoder::next_piece`] gives it.
    pub fn push(&mut self, kind: StreamKind, piece: Bytes) {
        if piece.is_empty() {
            return;
        }
        self.clock = self.clock.wrapping_add(1);
        let max = self.max_line;
        let ready = &mut self.ready;
        let partial = &mut self.partial[kind.index()];
        partial.last_push = self.clock;
        let mut rest = piece;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let line = rest.split_to(pos);
            rest.advance(1);
            partial.end_line(kind, line, max, ready);
        }
        partial.extend(kind, rest, max, ready);
    }

    /// The next complete line, or None until more is pushed.
    pub fn next_line(&mut self) -> Option<(StreamKind, Bytes)> {
        self.ready.pop_front()
    }

    /// Whether some stream has an unfinished line (one without its '\n').
    pub fn has_partial(&self) -> bool {
        self.partial.iter().any(|p| !p.is_empty())
    }

    /// End of input: the pending partial lines (a last line without newline
    /// is still a line), after any complete ones not yet taken. Call
    /// repeatedly until None.
    pub fn finish(&mut self) -> Option<(StreamKind, Bytes)> {
        if let Some(line) = self.ready.pop_front() {
            return Some(line);
        }
        let index = (0..self.partial.len())
            .filter(|&i| !self.partial[i].is_empty())
            .min_by_key(|&i| self.partial[i].last_push)?;
        let kind = StreamKind::ALL[index];
        let partial = &mut self.partial[index];
        // Without a '\n' after it, a held-back '\r' is content.
        if std::mem::take(&mut partial.cr) {
            partial.append(
                kind,
                Bytes::from_static(b"\r"),
                self.max_line,
                &mut self.ready,
            );
        }
        if !partial.bytes.is_empty() {
            partial.emit(kind, &mut self.ready);
        }
        self.ready.pop_front()
    }
}
