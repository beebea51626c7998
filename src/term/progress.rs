//! Pull and push progress on a terminal, from the engine's JSON events.
//!
//! What it shows never goes backwards: each layer's transferred bytes only
//! grow (extracting, which counts again from 0, is a phase of its own, not
//! bytes), and the totals are sums of those. It shows the phase
//! (Downloading, Extracting, Pushing...) and the transfer rate over the last
//! seconds. On a terminal at least [`WIDE`] columns wide, one line per layer
//! as the docker CLI draws them, then the summary; narrower, the summary
//! alone, redrawn in place. `Digest:` and `Status:` lines follow at the end.

use std::collections::VecDeque;
use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::lua::progress::ProgressSink;

/// From this many columns on, one line per layer.
pub const WIDE: usize = 100;
/// The rate is measured over this much of the recent past.
const RATE_WINDOW: Duration = Duration::from_secs(3);
/// Redraws at most this often (and on every phase change).
const REDRAW_EVERY: Duration = Duration::from_millis(80);

/// Installs the display as the Lua layer's progress display.
pub fn install() {
    crate::lua::progress::set_display(display);
}

/// A display drawing on stderr, if stderr is a terminal.
fn display() -> Option<Box<dyn ProgressSink>> {
    let width = super::stderr_width()?;
    Some(Box::new(Display {
        state: State::default(),
        width,
        drawn: 0,
        last_draw: None,
    }))
}

#[derive(Debug, Default, Clone)]
struct Layer {
    id: String,
    phase: String,
    /// Progress of the current phase (bytes), as the engine reports it.
    current: u64,
    total: u64,
    /// Bytes downloaded or pushed: only grows.
    moved: u64,
    /// The layer's size, once known.
    size: u64,
    complete: bool,
}

/// What the events have said so far.
#[derive(Debug, Default)]
pub struct State {
    layers: Vec<Layer>,
    /// The latest status that is not a layer's (`Pulling from ...`).
    status: String,
    /// `Digest: ...` and `Status: ...`.
    footer: Vec<String>,
    /// (when, bytes moved by then), for the rate.
    samples: VecDeque<(Instant, u64)>,
}

