//! The decoders at every split point, on random input and at their limits.

use super::*;
use bytes::Bytes;
use serde_json::{json, Value};

use super::frames::MAX_ENGINE_MESSAGE;

// ---- helpers ----

fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
    let size = u32::try_from(payload.len()).expect("test payload fits u32");
    let mut out = vec![stream, 0, 0, 0];
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// What a decoder produced: adjacent output of one stream is merged, so
/// that results of differently split inputs compare equal.
#[derive(Debug, PartialEq)]
enum Event {
    Out(StreamKind, Vec<u8>),
    Engine(String),
    Failed(StreamError),
}

fn decode_output(
    mut dec: OutputDecoder,
    chunks: &[&[u8]],
) -> (Vec<Event>, Result<(), StreamError>) {
    let mut events = Vec::new();
    for chunk in chunks {
        dec.push(Bytes::copy_from_slice(chunk));
        loop {
            match dec.next_piece() {
                Ok(Some((kind, piece))) => {
                    assert!(!piece.is_empty(), "empty piece");
                    match events.last_mut() {
                        Some(Event::Out(last, buf)) if *last == kind => {
                            buf.extend_from_slice(&piece)
                        }
                        _ => events.push(Event::Out(kind, piece.to_vec())),
                    }
                }
                Ok(None) => break,
                Err(StreamError::Engine(message)) => events.push(Event::Engine(message)),
                Err(err) => {
                    events.push(Event::Failed(err));
                    return (events, dec.finish());
                }
            }
        }
    }
    (events, dec.finish())
}

fn big_payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"0123456789abcdef\n"[i % 17]).collect()
}

/// A realistic non-TTY log body and the offsets where its frames end.
fn sample_frames() -> (Vec<u8>, Vec<usize>) {
    let frames = [
        frame(1, b"starting server on :8080\n"),
        frame(2, b"warning: low memory\n"),
        frame(1, b""),
        frame(
            1,
            "h\u{e9}llo w\u{f6}rld \u{2713} \u{65e5}\u{672c}\u{8a9e} \u{1f433}\n".as_bytes(),
        ),
        frame(2, &big_payload(6000)),
        frame(0, b"stdin echo\n"),
        frame(3, b"exec failed: no such file or directory\n"),
        frame(1, b"after the error\n"),
        frame(2, b"no newline at the end"),
    ];
    let mut body = Vec::new();
    let mut ends = vec![0];
    for f in &frames {
        body.extend_from_slice(f);
        ends.push(body.len());
    }
    (body, ends)
}

fn expected_sample_events() -> Vec<Event> {
    vec![
        Event::Out(StreamKind::Stdout, b"starting server on :8080\n".to_vec()),
        Event::Out(StreamKind::Stderr, b"warning: low memory\n".to_vec()),
        Event::Out(
            StreamKind::Stdout,
            "h\u{e9}llo w\u{f6}rld \u{2713} \u{65e5}\u{672c}\u{8a9e} \u{1f433}\n"
                .as_bytes()
                .to_vec(),
        ),
        Event::Out(StreamKind::Stderr, big_payload(6000)),
        Event::Out(StreamKind::Stdin, b"stdin echo\n".to_vec()),
        Event::Engine("exec failed: no such file or directory".to_owned()),
        Event::Out(StreamKind::Stdout, b"after the error\n".to_vec()),
        Event::Out(StreamKind::Stderr, b"no newline at the end".to_vec()),
    ]
}

/// A small deterministic generator, so "random" tests are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

// ---- StreamKind, StreamError ----

#[test]
fn stream_kind_names() {
    assert_eq!(StreamKind::Stdin.name(), "stdin");
    assert_eq!(StreamKind::Stdout.name(), "stdout");
    assert_eq!(StreamKind::Stderr.name(), "stderr");
}

