"""The Merkle tree of the event log agrees with Certificate Transparency (RFC 6962 / RFC 9162).

Reference leaves, roots and proofs are the published CT test vectors (also in transparency-dev's
merkle testonly package); larger trees are checked against an independent recomputation (the
recursive definition versus the sequencer's incremental right edge) and every mangled proof
must be refused.
"""

from __future__ import annotations

import hashlib

import pytest

from exam_server.events import merkle

LEAVES = [bytes.fromhex(h) for h in
          ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
H = {  # proof nodes of the reference vectors
    "96a2": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f08": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "bc1a": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca85": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37e": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "0ebc": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
}
INCLUSION = [(0, 8, ["96a2", "5f08", "6b47"]), (5, 8, ["bc1a", "ca85", "d37e"])]
CONSISTENCY = [(2, 8, ["5f08", "6b47"]), (6, 8, ["0ebc", "ca85", "d37e"]), (2, 5, ["5f08", "bc1a"])]
LEAF_HASHES = [merkle.leaf_hash(d) for d in LEAVES]


def test_roots_match_the_reference_for_every_size() -> None:
    for n in range(len(LEAVES) + 1):
        assert merkle.root(LEAF_HASHES[:n]).hex() == ROOTS[n]
        frontier = merkle.Frontier()
        for leaf in LEAF_HASHES[:n]:
            frontier.append(leaf)
        assert frontier.root().hex() == ROOTS[n]
        # the stored right edge reloads to the same tree
        assert merkle.Frontier(n, frontier.hashes()).root().hex() == ROOTS[n]


@pytest.mark.parametrize("index,size,proof", INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    expected = [bytes.fromhex(H[p]) for p in proof]
    assert merkle.inclusion_proof(LEAF_HASHES[:size], index) == expected
    assert merkle.verify_inclusion(LEAF_HASHES[index], index, size, expected, bytes.fromhex(ROOTS[size]))
    assert not merkle.verify_inclusion(LEAF_HASHES[index], index ^ 1, size, expected, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize("old,new,proof", CONSISTENCY)
def test_reference_consistency_proofs(old: int, new: int, proof: list[str]) -> None:
    expected = [bytes.fromhex(H[p]) for p in proof]
    assert merkle.consistency_proof(LEAF_HASHES[:new], old) == expected
    assert merkle.verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), expected)
    assert not merkle.verify_consistency(old, new, bytes.fromhex(ROOTS[old + 1]), bytes.fromhex(ROOTS[new]), expected)


def _independent_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1 written out again, level by level, without the module's helpers."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _independent_root(leaves[:k]) + _independent_root(leaves[k:])).digest()


def test_every_proof_of_larger_trees_verifies_and_mangled_ones_do_not() -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(40)]
    roots = [_independent_root(leaves[:n]) for n in range(len(leaves) + 1)]
    frontier = merkle.Frontier()
    for n in range(1, len(leaves) + 1):
        frontier.append(leaves[n - 1])
        assert frontier.root() == roots[n] == merkle.root(leaves[:n])
        for i in range(n):
            proof = merkle.inclusion_proof(leaves[:n], i)
            assert merkle.verify_inclusion(leaves[i], i, n, proof, roots[n])
            if proof:
                bad = [*proof[:-1], bytes(32)]
                assert not merkle.verify_inclusion(leaves[i], i, n, bad, roots[n])
                assert not merkle.verify_inclusion(leaves[i], i, n, proof[:-1], roots[n])
                assert not merkle.verify_inclusion(leaves[i], i, n, [*proof, bytes(32)], roots[n])
        for m in range(0, n + 1):
            proof = merkle.consistency_proof(leaves[:n], m)
            assert merkle.verify_consistency(m, n, roots[m], roots[n], proof), (m, n)
            if 0 < m < n:
                assert not merkle.verify_consistency(m, n, roots[m], roots[n], proof[:-1])
                assert not merkle.verify_consistency(m, n, roots[m], roots[n - 1] if n - 1 > m else bytes(32), proof)
                assert not merkle.verify_consistency(m, n, bytes(32), roots[n], proof)


def test_a_frontier_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="5 leaves has 2 edge nodes"):
        merkle.Frontier(5, [bytes(32)])