impl State {
    pub fn update(&mut self, event: &Json, now: Instant) {
        let status = event
            .get("status")
            .and_then(Json::as_str)
            .unwrap_or_default();
        if status.starts_with("Digest:") || status.starts_with("Status:") {
            self.footer.push(status.to_owned());
            return;
        }
        let id = event.get("id").and_then(Json::as_str);
        let about_layer = id.is_some()
            && !status.starts_with("Pulling from")
            && !status.starts_with("The push refers to");
        let Some(id) = id.filter(|_| about_layer) else {
            if !status.is_empty() {
                self.status = status.to_owned();
            }
            return;
        };
        let index = match self.layers.iter().position(|l| l.id == id) {
            Some(i) => i,
            None => {
                self.layers.push(Layer {
                    id: id.to_owned(),
                    ..Layer::default()
                });
                self.layers.len() - 1
            }
        };
        let layer = &mut self.layers[index];
        let detail = event.get("progressDetail");
        let number = |key: &str| detail.and_then(|d| d.get(key)).and_then(Json::as_u64);
        if layer.phase != status {
            layer.current = 0;
            layer.total = 0;
        }
        layer.phase = status.to_owned();
        layer.current = number("current").unwrap_or(layer.current);
        layer.total = number("total").unwrap_or(layer.total);
        match status {
            "Downloading" | "Pushing" => {
                layer.size = layer.size.max(layer.total);
                layer.moved = layer.moved.max(layer.current);
            }
            "Extracting" => layer.size = layer.size.max(layer.total),
            _ => {}
        }
        if matches!(
            status,
            "Download complete" | "Verifying Checksum" | "Pull complete" | "Pushed"
        ) || status == "Extracting"
        {
            // Everything was downloaded before these.
            layer.moved = layer.moved.max(layer.size);
        }
        if matches!(
            status,
            "Pull complete" | "Already exists" | "Pushed" | "Layer already exists"
        ) || status.starts_with("Mounted from")
        {
            layer.complete = true;
        }
        let moved = self.moved();
        self.samples.push_back((now, moved));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// Bytes downloaded or pushed so far, of all layers.
    pub fn moved(&self) -> u64 {
        self.layers.iter().map(|l| l.moved).sum()
    }

    /// Bytes per second over the recent past, once measurable.
    pub fn rate(&self) -> Option<f64> {
        let (t0, b0) = self.samples.front()?;
        let (t1, b1) = self.samples.back()?;
        let seconds = t1.duration_since(*t0).as_secs_f64();
        (seconds >= 0.2).then(|| b1.saturating_sub(*b0) as f64 / seconds)
    }

    /// The phase of the whole: a transfer while any layer transfers, then
    /// extracting, then whatever was said last.
    pub fn phase(&self) -> &str {
        let any = |p: &str| self.layers.iter().any(|l| l.phase == p);
        for p in [
            "Downloading",
            "Pushing",
            "Extracting",
            "Verifying Checksum",
            "Waiting",
        ] {
            if any(p) {
                return p;
            }
        }
        if !self.layers.is_empty() && self.layers.iter().all(|l| l.complete) {
            return "Complete";
        }
        self.layers
            .iter()
            .rev()
            .find(|l| !l.complete)
            .map_or(self.status.as_str(), |l| l.phase.as_str())
    }

    /// `Downloading: 2/5 layers, 12.3 MB / 45.6 MB, 4.2 MB/s`.
    pub fn summary(&self) -> String {
        let done = self.layers.iter().filter(|l| l.complete).count();
        let mut line = format!("{}: {done}/{} layers", self.phase(), self.layers.len());
        let size: u64 = self.layers.iter().map(|l| l.size.max(l.moved)).sum();
        if size > 0 {
            line.push_str(&format!(", {} / {}", human(self.moved()), human(size)));
        }
        if let Some(rate) = self.rate() {
            line.push_str(&format!(", {}/s", human(rate as u64)));
        }
        line
    }

    /// The lines to show on a terminal `width` columns wide.
    pub fn lines(&self, width: usize) -> Vec<String> {
        let mut out = Vec::new();
        if width >= WIDE {
            out.extend(self.layers.iter().map(layer_line));
        }
        out.push(self.summary());
        let max = width.saturating_sub(1).max(10);
        out.into_iter()
            .map(|l| l.chars().take(max).collect())
            .collect()
    }
}

/// `a1b2c3d4e5f6: Downloading [=====>          ]  1.2 MB / 3.4 MB`
fn layer_line(l: &Layer) -> String {
    let id: String = l.id.chars().take(12).collect();
    let mut line = format!("{id}: {:<18}", l.phase);
    if !l.complete && l.total > 0 {
        const BAR: usize = 40;
        let filled = ((l.current.min(l.total) as f64 / l.total as f64) * BAR as f64) as usize;
        let bar: String = (0..BAR)
            .map(|i| match i.cmp(&filled) {
                std::cmp::Ordering::Less => '=',
                std::cmp::Ordering::Equal => '>',
                std::cmp::Ordering::Greater => ' ',
            })
            .collect();
        line.push_str(&format!(
            " [{bar}] {} / {}",
            human(l.current),
            human(l.total)
        ));
    }
    line.trim_end().to_owned()
}

/// `1.5 MB` (decimal units, as the docker CLI shows transfers).
fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Draws a [`State`] on stderr, in place.
struct Display {
    state: State,
    width: usize,
    /// Lines drawn last time (the cursor is on the last of them).
    drawn: usize,
    last_draw: Option<(Instant, String)>,
}

impl Display {
    fn draw(&mut self, force: bool) {
        let now = Instant::now();
        let phase = self.state.phase().to_owned();
        if let Some((at, last_phase)) = &self.last_draw {
            if !force && *last_phase == phase && now.duration_since(*at) < REDRAW_EVERY {
                return;
            }
        }
        self.last_draw = Some((now, phase));
        let lines = self.state.lines(self.width);
        let mut out = String::from("\r");
        if self.drawn > 1 {
            out.push_str(&format!("\x1b[{}A", self.drawn - 1));
        }
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str("\x1b[K");
            out.push_str(line);
        }
        self.drawn = lines.len();
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(out.as_bytes());
        let _ = err.flush();
    }
}

