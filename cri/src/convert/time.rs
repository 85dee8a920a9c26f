//! Timestamps: the model's milliseconds since its clock's origin, and the CRI's Unix nanoseconds (0
//! for "not yet").

use podsim_model::Millis;

/// CRI -> model: the model's milliseconds of a runtime timestamp (Unix nanoseconds); a time before
/// the origin is 0, and what is below a millisecond is dropped.
pub fn model_millis(unix_nanos: i64, origin_unix_nanos: i64) -> Millis {
    (unix_nanos.saturating_sub(origin_unix_nanos).max(0) / 1_000_000) as Millis
}

/// CRI -> model: a timestamp that the CRI leaves 0 until it happens (`started_at`, `finished_at`).
pub fn model_millis_if_set(unix_nanos: i64, origin_unix_nanos: i64) -> Option<Millis> {
    (unix_nanos > 0).then(|| model_millis(unix_nanos, origin_unix_nanos))
}

/// model -> CRI: the runtime timestamp (Unix nanoseconds) of the model's milliseconds.
pub fn cri_nanos(ms: Millis, origin_unix_nanos: i64) -> i64 {
    origin_unix_nanos.saturating_add(i64::try_from(ms).unwrap_or(i64::MAX).saturating_mul(1_000_000))
}

/// model -> CRI: a timestamp that has not happened yet is 0.
pub fn cri_nanos_if_set(ms: Option<Millis>, origin_unix_nanos: i64) -> i64 {
    ms.map_or(0, |ms| cri_nanos(ms, origin_unix_nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINS: [i64; 2] = [0, 1_700_000_000_123_456_789];

    #[test]
    fn milliseconds_come_back_the_same() {
        for origin in ORIGINS {
            for ms in [0, 1, 999, 1_000, 86_400_000, 10_000_000_000] {
                assert_eq!(model_millis(cri_nanos(ms, origin), origin), ms, "{ms} ms from {origin}");
            }
        }
    }

    #[test]
    fn timestamps_that_happened_come_back_the_same_and_the_others_stay_unset() {
        let origin = ORIGINS[1];
        for ms in [None, Some(1), Some(60_000)] {
            assert_eq!(model_millis_if_set(cri_nanos_if_set(ms, origin), origin), ms);
        }
        assert_eq!(cri_nanos_if_set(None, origin), 0);
    }

    /// The CRI's 0 means "not set": with the origin at 0 (the simulated server's clock), a container
    /// started in the clock's very first millisecond reads back as not started.
    #[test]
    fn a_time_at_a_zero_origin_reads_as_unset() {
        assert_eq!(model_millis_if_set(cri_nanos_if_set(Some(0), 0), 0), None);
    }

    #[test]
    fn a_time_before_the_origin_is_zero_and_sub_milliseconds_are_dropped() {
        assert_eq!(model_millis(5, 10), 0);
        assert_eq!(model_millis(1_999_999, 0), 1);
    }

    #[test]
    fn huge_times_saturate_instead_of_wrapping() {
        assert_eq!(cri_nanos(Millis::MAX, 0), i64::MAX);
        assert_eq!(cri_nanos(1, i64::MAX), i64::MAX);
    }
}
