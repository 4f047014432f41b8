//! Portable, purpose-separated random streams.
//!
//! Every random choice in this module comes from ChaCha8 keyed by `(seed, purpose)` and
//! positioned on stream `epoch`, and integers are drawn with our own rejection mapping from
//! `next_u64`, so a split, a shuffle or an augmentation is the same on every machine and in
//! every version of `rand` — a training record's seed is enough to replay its data order.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for; separate purposes never share random numbers.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub(crate) enum Purpose {
    /// Carving the validation split out of the training set.
    ValSplit = 1,
    /// The order of samples in an epoch.
    Shuffle = 2,
    /// Crop offsets and flips in an epoch.
    Augment = 3,
}

/// The random stream for `(seed, purpose, epoch)`.
pub(crate) fn stream(seed: u64, purpose: Purpose, epoch: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(purpose as u64).to_le_bytes());
    key[16..24].copy_from_slice(b"regnetdt");
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(epoch);
    rng
}

pub(crate) use crate::random::below;

/// Fisher–Yates shuffle drawing with [`below`].
pub(crate) fn shuffle<T>(rng: &mut ChaCha8Rng, items: &mut [T]) {
    crate::random::shuffle_with(items, |k| below(rng, k as u64) as usize);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map(|_| stream(7, Purpose::Shuffle, 3).next_u64())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let b = stream(7, Purpose::Shuffle, 4).next_u64();
        let c = stream(7, Purpose::Augment, 3).next_u64();
        let d = stream(8, Purpose::Shuffle, 3).next_u64();
        assert!(a[0] != b && a[0] != c && a[0] != d);
    }
}
