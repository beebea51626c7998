//! Pull and push progress: the Lua layer hands each event of the engine's
//! stream to a sink; drawing it belongs to the front end (`crate::term`),
//! which installs its display once with [`set_display`]. Without one (the
//! library used on its own), progress without a Lua callback is dropped.

use std::sync::OnceLock;

use serde_json::Value as Json;

/// What the front end draws progress with.
pub trait ProgressSink {
    /// One event of a pull or push stream, as the engine sent it.
    fn event(&mut self, event: &Json);
    /// The stream has ended (or failed): finish the drawing.
    fn finish(&mut self);
}

/// Makes a display for one pull or push, or `None` when there is nowhere
/// to draw (stderr not a terminal).
pub type DisplayFactory = fn() -> Option<Box<dyn ProgressSink>>;

static DISPLAY: OnceLock<DisplayFactory> = OnceLock::new();

/// Installs the front end's display (the first call wins).
pub fn set_display(factory: DisplayFactory) {
    let _ = DISPLAY.set(factory);
}

/// A display for one pull or push, if the front end has one to offer.
pub fn display() -> Option<Box<dyn ProgressSink>> {
    DISPLAY.get().and_then(|make| make())
}