#[test]
fn error_display() {
    assert_eq!(
        StreamError::Engine("boom".into()).to_string(),
        "engine error: boom"
    );
    assert_eq!(
        StreamError::Malformed("bad \"x\"".into()).to_string(),
        "malformed stream: bad \"x\""
    );
    assert_eq!(
        StreamError::Truncated.to_string(),
        "stream ended in the middle of a frame or line"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(StreamError::Truncated);
    assert!(boxed.source().is_none());
}

#[test]
fn excerpt_is_short_quoted_and_keeps_characters_whole() {
    assert_eq!(excerpt(b"abc"), "\"abc\"");
    assert_eq!(excerpt(b"a\"b\n"), "\"a\\\"b\\n\"");
    let long = "\u{e9}".repeat(100);
    let quoted = excerpt(long.as_bytes());
    assert!(quoted.ends_with("..."));
    assert!(!quoted.contains('\u{fffd}'), "{quoted}");
    assert_eq!(quoted.matches('\u{e9}').count(), EXCERPT_LEN / 2);
    // Genuine garbage is shown, not hidden.
    assert!(excerpt(&[0xff, b'a']).contains('\u{fffd}'));
}

// ---- OutputDecoder ----

#[test]
fn multiplexed_sample_unsplit() {
    let (body, _) = sample_frames();
    let (events, end) = decode_output(OutputDecoder::multiplexed(), &[&body]);
    assert_eq!(events, expected_sample_events());
    assert_eq!(end, Ok(()));
}

#[test]
fn multiplexed_split_at_every_byte_position() {
    let (body, _) = sample_frames();
    let expected = expected_sample_events();
    for at in 0..=body.len() {
        let (head, tail) = body.split_at(at);
        let (events, end) = decode_output(OutputDecoder::multiplexed(), &[head, tail]);
        assert_eq!(events, expected, "split at {at}");
        assert_eq!(end, Ok(()), "split at {at}");
    }
}

#[test]
fn multiplexed_one_byte_at_a_time() {
    let (body, _) = sample_frames();
    let chunks: Vec<&[u8]> = body.chunks(1).collect();
    let (events, end) = decode_output(OutputDecoder::multiplexed(), &chunks);
    assert_eq!(events, expected_sample_events());
    assert_eq!(end, Ok(()));
}

#[test]
fn multiplexed_random_chunking() {
    let (body, _) = sample_frames();
    let expected = expected_sample_events();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..200 {
        let mut chunks = Vec::new();
        let mut rest = &body[..];
        while !rest.is_empty() {
            let (c, r) = rest.split_at((rng.below(40)).min(rest.len()));
            chunks.push(c);
            rest = r;
        }
        let (events, end) = decode_output(OutputDecoder::multiplexed(), &chunks);
        assert_eq!(events, expected);
        assert_eq!(end, Ok(()));
    }
}

#[test]
fn multiplexed_truncated_exactly_when_cut_inside_a_frame() {
    let (body, ends) = sample_frames();
    for len in 0..body.len() {
        let (_, end) = decode_output(OutputDecoder::multiplexed(), &[&body[..len]]);
        if ends.contains(&len) {
            assert_eq!(end, Ok(()), "prefix {len}");
        } else {
            assert_eq!(end, Err(StreamError::Truncated), "prefix {len}");
        }
    }
}

#[test]
fn multiplexed_stream_kinds() {
    let mut body = frame(0, b"in");
    body.extend(frame(1, b"out"));
    body.extend(frame(2, b"err"));
    let mut dec = OutputDecoder::multiplexed();
    dec.push(Bytes::from(body));
    let mut got = Vec::new();
    while let Some((kind, piece)) = dec.next_piece().expect("valid frames") {
        got.push((kind, piece));
    }
    assert_eq!(
        got,
        vec![
            (StreamKind::Stdin, Bytes::from_static(b"in")),
            (StreamKind::Stdout, Bytes::from_static(b"out")),
            (StreamKind::Stderr, Bytes::from_static(b"err")),
        ]
    );
}

#[test]
fn split_frame_yields_pieces_of_the_same_stream() {
    let body = frame(2, b"abcdef");
    let mut dec = OutputDecoder::multiplexed();
    let mut got = Vec::new();
    for chunk in [&body[..10], &body[10..12], &body[12..]] {
        dec.push(Bytes::copy_from_slice(chunk));
        while let Some(piece) = dec.next_piece().expect("valid frame") {
            got.push(piece);
        }
    }
    assert_eq!(
        got,
        vec![
            (StreamKind::Stderr, Bytes::from_static(b"ab")),
            (StreamKind::Stderr, Bytes::from_static(b"cd")),
            (StreamKind::Stderr, Bytes::from_static(b"ef")),
        ]
    );
    assert_eq!(dec.finish(), Ok(()));
}

#[test]
fn engine_error_frame_then_decoding_goes_on() {
    let mut body = frame(3, b"container not running\r\n");
    body.extend(frame(3, b""));
    body.extend(frame(1, b"ok"));
    let mut dec = OutputDecoder::multiplexed();
    dec.push(Bytes::from(body));
    assert_eq!(
        dec.next_piece(),
        Err(StreamError::Engine("container not running".into()))
    );
    assert_eq!(dec.next_piece(), Err(StreamError::Engine(String::new())));
    assert_eq!(
        dec.next_piece(),
        Ok(Some((StreamKind::Stdout, Bytes::from_static(b"ok"))))
    );
    assert_eq!(dec.next_piece(), Ok(None));
    assert_eq!(dec.finish(), Ok(()));
}

#[test]
fn engine_error_message_is_capped() {
    let mut body = frame(3, &vec![b'x'; 3 * MAX_ENGINE_MESSAGE]);
    body.extend(frame(1, b"next"));
    let mut dec = OutputDecoder::multiplexed();
    for chunk in body.chunks(1000) {
        dec.push(Bytes::copy_from_slice(chunk));
    }
    match dec.next_piece() {
        Err(StreamError::Engine(message)) => assert_eq!(message.len(), MAX_ENGINE_MESSAGE),
        other => panic!("expected an engine error, got {other:?}"),
    }
    assert_eq!(
        dec.next_piece(),
        Ok(Some((StreamKind::Stdout, Bytes::from_static(b"next"))))
    );
}

#[test]
fn engine_error_message_invalid_utf8_is_lossy() {
    let mut dec = OutputDecoder::multiplexed();
    dec.push(Bytes::from(frame(3, b"bad \xff byte")));
    assert_eq!(
        dec.next_piece(),
        Err(StreamError::Engine("bad \u{fffd} byte".into()))
    );
}

#[test]
fn tty_bytes_fed_to_multiplexed_are_malformed_and_final() {
    let mut dec = OutputDecoder::multiplexed();
    dec.push(Bytes::from_static(b"hello world from a tty\n"));
    let err = dec.next_piece().expect_err("not a frame");
    let StreamError::Malformed(message) = &err else {
        panic!("expected malformed, got {err:?}");
    };
    assert!(message.contains("\"hello wo\""), "{message}");
    assert!(message.starts_with("invalid frame header"), "{message}");
    assert_eq!(message, &message.to_lowercase());
    // Final: the same error again, from next_piece and finish.
    assert_eq!(dec.next_piece(), Err(err.clone()));
    dec.push(Bytes::from(frame(1, b"x")));
    assert_eq!(dec.next_piece(), Err(err.clone()));
    assert_eq!(dec.finish(), Err(err));
}

#[test]
fn bad_headers_are_malformed() {
    for header in [
        [4u8, 0, 0, 0, 0, 0, 0, 1],
        [255, 0, 0, 0, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0, 0, 1],
        [1, 0, 0, 7, 0, 0, 0, 1],
    ] {
        let mut dec = OutputDecoder::multiplexed();
        // Even split inside the header.
        dec.push(Bytes::copy_from_slice(&header[..3]));
        assert_eq!(dec.next_piece(), Ok(None));
        dec.push(Bytes::copy_from_slice(&header[3..]));
        assert!(
            matches!(dec.next_piece(), Err(StreamError::Malformed(_))),
            "{header:?}"
        );
    }
}

#[test]
fn huge_frame_is_streamed_in_bounded_zero_copy_pieces() {
    const CHUNK: usize = 64 * 1024;
    const SIZE: usize = 10 * 1024 * 1024;
    let payload = big_payload(SIZE);
    let mut body = frame(1, &payload);
    body.extend(frame(2, b"done"));
    let mut dec = OutputDecoder::multiplexed();
    let mut stdout = Vec::with_capacity(SIZE);
    let mut stderr = Vec::new();
    let mut pieces = 0;
    for chunk in body.chunks(CHUNK) {
        let chunk = Bytes::copy_from_slice(chunk);
        let start = chunk.as_ptr() as usize;
        let range = start..start + chunk.len();
        dec.push(chunk);
        while let Some((kind, piece)) = dec.next_piece().expect("valid frames") {
            assert!(piece.len() <= CHUNK, "piece of {} bytes", piece.len());
            // A slice of the pushed chunk, not a copy.
            assert!(range.contains(&(piece.as_ptr() as usize)));
            match kind {
                StreamKind::Stdout => stdout.extend_from_slice(&piece),
                StreamKind::Stderr => stderr.extend_from_slice(&piece),
                StreamKind::Stdin => panic!("no stdin frame was sent"),
            }
            pieces += 1;
        }
        // Nothing is held back once drained.
        assert!(dec.input.is_empty());
    }
    assert!(pieces >= SIZE / CHUNK);
    assert!(stdout == payload, "payload differs");
    assert_eq!(stderr, b"done");
    assert_eq!(dec.finish(), Ok(()));
}

#[test]
fn max_size_header_does_not_panic() {
    let mut dec = OutputDecoder::multiplexed();
    dec.push(Bytes::from_static(&[
        1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, b'a',
    ]));
    assert_eq!(
        dec.next_piece(),
        Ok(Some((StreamKind::Stdout, Bytes::from_static(b"a"))))
    );
    assert_eq!(dec.next_piece(), Ok(None));
    assert_eq!(dec.finish(), Err(StreamError::Truncated));
}

#[test]
fn finish_with_undrained_input_is_truncated() {
    let mut dec = OutputDecoder::multiplexed();
    dec.push(Bytes::from(frame(1, b"x")));
    assert_eq!(dec.finish(), Err(StreamError::Truncated));
}

#[test]
fn raw_mode_passes_everything_as_stdout() {
    let (body, _) = sample_frames();
    for at in (0..=body.len()).step_by(7) {
        let (head, tail) = body.split_at(at);
        let (events, end) = decode_output(OutputDecoder::raw(), &[head, tail]);
        if body.is_empty() {
            assert!(events.is_empty());
        } else {
            assert_eq!(events, vec![Event::Out(StreamKind::Stdout, body.clone())]);
        }
        assert_eq!(end, Ok(()));
    }
}

#[test]
fn raw_mode_keeps_chunks_whole_and_skips_empty_ones() {
    let mut dec = OutputDecoder::raw();
    dec.push(Bytes::from_static(b"abc"));
    dec.push(Bytes::new());
    dec.push(Bytes::from_static(&[3, 0, 0, 0, 0, 0, 0, 1, b'z']));
    assert_eq!(
        dec.next_piece(),
        Ok(Some((StreamKind::Stdout, Bytes::from_static(b"abc"))))
    );
    assert_eq!(
        dec.next_piece(),
        Ok(Some((
            StreamKind::Stdout,
            Bytes::from_static(&[3, 0, 0, 0, 0, 0, 0, 1, b'z'])
        )))
    );
    assert_eq!(dec.next_piece(), Ok(None));
    assert_eq!(dec.finish(), Ok(()));
}

#[test]
fn output_decoder_survives_random_bytes() {
    let mut rng = Rng(12345);
    for _ in 0..500 {
        let mut body = Vec::new();
        for _ in 0..rng.below(6) {
            // Mostly plausible frames, sometimes a bad stream byte.
            let stream = rng.below(5) as u8;
            let payload: Vec<u8> = (0..rng.below(30)).map(|_| rng.next() as u8).collect();
            let mut f = frame(stream, &payload);
            if rng.below(10) == 0 {
                let i = rng.below(f.len());
                f[i] = rng.next() as u8;
            }
            if rng.below(10) == 0 {
                f.truncate(rng.below(f.len() + 1));
            }
            body.extend(f);
        }
        let chunks: Vec<&[u8]> = body.chunks(1 + rng.below(9)).collect();
        let _ = decode_output(OutputDecoder::multiplexed(), &chunks);
    }
}

// ---- LineSplitter ----

fn drain_lines(splitter: &mut LineSplitter, out: &mut Vec<(StreamKind, Vec<u8>)>) {
    while let Some((kind, line)) = splitter.next_line() {
        out.push((kind, line.to_vec()));
    }
}

fn finish_lines(splitter: &mut LineSplitter, out: &mut Vec<(StreamKind, Vec<u8>)>) {
    while let Some((kind, line)) = splitter.finish() {
        out.push((kind, line.to_vec()));
    }
}

fn split_lines(max: usize, pieces: &[(StreamKind, &[u8])]) -> Vec<(StreamKind, Vec<u8>)> {
    let mut splitter = LineSplitter::with_max_line(max);
    let mut out = Vec::new();
    for (kind, piece) in pieces {
        splitter.push(*kind, Bytes::copy_from_slice(piece));
        drain_lines(&mut splitter, &mut out);
        for partial in &splitter.partial {
            assert!(partial.bytes.len() <= splitter.max_line);
        }
    }
    finish_lines(&mut splitter, &mut out);
    out
}

fn lines(kind: StreamKind, list: &[&str]) -> Vec<(StreamKind, Vec<u8>)> {
    list.iter().map(|l| (kind, l.as_bytes().to_vec())).collect()
}

const OUT: StreamKind = StreamKind::Stdout;
const ERR: StreamKind = StreamKind::Stderr;

#[test]
fn lines_basic_and_last_line_without_newline() {
    let got = split_lines(100, &[(OUT, b"one\ntwo\n\nthree")]);
    assert_eq!(got, lines(OUT, &["one", "two", "", "three"]));
    assert!(split_lines(100, &[(OUT, b"")]).is_empty());
    assert_eq!(split_lines(100, &[(OUT, b"\n")]), lines(OUT, &[""]));
}

#[test]
fn lines_not_ready_before_newline() {
    let mut splitter = LineSplitter::new();
    splitter.push(OUT, Bytes::from_static(b"partial"));
    assert_eq!(splitter.next_line(), None);
    splitter.push(OUT, Bytes::from_static(b" line\nrest"));
    assert_eq!(
        splitter.next_line(),
        Some((OUT, Bytes::from_static(b"partial line")))
    );
    assert_eq!(splitter.next_line(), None);
    assert_eq!(splitter.finish(), Some((OUT, Bytes::from_static(b"rest"))));
    assert_eq!(splitter.finish(), None);
    assert_eq!(splitter.finish(), None);
}

#[test]
fn lines_crlf() {
    assert_eq!(
        split_lines(100, &[(OUT, b"a\r\nb\r\n\r\nc")]),
        lines(OUT, &["a", "b", "", "c"])
    );
    // Split between '\r' and '\n'.
    assert_eq!(
        split_lines(100, &[(OUT, b"a\r"), (OUT, b"\nb\r"), (OUT, b"\n")]),
        lines(OUT, &["a", "b"])
    );
    // Only the '\r' right before '\n' goes.
    assert_eq!(
        split_lines(100, &[(OUT, b"a\rb\n\r\r\n"), (OUT, b"\r"), (OUT, b"x\n")]),
        lines(OUT, &["a\rb", "\r", "\rx"])
    );
    // A last line ending in '\r' but no '\n' keeps it.
    assert_eq!(split_lines(100, &[(OUT, b"end\r")]), lines(OUT, &["end\r"]));
    assert_eq!(split_lines(100, &[(OUT, b"\r")]), lines(OUT, &["\r"]));
}

#[test]
fn lines_longer_than_max_come_in_pieces() {
    assert_eq!(
        split_lines(3, &[(OUT, b"abcdefgh\nxy\n")]),
        lines(OUT, &["abc", "def", "gh", "xy"])
    );
    // Exactly max: one piece, no empty extra.
    assert_eq!(split_lines(3, &[(OUT, b"abc\n")]), lines(OUT, &["abc"]));
    assert_eq!(
        split_lines(3, &[(OUT, b"ab"), (OUT, b"cdef"), (OUT, b"\n")]),
        lines(OUT, &["abc", "def"])
    );
    assert_eq!(split_lines(3, &[(OUT, b"abc\r\n")]), lines(OUT, &["abc"]));
    assert_eq!(
        split_lines(3, &[(OUT, b"abc"), (OUT, b"\r"), (OUT, b"\n")]),
        lines(OUT, &["abc"])
    );
    assert_eq!(split_lines(2, &[(OUT, b"ab\r")]), lines(OUT, &["ab", "\r"]));
    // A full piece is emitted as soon as more of the line arrives.
    let mut splitter = LineSplitter::with_max_line(4);
    splitter.push(OUT, Bytes::from_static(b"abcd"));
    assert_eq!(splitter.next_line(), None);
    splitter.push(OUT, Bytes::from_static(b"e"));
    assert_eq!(
        splitter.next_line(),
        Some((OUT, Bytes::from_static(b"abcd")))
    );
    // Zero max is treated as 1.
    assert_eq!(split_lines(0, &[(OUT, b"ab\n")]), lines(OUT, &["a", "b"]));
}

#[test]
fn lines_memory_is_bounded_by_max() {
    let mut splitter = LineSplitter::with_max_line(1000);
    let block = Bytes::from(vec![b'x'; 64 * 1024]);
    let mut total = 0;
    for _ in 0..100 {
        splitter.push(ERR, block.clone());
        while let Some((kind, line)) = splitter.next_line() {
            assert_eq!(kind, ERR);
            assert_eq!(line.len(), 1000);
            total += line.len();
        }
        assert!(splitter.partial[ERR.index()].bytes.len() <= 1000);
    }
    while let Some((_, line)) = splitter.finish() {
        total += line.len();
    }
    assert_eq!(total, 100 * 64 * 1024);
}

#[test]
fn lines_of_streams_are_kept_apart_in_completion_order() {
    let got = split_lines(100, &[(OUT, b"a"), (ERR, b"b\n"), (OUT, b"c\n")]);
    assert_eq!(got, vec![(ERR, b"b".to_vec()), (OUT, b"ac".to_vec())]);

    let got = split_lines(
        100,
        &[
            (OUT, b"o1\no2"),
            (ERR, b"e1"),
            (OUT, b"-end\n"),
            (ERR, b"\ne2\n"),
            (StreamKind::Stdin, b"i1\n"),
        ],
    );
    assert_eq!(
        got,
        vec![
            (OUT, b"o1".to_vec()),
            (OUT, b"o2-end".to_vec()),
            (ERR, b"e1".to_vec()),
            (ERR, b"e2".to_vec()),
            (StreamKind::Stdin, b"i1".to_vec()),
        ]
    );
}

#[test]
fn lines_finish_flushes_partials_in_arrival_order() {
    assert_eq!(
        split_lines(100, &[(OUT, b"x"), (ERR, b"y")]),
        vec![(OUT, b"x".to_vec()), (ERR, b"y".to_vec())]
    );
    assert_eq!(
        split_lines(100, &[(OUT, b"x"), (ERR, b"y"), (OUT, b"z")]),
        vec![(ERR, b"y".to_vec()), (OUT, b"xz".to_vec())]
    );
    // Complete lines not yet taken come first.
    let mut splitter = LineSplitter::new();
    splitter.push(ERR, Bytes::from_static(b"partial"));
    splitter.push(OUT, Bytes::from_static(b"whole\n"));
    let mut out = Vec::new();
    finish_lines(&mut splitter, &mut out);
    assert_eq!(
        out,
        vec![(OUT, b"whole".to_vec()), (ERR, b"partial".to_vec())]
    );
}

#[test]
fn whole_lines_are_zero_copy_slices() {
    let piece = Bytes::from_static(b"first\nsecond\n");
    let mut splitter = LineSplitter::new();
    splitter.push(OUT, piece.clone());
    let range = piece.as_ptr() as usize..piece.as_ptr() as usize + piece.len();
    while let Some((_, line)) = splitter.next_line() {
        assert!(range.contains(&(line.as_ptr() as usize)));
    }
}

/// What the splitter must produce for one stream's whole content.
fn reference_lines(content: &[u8], max: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut segments: Vec<&[u8]> = content.split(|&b| b == b'\n').collect();
    let last = segments.pop().unwrap_or_default();
    for mut line in segments {
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        if line.is_empty() {
            out.push(Vec::new());
        }
        out.extend(line.chunks(max).map(<[u8]>::to_vec));
    }
    out.extend(last.chunks(max).map(<[u8]>::to_vec));
    out
}

#[test]
fn lines_match_reference_on_random_input() {
    let mut rng = Rng(0xdead_beef);
    for _ in 0..2000 {
        let max = 1 + rng.below(6);
        let mut pieces: Vec<(StreamKind, Vec<u8>)> = Vec::new();
        for _ in 0..rng.below(12) {
            let kind = StreamKind::ALL[rng.below(3)];
            let piece = (0..rng.below(12))
                .map(|_| b"ab\r\n"[rng.below(4)])
                .collect();
            pieces.push((kind, piece));
        }
        let borrowed: Vec<(StreamKind, &[u8])> = pieces.iter().map(|(k, p)| (*k, &p[..])).collect();
        let got = split_lines(max, &borrowed);
        for kind in StreamKind::ALL {
            let content: Vec<u8> = pieces
                .iter()
                .filter(|(k, _)| *k == kind)
                .flat_map(|(_, p)| p.iter().copied())
                .collect();
            let got_kind: Vec<Vec<u8>> = got
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, l)| l.clone())
                .collect();
            assert_eq!(
                got_kind,
                reference_lines(&content, max),
                "max {max}, pieces {pieces:?}"
            );
        }
    }
}