impl ProgressSink for Display {
    fn event(&mut self, event: &Json) {
        self.state.update(event, Instant::now());
        self.draw(false);
    }

    fn finish(&mut self) {
        self.draw(true);
        let mut text = String::from("\n");
        for line in &self.state.footer {
            text.push_str(line);
            text.push('\n');
        }
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn feed(state: &mut State, t: Instant, events: &[Json]) {
        for e in events {
            state.update(e, t);
        }
    }

    #[test]
    fn never_goes_backwards_through_the_phases() {
        let t = Instant::now();
        let mut s = State::default();
        feed(
            &mut s,
            t,
            &[
                json!({"status": "Pulling from dockerlua/x", "id": "latest"}),
                json!({"status": "Pulling fs layer", "id": "aaa"}),
                json!({"status": "Already exists", "id": "bbb"}),
                json!({"status": "Downloading", "id": "aaa", "progressDetail": {"current": 500_000, "total": 2_000_000}}),
            ],
        );
        assert_eq!(s.layers.len(), 2, "the tag is not a layer");
        assert_eq!(s.phase(), "Downloading");
        let mut seen = vec![s.moved()];
        let rest = [
            json!({"status": "Downloading", "id": "aaa", "progressDetail": {"current": 1_500_000, "total": 2_000_000}}),
            json!({"status": "Verifying Checksum", "id": "aaa", "progressDetail": {}}),
            json!({"status": "Download complete", "id": "aaa", "progressDetail": {}}),
            json!({"status": "Extracting", "id": "aaa", "progressDetail": {"current": 32_768, "total": 2_000_000}}),
            json!({"status": "Pull complete", "id": "aaa", "progressDetail": {}}),
        ];
        for e in &rest {
            s.update(e, t);
            seen.push(s.moved());
            if e["status"] == "Extracting" {
                assert_eq!(s.phase(), "Extracting");
                assert!(
                    s.summary()
                        .starts_with("Extracting: 1/2 layers, 2.0 MB / 2.0 MB"),
                    "{}",
                    s.summary()
                );
            }
        }
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert_eq!(s.moved(), 2_000_000);
        s.update(&json!({"status": "Digest: sha256:abc"}), t);
        s.update(
            &json!({"status": "Status: Downloaded newer image for x"}),
            t,
        );
        assert_eq!(s.phase(), "Complete");
        assert_eq!(s.footer.len(), 2);
    }

    #[test]
    fn rate_over_the_recent_past() {
        let t = Instant::now();
        let mut s = State::default();
        let dl = |n: u64| json!({"status": "Downloading", "id": "a", "progressDetail": {"current": n, "total": 10_000_000}});
        s.update(&dl(0), t);
        assert_eq!(s.rate(), None);
        s.update(&dl(1_000_000), t + Duration::from_secs(1));
        s.update(&dl(2_000_000), t + Duration::from_secs(2));
        assert_eq!(s.rate(), Some(1_000_000.0));
        assert!(s.summary().ends_with(", 1.0 MB/s"), "{}", s.summary());
        // Older samples leave the window.
        s.update(&dl(8_000_000), t + Duration::from_secs(6));
        s.update(&dl(9_000_000), t + Duration::from_secs(7));
        assert_eq!(s.rate(), Some(1_000_000.0));
    }

    #[test]
    fn wide_terminals_get_a_line_per_layer() {
        let t = Instant::now();
        let mut s = State::default();
        feed(
            &mut s,
            t,
            &[
                json!({"status": "Downloading", "id": "0123456789abcdef", "progressDetail": {"current": 1_000, "total": 4_000}}),
                json!({"status": "Pushed", "id": "fedcba987654"}),
            ],
        );
        let wide = s.lines(120);
        assert_eq!(wide.len(), 3, "{wide:?}");
        assert!(
            wide[0].starts_with("0123456789ab: Downloading        [==========>"),
            "{wide:?}"
        );
        assert!(wide[0].ends_with("1.0 kB / 4.0 kB"), "{wide:?}");
        assert_eq!(wide[1], "fedcba987654: Pushed");
        assert!(wide[2].starts_with("Downloading: 1/2 layers"), "{wide:?}");
        let narrow = s.lines(60);
        assert_eq!(narrow.len(), 1);
        assert!(narrow[0].chars().count() < 60);
    }
}
