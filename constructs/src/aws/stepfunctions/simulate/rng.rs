//! Deterministic randomness: `States.UUID`, `States.MathRandom` and full
//! jitter draw from a stream seeded by the execution's name, so a simulation
//! gives the same answer every time.

use sha2::{Digest as _, Sha256};

/// A reproducible stream of pseudo-random numbers (SHA-256 of seed and counter).
#[derive(Clone, Debug)]
pub(super) struct Rng {
    seed: String,
    counter: u64,
}

impl Rng {
    /// A stream seeded by `seed`.
    pub(super) fn new(seed: &str) -> Rng {
        Rng {
            seed: seed.to_owned(),
            counter: 0,
        }
    }

    fn next_block(&mut self) -> [u8; 32] {
        self.counter += 1;
        Sha256::new()
            .chain_update(self.seed.as_bytes())
            .chain_update(self.counter.to_be_bytes())
            .finalize()
            .into()
    }

    /// The next number.
    pub(super) fn next_u64(&mut self) -> u64 {
        let b = self.next_block();
        u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    }

    /// A number in `[0, 1)`.
    pub(super) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A version 4 UUID.
    pub(super) fn uuid(&mut self) -> String {
        let b = self.next_block();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&b[..16]);
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }
}
