//! Sequence numbers: 32-bit counters compared modulo 2³² (RFC 9293 §3.4).
//!
//! [`Seq`] deliberately has no `Ord`: modulo 2³² there is no total order, only "a is before b
//! when b − a, read as a signed 32-bit number, is positive" (the serial-number arithmetic of
//! RFC 1982), which holds for numbers less than 2³¹ apart.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A TCP sequence (or acknowledgment) number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Seq(pub u32);

impl Seq {
    /// The signed distance from `other` to `self`: positive when `self` is after `other`.
    pub fn diff(self, other: Seq) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }
    /// `self < other` modulo 2³².
    pub fn lt(self, other: Seq) -> bool {
        self.diff(other) < 0
    }
    /// `self <= other` modulo 2³².
    pub fn le(self, other: Seq) -> bool {
        self.diff(other) <= 0
    }
    /// `self > other` modulo 2³².
    pub fn gt(self, other: Seq) -> bool {
        self.diff(other) > 0
    }
    /// `self >= other` modulo 2³².
    pub fn ge(self, other: Seq) -> bool {
        self.diff(other) >= 0
    }
    /// The later of the two.
    pub fn max(self, other: Seq) -> Seq {
        if self.ge(other) {
            self
        } else {
            other
        }
    }
    /// The earlier of the two.
    pub fn min(self, other: Seq) -> Seq {
        if self.le(other) {
            self
        } else {
            other
        }
    }
    /// The number of bytes from `earlier` up to `self`, which must not be before it.
    pub fn since(self, earlier: Seq) -> u32 {
        debug_assert!(self.ge(earlier), "{self:?} is before {earlier:?}");
        self.0.wrapping_sub(earlier.0)
    }
}

impl Add<u32> for Seq {
    type Output = Seq;
    fn add(self, n: u32) -> Seq {
        Seq(self.0.wrapping_add(n))
    }
}

impl AddAssign<u32> for Seq {
    fn add_assign(&mut self, n: u32) {
        *self = *self + n;
    }
}

impl Sub<u32> for Seq {
    type Output = Seq;
    fn sub(self, n: u32) -> Seq {
        Seq(self.0.wrapping_sub(n))
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seq({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_wrap() {
        let a = Seq(u32::MAX - 1);
        let b = a + 10;
        assert_eq!(b, Seq(8));
        assert!(a.lt(b) && a.le(b) && b.gt(a) && b.ge(a));
        assert!(!b.lt(a) && a.le(a) && a.ge(a) && !a.lt(a));
        assert_eq!(b.since(a), 10);
        assert_eq!(b - 10, a);
        assert_eq!(a.max(b), b);
        assert_eq!(b.diff(a), 10);
        assert_eq!(a.diff(b), -10);
    }

    #[test]
    fn half_the_space_is_the_horizon() {
        let a = Seq(0);
        assert!(a.lt(Seq(0x7fff_ffff)));
        // Exactly 2³¹ apart each looks "before" the other: no order is meaningful there.
        let b = Seq(0x8000_0000);
        assert!(a.lt(b) && b.lt(a));
    }
}