/// Log frames through both decoders, as the logs endpoint will use them.
fn decode_log_lines(chunks: &[&[u8]]) -> (Vec<(StreamKind, Vec<u8>)>, Vec<String>) {
    let mut dec = OutputDecoder::multiplexed();
    let mut splitter = LineSplitter::with_max_line(4096);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for chunk in chunks {
        dec.push(Bytes::copy_from_slice(chunk));
        loop {
            match dec.next_piece() {
                Ok(Some((kind, piece))) => splitter.push(kind, piece),
                Ok(None) => break,
                Err(StreamError::Engine(message)) => errors.push(message),
                Err(err) => panic!("unexpected {err:?}"),
            }
        }
        drain_lines(&mut splitter, &mut out);
    }
    assert_eq!(dec.finish(), Ok(()));
    finish_lines(&mut splitter, &mut out);
    (out, errors)
}

#[test]
fn log_lines_split_at_every_byte_position() {
    let (mut body, _) = sample_frames();
    body.extend(frame(1, b"line one\r\nline "));
    body.extend(frame(2, b"err interleaved\n"));
    body.extend(frame(1, b"two\n"));
    let (expected, errors) = decode_log_lines(&[&body]);
    assert_eq!(
        errors,
        vec!["exec failed: no such file or directory".to_owned()]
    );
    assert!(expected.contains(&(OUT, b"line two".to_vec())));
    assert!(expected.contains(&(OUT, b"line one".to_vec())));
    // The big stderr payload ends without a newline, so later stderr
    // frames continue its last line.
    assert!(expected
        .iter()
        .any(|(k, l)| *k == ERR && l.ends_with(b"cdefno newline at the enderr interleaved")));
    for at in 0..=body.len() {
        let (head, tail) = body.split_at(at);
        assert_eq!(decode_log_lines(&[head, tail]).0, expected, "split at {at}");
    }
    let chunks: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(decode_log_lines(&chunks).0, expected);
}

