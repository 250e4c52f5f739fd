//! The event core of synack: integer simulated time and a deterministic scheduler.
//!
//! Nothing here knows about networks. [`Time`] and [`Duration`] are integer nanoseconds;
//! the [`Scheduler`] hands back events in time order, and events scheduled for the same
//! instant in the order they were scheduled.

mod time;

pub use time::{Duration, Time};
mod scheduler;

pub use scheduler::{EventKey, ScheduleError, Scheduler};
