//! Reconnection delays: exponential, capped, then jittered (see [`ReconnectPolicy`]).

use super::config::ReconnectPolicy;
use crate::rng::SplitMix64;

/// The delay before attempt `attempt` (1-based) without jitter.
pub fn base_delay_ms(policy: &ReconnectPolicy, attempt: u32) -> u64 {
    let mut d = policy.initial_delay_ms;
    for _ in 1..attempt {
        d = d.saturating_mul(u64::from(policy.multiplier.max(1)));
        if d >= policy.max_delay_ms {
            break;
        }
    }
    d.min(policy.max_delay_ms)
}

/// The smallest and largest delay that attempt `attempt` can get.
pub fn delay_bounds_ms(policy: &ReconnectPolicy, attempt: u32) -> (u64, u64) {
    let base = base_delay_ms(policy, attempt);
    let spread = base.saturating_mul(u64::from(policy.jitter_permille.min(1000))) / 1000;
    (base - spread, base.saturating_add(spread))
}

/// The delay before attempt `attempt`, jittered with `rng`.
pub(crate) fn delay_ms(policy: &ReconnectPolicy, attempt: u32, rng: &mut SplitMix64) -> u64 {
    let (lo, hi) = delay_bounds_ms(policy, attempt);
    lo + rng.below_or_eq(hi - lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_schedule_is_1_2_4_8_16_seconds() {
        let p = ReconnectPolicy::PRODUCT;
        let bases: [u64; 6] = core::array::from_fn(|i| base_delay_ms(&p, i as u32 + 1));
        assert_eq!(bases, [1000, 2000, 4000, 8000, 16000, 16000]);
        assert_eq!(delay_bounds_ms(&p, 5), (12_800, 19_200));
    }

    #[test]
    fn jitter_survives_the_cap() {
        let p = ReconnectPolicy::SOCKET_IO_CLIENT;
        assert_eq!(base_delay_ms(&p, 10), 5000);
        let mut rng = SplitMix64::new(1);
        let delays: [u64; 32] = core::array::from_fn(|_| delay_ms(&p, 10, &mut rng));
        assert!(delays.iter().all(|d| (2500..=7500).contains(d)));
        // At the cap, delays still differ: no lockstep.
        assert!(delays.iter().any(|&d| d != delays[0]));
        assert_eq!(base_delay_ms(&p, u32::MAX), 5000);
    }
}