// ---- JsonLines ----

const PULL: &str = concat!(
    "{\"status\":\"Pulling from library/alpine\",\"id\":\"latest\"}\r\n",
    "\r\n",
    "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"a1b2c3d4e5f6\"}\r\n",
    "   \n",
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1024,\"total\":3397879},",
    "\"progress\":\"[>      ]  1.024kB/3.398MB\",\"id\":\"a1b2c3d4e5f6\"}\r\n",
    "\n",
    "{\"status\":\"T\u{e9}l\u{e9}chargement \u{2713} \u{65e5}\u{672c} \u{1f433}\"}\n",
    "{\"errorDetail\":{\"message\":\"manifest for alpine:nope not found\"},",
    "\"error\":\"manifest for alpine:nope not found\"}\r\n",
    "{\"status\":\"last, without newline\"}",
);

fn pull_values() -> Vec<Value> {
    vec![
        json!({"status": "Pulling from library/alpine", "id": "latest"}),
        json!({"status": "Pulling fs layer", "progressDetail": {}, "id": "a1b2c3d4e5f6"}),
        json!({
            "status": "Downloading",
            "progressDetail": {"current": 1024, "total": 3397879},
            "progress": "[>      ]  1.024kB/3.398MB",
            "id": "a1b2c3d4e5f6"
        }),
        json!({"status": "T\u{e9}l\u{e9}chargement \u{2713} \u{65e5}\u{672c} \u{1f433}"}),
        json!({
            "errorDetail": {"message": "manifest for alpine:nope not found"},
            "error": "manifest for alpine:nope not found"
        }),
        json!({"status": "last, without newline"}),
    ]
}

