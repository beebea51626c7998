//! Waits between reconnect attempts: doubling from a floor to a ceiling,
//! each one jittered so that many clients cut off together (an engine
//! restart) do not all come back at the same instant.

use std::time::Duration;

/// The delays of successive attempts; [`Backoff::reset`] after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    floor: Duration,
    ceiling: Duration,
    next: Duration,
    /// xorshift state: jitter needs spread, not quality.
    seed: u64,
}

impl Backoff {
    pub fn new(floor: Duration, ceiling: Duration) -> Self {
        let ceiling = ceiling.max(floor);
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9_7f4a_7c15, |d| d.as_nanos() as u64)
            | 1;
        Backoff {
            floor,
            ceiling,
            next: floor,
            seed,
        }
    }

    /// The wait before the next attempt: between half and all of the current
    /// step, which then doubles up to the ceiling.
    pub fn next_delay(&mut self) -> Duration {
        let step = self.next;
        self.next = (self.next * 2).min(self.ceiling);
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let fraction = 0.5 + (self.seed % 1000) as f64 / 2000.0;
        step.mul_f64(fraction)
    }

    /// Back to the floor, after a connection that worked.
    pub fn reset(&mut self) {
        self.next = self.floor;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_ceiling_with_jitter() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let delays: Vec<Duration> = (0..10).map(|_| b.next_delay()).collect();
        let steps = [100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000, 2000];
        for (d, step) in delays.iter().zip(steps) {
            let step = Duration::from_millis(step);
            assert!(*d >= step / 2 && *d <= step, "{d:?} for a step of {step:?}");
        }
        // Jittered: not all the capped delays are equal.
        assert!(delays[5..].windows(2).any(|w| w[0] != w[1]), "{delays:?}");
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn a_ceiling_below_the_floor_is_the_floor() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_millis(1));
        assert!(b.next_delay() <= Duration::from_secs(1));
        assert!(b.next_delay() >= Duration::from_millis(500));
    }
}
