//! IPv4 CIDR blocks: parsing, and carving subnets out of a VPC's block the
//! way the CDK's `NetworkBuilder` does (in order, each block aligned to its size).

use std::fmt;

/// An IPv4 CIDR block such as `10.0.0.0/16`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Cidr {
    network: u32,
    prefix: u8,
}

impl Ipv4Cidr {
    /// Parses `a.b.c.d/n`. The host bits must be zero (`10.0.0.1/16` is refused
    /// with the block it probably means).
    pub fn parse(text: &str) -> Result<Ipv4Cidr, String> {
        let invalid = || format!("'{text}' is not an IPv4 CIDR block: write it as a.b.c.d/n, e.g. 10.0.0.0/16");
        let (address, prefix) = text.split_once('/').ok_or_else(invalid)?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        if prefix > 32 {
            return Err(invalid());
        }
        let octets: Vec<&str> = address.split('.').collect();
        if octets.len() != 4 {
            return Err(invalid());
        }
        let mut address_bits: u32 = 0;
        for o in octets {
            if o.is_empty() || o.len() > 3 || !o.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid());
            }
            let n: u8 = o.parse().map_err(|_| invalid())?;
            address_bits = (address_bits << 8) | u32::from(n);
        }
        let cidr = Ipv4Cidr {
            network: address_bits & mask(prefix),
            prefix,
        };
        if cidr.network != address_bits {
            return Err(format!(
                "'{text}' has host bits set: the block it covers is {cidr}; write that instead"
            ));
        }
        Ok(cidr)
    }

    /// The prefix length (the `n` of `/n`).
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The number of addresses in the block.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// The first address of the block, as a number.
    fn first(&self) -> u64 {
        u64::from(self.network)
    }

    /// One past the last address of the block, as a number.
    fn end(&self) -> u64 {
        self.first() + self.size()
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.network.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}/{}", self.prefix)
    }
}

/// Hands out consecutive subnets of a VPC's block, each aligned to its own
/// size, as the CDK's `NetworkBuilder` does.
#[derive(Debug)]
pub(crate) struct SubnetAllocator {
    block: Ipv4Cidr,
    next: u64,
}

impl SubnetAllocator {
    pub fn new(block: Ipv4Cidr) -> Self {
        SubnetAllocator {
            block,
            next: block.first(),
        }
    }

    /// The next free block of `/prefix`, or an error when it does not fit.
    pub fn allocate(&mut self, prefix: u8) -> Result<Ipv4Cidr, String> {
        let size = 1u64 << (32 - u32::from(prefix.min(32)));
        let start = self.next.div_ceil(size) * size;
        if prefix < self.block.prefix || start + size > self.block.end() {
            return Err(format!(
                "a /{prefix} subnet does not fit in what is left of {}",
                self.block
            ));
        }
        self.next = start + size;
        let network = u32::try_from(start).map_err(|_| format!("a /{prefix} subnet does not fit in {}", self.block))?;
        Ok(Ipv4Cidr { network, prefix })
    }

    /// The prefix that splits the space left into `count` equal subnets (the
    /// CDK's `maskForRemainingSubnets`), or `None` when nothing is left.
    pub fn prefix_for_remaining(&self, count: usize) -> Option<u8> {
        let remaining = self.block.end().saturating_sub(self.next);
        let per_subnet = remaining / u64::try_from(count.max(1)).unwrap_or(u64::MAX);
        if per_subnet == 0 {
            return None;
        }
        let bits = 63 - per_subnet.leading_zeros();
        u8::try_from(32u32.saturating_sub(bits)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let c = Ipv4Cidr::parse("10.0.0.0/16").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.to_string(), "10.0.0.0/16");
        assert_eq!(c.size(), 65536);
        assert_eq!(c.prefix(), 16);
    }

    #[test]
    fn refuses_malformed_blocks() {
        for bad in [
            "",
            "10.0.0.0",
            "10.0.0/16",
            "10.0.0.256/16",
            "10.0.0.0/33",
            "a.b.c.d/8",
            "10.0.0.0/x",
        ] {
            let e = Ipv4Cidr::parse(bad).expect_err(bad);
            assert!(e.contains("not an IPv4 CIDR block"), "{bad}: {e}");
        }
    }

    #[test]
    fn host_bits_are_refused_with_the_block_meant() {
        let e = Ipv4Cidr::parse("10.0.0.1/16").expect_err("host bits");
        assert!(e.contains("10.0.0.0/16"), "{e}");
    }

    #[test]
    fn allocates_in_order_and_aligned() {
        let mut a = SubnetAllocator::new(Ipv4Cidr::parse("10.0.0.0/16").unwrap_or_else(|e| panic!("{e}")));
        let got: Vec<String> = [24, 24, 20, 28]
            .iter()
            .map(|p| a.allocate(*p).unwrap_or_else(|e| panic!("{e}")).to_string())
            .collect();
        assert_eq!(got, ["10.0.0.0/24", "10.0.1.0/24", "10.0.16.0/20", "10.0.32.0/28"]);
    }

    #[test]
    fn refuses_what_does_not_fit() {
        let mut a = SubnetAllocator::new(Ipv4Cidr::parse("10.0.0.0/24").unwrap_or_else(|e| panic!("{e}")));
        assert!(a.allocate(16).is_err(), "bigger than the block");
        assert!(a.allocate(25).is_ok());
        assert!(a.allocate(25).is_ok());
        assert!(a.allocate(28).is_err(), "full");
    }

    #[test]
    fn remaining_space_is_split_as_the_cdk_does() {
        let a = SubnetAllocator::new(Ipv4Cidr::parse("10.0.0.0/16").unwrap_or_else(|e| panic!("{e}")));
        // Four subnets of the default VPC: 65536 / 4 = 16384 addresses each, /18.
        assert_eq!(a.prefix_for_remaining(4), Some(18));
        // Six: 10922 addresses each, rounded down to a power of two: /19.
        assert_eq!(a.prefix_for_remaining(6), Some(19));
    }
}