fn decode_json(mut dec: JsonLines, chunks: &[&[u8]]) -> Result<Vec<Value>, StreamError> {
    let mut values = Vec::new();
    for chunk in chunks {
        dec.push(Bytes::copy_from_slice(chunk));
        while let Some(value) = dec.next_value()? {
            values.push(value);
        }
        assert!(dec.line.len() <= dec.max_line);
    }
    while let Some(value) = dec.finish()? {
        values.push(value);
    }
    Ok(values)
}

#[test]
fn json_sample_unsplit() {
    let values = decode_json(JsonLines::new(), &[PULL.as_bytes()]).expect("valid sample");
    assert_eq!(values, pull_values());
    let errors: Vec<Option<String>> = values.iter().map(progress_error).collect();
    assert_eq!(
        errors,
        vec![
            None,
            None,
            None,
            None,
            Some("manifest for alpine:nope not found".to_owned()),
            None
        ]
    );
}

#[test]
fn json_split_at_every_byte_position() {
    let body = PULL.as_bytes();
    let expected = pull_values();
    for at in 0..=body.len() {
        let (head, tail) = body.split_at(at);
        assert_eq!(
            decode_json(JsonLines::new(), &[head, tail]),
            Ok(expected.clone()),
            "split at {at}"
        );
    }
}

