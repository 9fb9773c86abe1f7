//! Time, injected: the real clock for production, a virtual clock for tests and for
//! `workflow run --clock virtual`, where time jumps ahead whenever an execution is only waiting
//! on timers.

use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};

/// A source of time for the engine.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Moves time forward to `deadline` if this clock may jump (a virtual clock), and says
    /// whether it did. A real clock returns `false`: the caller must wait.
    fn advance_to(&self, deadline: DateTime<Utc>) -> bool;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn advance_to(&self, _deadline: DateTime<Utc>) -> bool {
        false
    }
}

/// A clock that only moves when told to, or when every execution on it is waiting on timers.
#[derive(Debug)]
pub struct VirtualClock {
    now: Mutex<DateTime<Utc>>,
}

impl VirtualClock {
    /// A virtual clock starting at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        VirtualClock {
            now: Mutex::new(start),
        }
    }

    /// A virtual clock starting at the current wall-clock time.
    pub fn starting_now() -> Self {
        Self::new(Utc::now())
    }

    /// Moves time forward by `seconds`.
    pub fn advance(&self, seconds: f64) {
        let mut now = self.lock();
        *now += chrono::Duration::microseconds((seconds * 1e6) as i64);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned lock only means another thread panicked while holding a plain timestamp;
        // the value is still valid.
        self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }

    fn advance_to(&self, deadline: DateTime<Utc>) -> bool {
        let mut now = self.lock();
        if deadline > *now {
            *now = deadline;
        }
        true
    }
}

/// Formats a timestamp as AWS does in the context object and in history (`...T20:14:13.192Z`).
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
