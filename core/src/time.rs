//! Time as a parameter: the core's [`Instant`] and Go duration strings.
//!
//! The core never reads a clock. A driver picks an origin (for example the moment it created
//! a session) and passes `now` as the time elapsed since then.

use alloc::string::String;
use core::fmt::Write;
use core::ops::{Add, Sub};
use core::time::Duration;

/// A point in time, counted from an origin the driver chose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant(Duration::ZERO);

    /// The instant `since_origin` after the origin.
    #[must_use]
    pub const fn from_duration(since_origin: Duration) -> Self {
        Instant(since_origin)
    }

    /// The instant `ms` milliseconds after the origin.
    #[must_use]
    pub const fn from_millis(ms: u64) -> Self {
        Instant(Duration::from_millis(ms))
    }

    /// Time since the origin.
    #[must_use]
    pub const fn since_origin(self) -> Duration {
        self.0
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    #[must_use]
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// `self + d`, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        self.0.checked_add(d).map(Instant)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

/// Formats a duration the way Go's `time.Duration.String` does for the values the API
/// takes: `0s`, `500ms`, `10s`, `1m30s`, `6h0m0s`, `1.5s`.
#[must_use]
pub fn format_go_duration(d: Duration) -> String {
    let mut out = String::new();
    let total_nanos = d.as_nanos();
    if total_nanos == 0 {
        return String::from("0s");
    }
    if total_nanos < 1_000_000_000 {
        // Sub-second: the largest unit that keeps an integer part, as Go does.
        let (div, unit) = if total_nanos < 1_000 {
            (1, "ns")
        } else if total_nanos < 1_000_000 {
            (1_000, "µs")
        } else {
            (1_000_000, "ms")
        };
        write_fraction(&mut out, total_nanos, div);
        out.push_str(unit);
        return out;
    }
    let secs = d.as_secs();
    let hours = secs / 3600;
    let minutes = (secs % 3600) / 60;
    let rem = u128::from(secs % 60) * 1_000_000_000 + u128::from(d.subsec_nanos());
    if hours > 0 {
        let _ = write!(out, "{hours}h{minutes}m");
    } else if minutes > 0 {
        let _ = write!(out, "{minutes}m");
    }
    write_fraction(&mut out, rem, 1_000_000_000);
    out.push('s');
    out
}

fn write_fraction(out: &mut String, value: u128, div: u128) {
    let int = value / div;
    let mut frac = value % div;
    let _ = write!(out, "{int}");
    if frac == 0 {
        return;
    }
    out.push('.');
    let mut scale = div / 10;
    while frac > 0 && scale > 0 {
        let digit = frac / scale;
        let _ = write!(out, "{digit}");
        frac %= scale;
        scale /= 10;
    }
}

/// Parses a Go duration string (`300ms`, `1.5h`, `2h45m`, `10s`, `0`). Negative values and
/// unknown units are rejected with `None`.
#[must_use]
pub fn parse_go_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s == "0" {
        return Some(Duration::ZERO);
    }
    if s.is_empty() || s.starts_with('-') {
        return None;
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let mut rest = s;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let (num, after) = rest.split_at(num_len);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (int_part, frac_part) = match num.split_once('.') {
            Some((i, f)) => (i, f),
            None => (num, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let int: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        total = total.checked_add(int.checked_mul(unit_nanos)?)?;
        let mut scale = unit_nanos;
        for digit in frac_part.bytes() {
            if !digit.is_ascii_digit() {
                return None;
            }
            scale /= 10;
            total = total.checked_add(u128::from(digit - b'0') * scale)?;
        }
        rest = after;
    }
    let secs = u64::try_from(total / 1_000_000_000).ok()?;
    let nanos = u32::try_from(total % 1_000_000_000).ok()?;
    Some(Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_formats_like_go() {
        assert_eq!(format_go_duration(Duration::ZERO), "0s");
        assert_eq!(format_go_duration(Duration::from_secs(10)), "10s");
        assert_eq!(format_go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_go_duration(Duration::from_secs(6 * 3600)), "6h0m0s");
        assert_eq!(format_go_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(format_go_duration(Duration::from_millis(1500)), "1.5s");
    }

    #[test]
    fn go_duration_parses_what_it_formats() {
        for d in [
            Duration::ZERO,
            Duration::from_secs(10),
            Duration::from_secs(90),
            Duration::from_secs(6 * 3600),
            Duration::from_millis(500),
            Duration::from_millis(1500),
            Duration::from_nanos(1234),
        ] {
            assert_eq!(parse_go_duration(&format_go_duration(d)), Some(d));
        }
        assert_eq!(parse_go_duration("2h45m"), Some(Duration::from_secs(9900)));
        assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_go_duration("1.5h"), Some(Duration::from_secs(5400)));
    }

    #[test]
    fn go_duration_rejects_garbage() {
        for s in ["", "-1s", "10", "s", "1x", "1..5s", ".s"] {
            assert_eq!(parse_go_duration(s), None, "{s:?}");
        }
    }
}