#[test]
fn json_one_byte_at_a_time() {
    let chunks: Vec<&[u8]> = PULL.as_bytes().chunks(1).collect();
    assert_eq!(decode_json(JsonLines::new(), &chunks), Ok(pull_values()));
}

#[test]
fn json_prefixes_give_values_so_far_or_truncated() {
    let body = PULL.as_bytes();
    let expected = pull_values();
    let mut truncated = 0;
    for len in 0..=body.len() {
        match decode_json(JsonLines::new(), &[&body[..len]]) {
            Ok(values) => assert_eq!(values[..], expected[..values.len()], "prefix {len}"),
            Err(StreamError::Truncated) => truncated += 1,
            Err(err) => panic!("prefix {len}: {err:?}"),
        }
    }
    assert!(truncated > 0);
}

#[test]
fn json_next_value_waits_for_the_newline() {
    let mut dec = JsonLines::new();
    dec.push(Bytes::from_static(b"{\"a\":1}"));
    assert_eq!(dec.next_value(), Ok(None));
    dec.push(Bytes::from_static(b"\r\n\r\n"));
    assert_eq!(dec.next_value(), Ok(Some(json!({"a": 1}))));
    assert_eq!(dec.next_value(), Ok(None));
    assert_eq!(dec.finish(), Ok(None));
    assert_eq!(dec.finish(), Ok(None));
}

