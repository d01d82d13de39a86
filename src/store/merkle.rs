//! RFC 6962 Merkle tree hashing with an O(log n) frontier.
//!
//! Leaves are record hashes: `leaf = SHA-256(0x00 ‖ record_hash)`, interior nodes
//! `SHA-256(0x01 ‖ left ‖ right)`, the empty tree `SHA-256("")`. The frontier keeps the roots of
//! the perfect subtrees that make up the tree (one per set bit of its size), so appending and
//! computing the root cost O(log n) time and memory. Inclusion proofs are computed from the list
//! of leaves when an exporter needs them.

use sha2::Digest as _;

use crate::model::Digest;

/// `SHA-256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Digest {
    let mut h = sha2::Sha256::new();
    h.update([0u8]);
    h.update(data);
    Digest(h.finalize().into())
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Digest, right: &Digest) -> Digest {
    let mut h = sha2::Sha256::new();
    h.update([1u8]);
    h.update(left.as_bytes());
    h.update(right.as_bytes());
    Digest(h.finalize().into())
}

/// The roots of the perfect subtrees of a tree, left to right, with their heights.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Frontier {
    size: u64,
    nodes: Vec<(u32, Digest)>,
}

impl Frontier {
    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf given its *leaf data* (a record hash).
    pub fn push(&mut self, record_hash: &Digest) {
        let mut node = (0u32, leaf_hash(record_hash.as_bytes()));
        while let Some(&(height, left)) = self.nodes.last() {
            if height != node.0 {
                break;
            }
            self.nodes.pop();
            node = (height + 1, node_hash(&left, &node.1));
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// The RFC 6962 Merkle tree hash of all leaves so far.
    pub fn root(&self) -> Digest {
        let mut iter = self.nodes.iter().rev();
        match iter.next() {
            None => crate::model::sha256(b""),
            Some(&(_, last)) => iter.fold(last, |acc, (_, left)| node_hash(left, &acc)),
        }
    }
}

/// RFC 6962 audit path for leaf `index` in the tree of `leaves` (record hashes).
pub fn inclusion_proof(leaves: &[Digest], index: usize) -> Vec<Digest> {
    Prover::new(leaves).proof(index)
}

/// Audit paths of many leaves of one tree: each subtree root is hashed once and remembered, so
/// proving k leaves of an n-leaf tree costs O(n + k log n) hashes, not O(k n).
#[derive(Debug)]
pub struct Prover<'a> {
    leaves: &'a [Digest],
    roots: std::collections::HashMap<(usize, usize), Digest>,
}

impl<'a> Prover<'a> {
    /// A prover over `leaves` (record hashes).
    pub fn new(leaves: &'a [Digest]) -> Prover<'a> {
        Prover {
            leaves,
            roots: std::collections::HashMap::new(),
        }
    }

    /// The audit path of leaf `index` (empty when it is out of range or the tree has one leaf).
    pub fn proof(&mut self, index: usize) -> Vec<Digest> {
        let mut out = Vec::new();
        let (mut start, mut len, mut index) = (0, self.leaves.len(), index);
        if index >= len {
            return out;
        }
        // Descend from the root; siblings are collected top-down, the path lists them bottom-up.
        while len > 1 {
            let k = largest_power_of_two_below(len);
            if index < k {
                out.push(self.root(start + k, len - k));
                len = k;
            } else {
                out.push(self.root(start, k));
                start += k;
                index -= k;
                len -= k;
            }
        }
        out.reverse();
        out
    }

    /// The Merkle tree hash of `len` leaves from `start`.
    fn root(&mut self, start: usize, len: usize) -> Digest {
        if len == 1 {
            return leaf_hash(self.leaves[start].as_bytes());
        }
        if let Some(known) = self.roots.get(&(start, len)) {
            return *known;
        }
        let k = largest_power_of_two_below(len);
        let left = self.root(start, k);
        let right = self.root(start + k, len - k);
        let root = node_hash(&left, &right);
        self.roots.insert((start, len), root);
        root
    }
}

/// Recomputes the root from a leaf, its index, the tree size and an audit path (RFC 9162 §2.1.3.2).
pub fn root_from_inclusion_proof(record_hash: &Digest, index: u64, size: u64, proof: &[Digest]) -> Option<Digest> {
    if index >= size {
        return None;
    }
    let (mut fi, mut sn) = (index, size - 1);
    let mut r = leaf_hash(record_hash.as_bytes());
    for p in proof {
        if sn == 0 {
            return None;
        }
        if fi & 1 == 1 || fi == sn {
            r = node_hash(p, &r);
            if fi & 1 == 0 {
                while fi & 1 == 0 && fi != 0 {
                    fi >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fi >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(r)
}

fn largest_power_of_two_below(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sha256;

    /// Reference MTH straight from RFC 6962 §2.1, recursive.
    fn mth(leaves: &[Digest]) -> Digest {
        match leaves.len() {
            0 => sha256(b""),
            1 => leaf_hash(leaves[0].as_bytes()),
            n => {
                let k = largest_power_of_two_below(n);
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn frontier_root_matches_recursive_definition() {
        let leaves: Vec<Digest> = (0..70u32).map(|i| sha256(&i.to_be_bytes())).collect();
        let mut f = Frontier::default();
        assert_eq!(f.root(), sha256(b""));
        for (i, l) in leaves.iter().enumerate() {
            f.push(l);
            assert_eq!(f.root(), mth(&leaves[..=i]), "size {}", i + 1);
            assert!(f.nodes.len() <= 7);
        }
    }

    #[test]
    fn rfc6962_empty_and_single_leaf_vectors() {
        assert_eq!(
            Frontier::default().root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // RFC 6962 test vector: leaf "" hashes to 6e340b9c...
        assert_eq!(
            leaf_hash(b"").to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn one_prover_gives_every_leaf_a_verifying_path_for_every_tree_size() {
        for n in 1..40u64 {
            let leaves: Vec<Digest> = (0..n).map(|i| sha256(&i.to_be_bytes())).collect();
            let root = mth(&leaves);
            let mut prover = Prover::new(&leaves);
            for i in (0..leaves.len()).rev() {
                let proof = prover.proof(i);
                assert_eq!(
                    root_from_inclusion_proof(&leaves[i], i as u64, n, &proof),
                    Some(root),
                    "n {n} leaf {i}"
                );
                assert_eq!(
                    proof,
                    inclusion_proof(&leaves, i),
                    "a shared prover gives the same path"
                );
            }
            assert!(prover.proof(leaves.len()).is_empty());
        }
    }

    #[test]
    fn inclusion_proofs_verify_for_every_leaf_and_fail_when_altered() {
        let leaves: Vec<Digest> = (0..13u32).map(|i| sha256(&i.to_be_bytes())).collect();
        let root = mth(&leaves);
        for i in 0..leaves.len() {
            let proof = inclusion_proof(&leaves, i);
            assert_eq!(root_from_inclusion_proof(&leaves[i], i as u64, 13, &proof), Some(root));
            let other = sha256(b"other");
            assert_ne!(root_from_inclusion_proof(&other, i as u64, 13, &proof), Some(root));
        }
    }
}
