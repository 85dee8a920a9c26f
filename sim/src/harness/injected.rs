//! Injected CRI failures (the `criFailure` fault): the next calls of a method fail, with
//! `DeadlineExceeded` after a delay or with `Failed` at once, until they are used up or expire. One
//! rule for both backends: the simulated containerd answers with them, and the containerd driver
//! answers with them instead of making the call.

use serde::{Deserialize, Serialize};

use podsim_model::io::{CriError, CriReply};
use podsim_model::Millis;

use crate::containerd::CriMethod;

/// How long an injected failure that times out takes to answer.
pub const INJECTED_TIMEOUT: Millis = 2_000;

/// The next calls of one method that fail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct InjectedFailure {
    method: CriMethod,
    count: u32,
    timeout: bool,
    delay: Millis,
    /// The failure heals at this time, used up or not.
    until: Millis,
}

/// Injected failures, in the order they were injected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InjectedFailures {
    failures: Vec<InjectedFailure>,
}

impl InjectedFailures {
    /// The next `count` calls of `method` fail: with `DeadlineExceeded` after `delay` if `timeout`,
    /// else with `Failed` at once, until `until` (used up or not). Injections of one method are
    /// consumed in the order they were made.
    pub fn add(&mut self, method: CriMethod, count: u32, timeout: bool, delay: Millis, until: Millis) {
        if count > 0 {
            self.failures.push(InjectedFailure { method, count, timeout, delay, until });
        }
    }

    /// The failure a call of `method` at `now` meets, if any: its reply and how long after the call
    /// it comes. Consumes one use.
    pub fn take(&mut self, now: Millis, method: CriMethod) -> Option<(CriReply, Millis)> {
        self.failures.retain(|f| f.until > now);
        let index = self.failures.iter().position(|f| f.method == method)?;
        let failure = &mut self.failures[index];
        failure.count -= 1;
        let answer = if failure.timeout {
            (CriReply::Err(CriError::DeadlineExceeded), failure.delay)
        } else {
            (CriReply::Err(CriError::Failed(format!("injected failure of {method:?}"))), 0)
        };
        if failure.count == 0 {
            self.failures.remove(index);
        }
        Some(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_used_up_in_order_and_expires() {
        let mut f = InjectedFailures::default();
        f.add(CriMethod::StartContainer, 1, false, 0, 100);
        f.add(CriMethod::StartContainer, 1, true, INJECTED_TIMEOUT, 100);
        assert!(matches!(
            f.take(0, CriMethod::StartContainer),
            Some((CriReply::Err(CriError::Failed(_)), 0))
        ));
        assert_eq!(
            f.take(0, CriMethod::StartContainer),
            Some((CriReply::Err(CriError::DeadlineExceeded), INJECTED_TIMEOUT))
        );
        assert_eq!(f.take(0, CriMethod::StartContainer), None, "used up");
        f.add(CriMethod::PullImage, 5, false, 0, 100);
        assert_eq!(f.take(100, CriMethod::PullImage), None, "expired at its time");
    }
}
