//! Seeded randomness, in one place. Every random choice of the crate is a pure function of a
//! seed (a sample of a space, a weight, a data order, a bootstrap resample), drawn from ChaCha8
//! streams with mappings written out here rather than taken from `rand`'s distributions, so
//! that a seed means the same numbers on every machine and in every `rand` version.
//!
//! Three mappings from a stream to an index coexist because committed results depend on each
//! of them (the samples of every committed sweep, the data order of every run, the bootstrap
//! intervals of the findings): [`index_by_unit`] for design-space draws, [`below`] for the data
//! pipeline, [`portable_index`] for the statistics. New code should use [`portable_index`].
//!
//! ```
//! use rand::SeedableRng;
//! use regnet_lab::random::{derive_seed, fnv1a, portable_index, shuffle_with};
//! // Independent seeds for separate uses of one user seed, keyed by a number or a name.
//! assert_ne!(derive_seed(7, 1), derive_seed(7, 2));
//! assert_ne!(derive_seed(7, fnv1a("a")), derive_seed(7, fnv1a("b")));
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(derive_seed(7, 1));
//! let mut v: Vec<usize> = (0..10).collect();
//! shuffle_with(&mut v, |n| portable_index(&mut rng, n));
//! v.sort_unstable();
//! assert_eq!(v, (0..10).collect::<Vec<_>>());
//! ```

use rand::RngCore;

/// 2⁶⁴ / φ, the increment of SplitMix64 (and a good odd multiplier to spread stream ids).
pub const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// FNV-1a of a name: a stable hash (std's hasher may change between Rust releases), so a
/// stream keyed by a parameter's or a candidate's name does not depend on its position.
pub fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One step of SplitMix64: increment by [`GOLDEN`], then its finaliser. Turns correlated
/// inputs (seed 1, seed 2) into unrelated 64-bit seeds.
pub fn splitmix64(z: u64) -> u64 {
    let mut z = z.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An independent seed for use `stream` of `seed` (a hold-out split, one candidate's
/// bootstrap, a space's fresh samples).
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    splitmix64(seed ^ stream.wrapping_mul(GOLDEN))
}

/// Uniform in [0, 1) from the top 53 bits of one draw.
pub fn unit(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An index in `0..n` (`n ≥ 1`) as `⌊unit · n⌋`: the design spaces' draws (every committed
/// sample depends on it). Its bias is below 2⁻⁵³ · n.
pub fn index_by_unit(rng: &mut impl RngCore, n: usize) -> usize {
    ((unit(rng) * n as f64) as usize).min(n.saturating_sub(1))
}

/// A uniform integer in `0..n` (`n > 0`) by rejection and modulo, without bias: the data
/// pipeline's splits, orders and augmentations (every run's data order depends on it).
pub fn below(rng: &mut impl RngCore, n: u64) -> u64 {
    debug_assert!(n > 0);
    // Accept x < 2^64 - (2^64 mod n), a multiple of n.
    let rem = (u64::MAX % n + 1) % n;
    // Values 0..=limit number 2^64 - rem, a multiple of n.
    let limit = u64::MAX - rem;
    loop {
        let x = rng.next_u64();
        if x <= limit {
            return x % n;
        }
    }
}

/// A uniform index in `0..n` by Lemire's multiply-and-reject method: the statistics'
/// resamples. `n` must be at least 1 (returns 0 for `n == 0`).
pub fn portable_index<R: RngCore>(rng: &mut R, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    let n = n as u64;
    let mut m = (rng.next_u64() as u128) * (n as u128);
    if (m as u64) < n {
        // Reject the few low products that would make small indices more likely.
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = (rng.next_u64() as u128) * (n as u128);
        }
    }
    (m >> 64) as usize
}

/// Fisher–Yates shuffle, `index(k)` giving a uniform index in `0..k` (one of the mappings
/// above, so that each caller keeps its stream).
pub fn shuffle_with<T>(items: &mut [T], mut index: impl FnMut(usize) -> usize) {
    for i in (1..items.len()).rev() {
        let j = index(i + 1);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn mappings_stay_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for n in [1usize, 2, 3, 9, 1000] {
            for _ in 0..100 {
                assert!(index_by_unit(&mut rng, n) < n);
                assert!(below(&mut rng, n as u64) < n as u64);
                assert!(portable_index(&mut rng, n) < n);
            }
        }
        assert!(below(&mut rng, u64::MAX) < u64::MAX);
    }

    #[test]
    fn hashes_and_seeds_are_the_published_constants() {
        // FNV-1a test vectors and SplitMix64's first output for seed 0.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
    }
}