#[test]
fn json_finish_returns_last_value_then_none() {
    let mut dec = JsonLines::new();
    dec.push(Bytes::from_static(b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}"));
    assert_eq!(dec.finish(), Ok(Some(json!({"a": 1}))));
    assert_eq!(dec.finish(), Ok(Some(json!({"b": 2}))));
    assert_eq!(dec.finish(), Ok(Some(json!({"c": 3}))));
    assert_eq!(dec.finish(), Ok(None));
}

#[test]
fn json_garbage_at_the_end() {
    let mut dec = JsonLines::new();
    dec.push(Bytes::from_static(b"{\"a\":1}\nnot json"));
    assert_eq!(dec.next_value(), Ok(Some(json!({"a": 1}))));
    let err = dec.finish().expect_err("garbage");
    let StreamError::Malformed(message) = &err else {
        panic!("expected malformed, got {err:?}");
    };
    assert!(
        message.starts_with("invalid json \"not json\""),
        "{message}"
    );
    assert_eq!(dec.finish(), Err(err));
}

#[test]
fn json_cut_value_at_the_end_is_truncated() {
    for tail in ["{\"status\":\"Downl", "{\"a\":", "[1,2", "\"abc"] {
        let mut dec = JsonLines::new();
        dec.push(Bytes::from(tail));
        assert_eq!(dec.next_value(), Ok(None));
        assert_eq!(dec.finish(), Err(StreamError::Truncated), "{tail}");
    }
}

#[test]
fn json_invalid_line_is_malformed_and_final() {
    let mut dec = JsonLines::new();
    dec.push(Bytes::from_static(
        b"{\"a\":1}\n<html>bad gateway</html>\n{\"b\":2}\n",
    ));
    assert_eq!(dec.next_value(), Ok(Some(json!({"a": 1}))));
    let err = dec.next_value().expect_err("html is not json");
    let StreamError::Malformed(message) = &err else {
        panic!("expected malformed, got {err:?}");
    };
    assert!(
        message.contains("\"<html>bad gateway</html>\""),
        "{message}"
    );
    assert_eq!(dec.next_value(), Err(err.clone()));
    assert_eq!(dec.finish(), Err(err));
    // A cut line that ended in '\n' is invalid, not truncated.
    let mut dec = JsonLines::new();
    dec.push(Bytes::from_static(b"{\"a\":\n"));
    assert!(matches!(dec.next_value(), Err(StreamError::Malformed(_))));
    // Two values on one line.
    let mut dec = JsonLines::new();
    dec.push(Bytes::from_static(b"{}{}\n"));
    assert!(matches!(dec.next_value(), Err(StreamError::Malformed(_))));
}

#[test]
fn json_oversized_line_is_malformed_without_growing() {
    const MAX: usize = 64;
    let mut dec = JsonLines::with_max_line(MAX);
    let mut result = Ok(None);
    for _ in 0..100 {
        dec.push(Bytes::from_static(b"[1,2,3,4,5,"));
        result = dec.next_value();
        assert!(dec.line.len() <= MAX);
        if result.is_err() {
            break;
        }
    }
    let Err(StreamError::Malformed(message)) = &result else {
        panic!("expected malformed, got {result:?}");
    };
    assert!(
        message.starts_with("json line longer than 64 bytes: \"[1,2,3"),
        "{message}"
    );
    assert_eq!(dec.line.len(), 0);
    assert!(dec.input.is_empty());

    // One huge chunk is refused before anything is copied.
    let mut dec = JsonLines::with_max_line(MAX);
    dec.push(Bytes::from(vec![b' '; 10 * MAX]));
    assert!(matches!(dec.next_value(), Err(StreamError::Malformed(_))));
    assert_eq!(dec.line.capacity(), 0);
    let mut dec = JsonLines::with_max_line(MAX);
    let mut line = vec![b' '; 2 * MAX];
    line.push(b'\n');
    dec.push(Bytes::from(line));
    assert!(matches!(dec.next_value(), Err(StreamError::Malformed(_))));
}

#[test]
fn json_line_at_the_limit_is_accepted() {
    let mut line = format!("\"{}\"", "x".repeat(62));
    assert_eq!(line.len(), 64);
    line.push('\n');
    for at in 0..line.len() {
        let (head, tail) = line.as_bytes().split_at(at);
        let got = decode_json(JsonLines::with_max_line(64), &[head, tail]);
        assert_eq!(got, Ok(vec![json!("x".repeat(62))]), "split at {at}");
    }
    // A trailing '\r' counts towards the limit.
    let got = decode_json(
        JsonLines::with_max_line(64),
        &[line.replace('\n', "\r\n").as_bytes()],
    );
    assert!(matches!(got, Err(StreamError::Malformed(_))));
}

#[test]
fn json_deep_nesting_is_an_error_not_a_crash() {
    let mut deep = "[".repeat(100_000);
    deep.push('\n');
    let got = decode_json(JsonLines::new(), &[deep.as_bytes()]);
    assert!(matches!(got, Err(StreamError::Malformed(_))));
}

#[test]
fn json_survives_random_bytes() {
    let mut rng = Rng(777);
    for _ in 0..500 {
        let body: Vec<u8> = (0..rng.below(80))
            .map(|_| b"{}[]\":,1a \r\n\xff"[rng.below(13)])
            .collect();
        let chunks: Vec<&[u8]> = body.chunks(1 + rng.below(9)).collect();
        let _ = decode_json(JsonLines::with_max_line(16), &chunks);
    }
}

// ---- progress_error ----

#[test]
fn progress_error_cases() {
    assert_eq!(
        progress_error(&json!({"errorDetail": {"message": "denied"}, "error": "other"})),
        Some("denied".to_owned())
    );
    assert_eq!(
        progress_error(&json!({"error": "pull access denied"})),
        Some("pull access denied".to_owned())
    );
    assert_eq!(
        progress_error(&json!({"errorDetail": {"code": 1}, "error": "fallback"})),
        Some("fallback".to_owned())
    );
    assert_eq!(
        progress_error(&json!({"errorDetail": {"code": 1}})),
        Some("engine reported an error: {\"code\":1}".to_owned())
    );
    assert_eq!(
        progress_error(&json!({"status": "Downloading", "progressDetail": {}})),
        None
    );
    assert_eq!(
        progress_error(&json!({"status": "ok", "error": null, "errorDetail": null})),
        None
    );
    assert_eq!(progress_error(&json!("error")), None);
    assert_eq!(progress_error(&json!(["error"])), None);
}
