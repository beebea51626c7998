//! Multiplexed log frames (`[stream, 0, 0, 0, size]` + payload) and raw TTY
//! output, decoded into pieces as their bytes arrive.

use std::collections::VecDeque;

use bytes::{Buf, Bytes};

use super::{excerpt, StreamError, StreamKind};

/// Cap on a stream-3 message: the engine's are one short sentence, so a longer
/// one is cut rather than buffered whole.
pub(super) const MAX_ENGINE_MESSAGE: usize = 64 * 1024;

pub(super) const HEADER_LEN: usize = 8;

/// Log/attach output decoder.
///
/// Yields pieces as soon as their bytes arrive rather than whole frames, so a
/// frame of any size costs no memory beyond the chunks pushed. Pieces are
/// never empty: an empty frame yields nothing.
#[derive(Debug)]
pub struct OutputDecoder {
    multiplexed: bool,
    pub(super) input: VecDeque<Bytes>,
    state: FrameState,
    /// A framing error is final: after it the byte stream cannot be resynced.
    failed: Option<StreamError>,
}

#[derive(Debug)]
enum FrameState {
    Header {
        buf: [u8; HEADER_LEN],
        filled: usize,
    },
    Payload {
        kind: StreamKind,
        remaining: usize,
    },
    EngineMessage {
        message: Vec<u8>,
        remaining: usize,
    },
}

impl FrameState {
    fn header() -> Self {
        FrameState::Header {
            buf: [0; HEADER_LEN],
            filled: 0,
        }
    }
}

/// Validates a complete header and says what its payload is.
fn parse_header(header: &[u8; HEADER_LEN]) -> Result<FrameState, StreamError> {
    let [stream, p1, p2, p3, s0, s1, s2, s3] = *header;
    if stream > 3 || p1 != 0 || p2 != 0 || p3 != 0 {
        return Err(StreamError::Malformed(format!(
            "invalid frame header {} (expected a stream byte 0-3 and three zero bytes; \
             is the container using a tty?)",
            excerpt(header)
        )));
    }
    // u32 fits usize on every target that runs an engine client; saturate
    // rather than assume.
    let remaining = usize::try_from(u32::from_be_bytes([s0, s1, s2, s3])).unwrap_or(usize::MAX);
    Ok(match stream {
        0 => FrameState::Payload {
            kind: StreamKind::Stdin,
            remaining,
        },
        1 => FrameState::Payload {
            kind: StreamKind::Stdout,
            remaining,
        },
        2 => FrameState::Payload {
            kind: StreamKind::Stderr,
            remaining,
        },
        _ => FrameState::EngineMessage {
            message: Vec::new(),
            remaining,
        },
    })
}

impl OutputDecoder {
    /// For a container without a TTY: the body is a sequence of frames.
    pub fn multiplexed() -> Self {
        Self::with_mode(true)
    }

    /// For a TTY container: no frames, everything is [`StreamKind::Stdout`]
    /// (the TTY has merged stderr into it already).
    pub fn raw() -> Self {
        Self::with_mode(false)
    }

    fn with_mode(multiplexed: bool) -> Self {
        OutputDecoder {
            multiplexed,
            input: VecDeque::new(),
            state: FrameState::header(),
            failed: None,
        }
    }

    /// Queues a chunk of the body; it is sliced, not copied, into pieces.
    pub fn push(&mut self, chunk: Bytes) {
        if !chunk.is_empty() {
            self.input.push_back(chunk);
        }
    }

    /// Next decoded piece of output, or None when more input is needed.
    ///
    /// A stream-3 frame comes out as `Err(StreamError::Engine)`; decoding may
    /// go on after it. `Err(Malformed)` is final and returned again on every
    /// later call.
    pub fn next_piece(&mut self) -> Result<Option<(StreamKind, Bytes)>, StreamError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if !self.multiplexed {
            return Ok(self.input.pop_front().map(|c| (StreamKind::Stdout, c)));
        }
        loop {
            match &mut self.state {
                FrameState::Header { buf, filled } => {
                    let Some(chunk) = self.input.front_mut() else {
                        return Ok(None);
                    };
                    let n = (HEADER_LEN - *filled).min(chunk.len());
                    buf[*filled..*filled + n].copy_from_slice(&chunk[..n]);
                    chunk.advance(n);
                    if chunk.is_empty() {
                        self.input.pop_front();
                    }
                    *filled += n;
                    if *filled == HEADER_LEN {
                        let header = *buf;
                        match parse_header(&header) {
                            Ok(state) => self.state = state,
                            Err(err) => {
                                self.failed = Some(err.clone());
                                return Err(err);
                            }
                        }
                    }
                }
                FrameState::Payload { kind, remaining } => {
                    let kind = *kind;
                    if *remaining == 0 {
                        self.state = FrameState::header();
                        continue;
                    }
                    let Some(chunk) = self.input.front_mut() else {
                        return Ok(None);
                    };
                    let n = (*remaining).min(chunk.len());
                    let piece = chunk.split_to(n);
                    if chunk.is_empty() {
                        self.input.pop_front();
                    }
                    *remaining -= n;
                    if *remaining == 0 {
                        self.state = FrameState::header();
                    }
                    return Ok(Some((kind, piece)));
                }
                FrameState::EngineMessage { message, remaining } => {
                    if *remaining > 0 {
                        let Some(chunk) = self.input.front_mut() else {
                            return Ok(None);
                        };
                        let n = (*remaining).min(chunk.len());
                        let room = MAX_ENGINE_MESSAGE.saturating_sub(message.len());
                        message.extend_from_slice(&chunk[..n.min(room)]);
                        chunk.advance(n);
                        if chunk.is_empty() {
                            self.input.pop_front();
                        }
                        *remaining -= n;
                        continue;
                    }
                    let text = String::from_utf8_lossy(message).trim_end().to_owned();
                    self.state = FrameState::header();
                    return Err(StreamError::Engine(text));
                }
            }
        }
    }

    /// Call at end of input: Err(Truncated) if a frame was cut short, Ok
    /// otherwise.
    ///
    /// Meant for after [`next_piece`](Self::next_piece) returned `Ok(None)`;
    /// input still queued then counts as unfinished too.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if !self.multiplexed {
            return Ok(());
        }
        let mid_frame = match &self.state {
            FrameState::Header { filled, .. } => *filled > 0,
            FrameState::Payload { remaining, .. } => *remaining > 0,
            FrameState::EngineMessage { .. } => true,
        };
        if mid_frame || !self.input.is_empty() {
            return Err(StreamError::Truncated);
        }
        Ok(())
    }
}
