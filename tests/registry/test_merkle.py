"""The tree math of RFC 6962 against the Certificate Transparency / Trillian test vectors,
and against a naive recomputation for random sizes (property tests)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.ledger import merkle

# The CT reference leaves and the roots of their first 1..8 (transparency-dev/merkle
# testonly/constants.go: LeafInputs, RootHashes).
HEX_LEAVES = (
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)
LEAVES = [bytes.fromhex(h) for h in HEX_LEAVES]
ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
# Inclusion proofs (testonly/reference_test.go, TestRefInclusionProof): (index, size) → path.
INCLUSION = {
    (0, 1): [],
    (0, 2): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
    (1, 2): ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
# Consistency proofs (proof/verify_test.go, consistencyProofs): (first, second) → proof.
CONSISTENCY = {
    (1, 1): [],
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
# Roots of larger trees whose leaf i is the two bytes (i & 0xff, i >> 8 & 0xff)
# (compact/range_test.go, TestGetRootHashGolden), base64.
LARGER_ROOTS = {
    10: "VjWMPSYNtCuCNlF/RLnQy6HcwSk6CIipfxm+hettA+4=",
    15: "j4SulYmocFuxdeyp12xXCIgK6PekBcxzAIj4zbQzNEI=",
    16: "c+4Uc6BCMOZf/v3NZK1kqTUJe+bBoFtOhP+P3SayKRE=",
    100: "dUh9hYH88p0CMoHkdr1wC2szbhcLAXOejWpINIooKUY=",
    255: "SmdsuKUqiod3RX2jyF2M6JnbdE4QuTwwipfAowI4/i0=",
    256: "qFI0t/tZ1MdOYgyPpPzHFiZVw86koScXy9q3FU5casA=",
    1000: "RXrgb8xHd55Y48FbfotJwCbV82Kx22LZfEbmBGAvwlQ=",
    4095: "cWRFdQhPcjn9WyBXE/r1f04ejxIm5lvg40DEpRBVS0w=",
    4096: "6uU/phfHg1n/GksYT6TO9aN8EauMCCJRl3dIK0HDs2M=",
}


class Store:
    """Nodes as the log stores them: every complete aligned subtree, built by appending."""

    def __init__(self, leaf_hashes: list[bytes]):
        self.nodes: dict[merkle.Node, bytes] = {}
        self.reads: list[int] = []
        tree = merkle.CompactRange()
        for leaf in leaf_hashes:
            self.nodes.update(tree.append(leaf))
        self.root = tree.root()

    def read(self, keys: set[merkle.Node]) -> dict[merkle.Node, bytes]:
        self.reads.append(len(keys))
        return {key: self.nodes[key] for key in keys}


def hexes(hashes: list[bytes]) -> list[str]:
    return [value.hex() for value in hashes]


VECTOR_STORE = Store([merkle.leaf_hash(leaf) for leaf in LEAVES])


@pytest.mark.parametrize("size", sorted(ROOTS))
def test_roots_of_the_reference_leaves(size: int) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES[:size]]
    assert merkle.root_of_leaf_hashes(hashes).hex() == ROOTS[size]
    assert merkle.root_from(VECTOR_STORE.read, size).hex() == ROOTS[size]


def test_empty_tree_and_hashers() -> None:
    assert merkle.root_of_leaf_hashes([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert merkle.leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert merkle.node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize(("index", "size"), sorted(INCLUSION))
def test_inclusion_proofs_of_the_reference_leaves(index: int, size: int) -> None:
    proof = merkle.inclusion_proof(VECTOR_STORE.read, index, size)
    assert hexes(proof) == INCLUSION[(index, size)]
    root = bytes.fromhex(ROOTS[size])
    merkle.verify_inclusion(index, size, merkle.leaf_hash(LEAVES[index]), proof, root)


@pytest.mark.parametrize(("first", "second"), sorted(CONSISTENCY))
def test_consistency_proofs_of_the_reference_leaves(first: int, second: int) -> None:
    proof = merkle.consistency_proof(VECTOR_STORE.read, first, second)
    assert hexes(proof) == CONSISTENCY[(first, second)]
    merkle.verify_consistency(
        first, second, bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second]), proof
    )


@pytest.mark.parametrize("size", sorted(LARGER_ROOTS))
def test_roots_of_larger_trees(size: int) -> None:
    store = Store([merkle.leaf_hash(bytes([i & 0xFF, (i >> 8) & 0xFF])) for i in range(size)])
    expected = base64.b64decode(LARGER_ROOTS[size])
    assert store.root == expected
    assert merkle.root_from(store.read, size) == expected


def test_proofs_fail_when_anything_is_changed() -> None:
    root = bytes.fromhex(ROOTS[8])
    leaf = merkle.leaf_hash(LEAVES[5])
    proof = [bytes.fromhex(h) for h in INCLUSION[(5, 8)]]
    bad_cases = [
        (4, 8, leaf, proof, root),
        (6, 8, leaf, proof, root),
        (5 ^ 2, 8, leaf, proof, root),
        (5, 16, leaf, proof, root),
        (5, 4, leaf, proof, root),
        (5, 8, merkle.leaf_hash(b"other"), proof, root),
        (5, 8, leaf, proof[:-1], root),
        (5, 8, leaf, [*proof, root], root),
        (5, 8, leaf, [bytes([proof[0][0] ^ 8]) + proof[0][1:], *proof[1:]], root),
        (5, 8, leaf, proof, merkle.EMPTY_ROOT),
    ]
    for case in bad_cases:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(*case)
    consistency = [bytes.fromhex(h) for h in CONSISTENCY[(6, 8)]]
    first_root = bytes.fromhex(ROOTS[6])
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(6, 8, bytes.fromhex(ROOTS[5]), root, consistency)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(6, 8, first_root, root, consistency[:-1])
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(5, 8, first_root, root, consistency)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(6, 8, first_root, root, [])


# --- properties against a naive recomputation --------------------------------------------------


def naive_path(index: int, hashes: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) straight from RFC 6962 §2.1.1."""
    if len(hashes) == 1:
        return []
    k = merkle.split_point(len(hashes))
    if index < k:
        return [*naive_path(index, hashes[:k]), merkle.root_of_leaf_hashes(hashes[k:])]
    return [*naive_path(index - k, hashes[k:]), merkle.root_of_leaf_hashes(hashes[:k])]


def naive_subproof(m: int, hashes: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) straight from RFC 6962 §2.1.2."""
    n = len(hashes)
    if m == n:
        return [] if whole else [merkle.root_of_leaf_hashes(hashes)]
    k = merkle.split_point(n)
    if m <= k:
        return [*naive_subproof(m, hashes[:k], whole), merkle.root_of_leaf_hashes(hashes[k:])]
    return [*naive_subproof(m - k, hashes[k:], False), merkle.root_of_leaf_hashes(hashes[:k])]


def leaves_of(size: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_inclusion_matches_the_rfc_definition(size: int, data) -> None:
    hashes = leaves_of(size)
    store = Store(hashes)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = merkle.inclusion_proof(store.read, index, size)
    assert proof == naive_path(index, hashes)
    root = merkle.root_of_leaf_hashes(hashes)
    assert store.root == root == merkle.root_from(store.read, size)
    merkle.verify_inclusion(index, size, hashes[index], proof, root)
    # O(log n) reads: one batch, of at most two nodes per proof element.
    assert max(store.reads) <= 2 * max(1, size.bit_length())


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_consistency_matches_the_rfc_definition(second: int, data) -> None:
    hashes = leaves_of(second)
    store = Store(hashes)
    first = data.draw(st.integers(min_value=1, max_value=second))
    proof = merkle.consistency_proof(store.read, first, second)
    assert proof == (naive_subproof(first, hashes, True) if first < second else [])
    merkle.verify_consistency(
        first,
        second,
        merkle.root_of_leaf_hashes(hashes[:first]),
        merkle.root_of_leaf_hashes(hashes),
        proof,
    )


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=70))
def test_appending_in_batches_stores_the_same_nodes(size: int, batch: int) -> None:
    hashes = leaves_of(size + batch)
    complete = Store(hashes).nodes
    frontier = {node: complete[node] for node in merkle.frontier_nodes(size)}
    created = merkle.appended_nodes(size, frontier, hashes[size:])
    assert created == {
        node: value for node, value in complete.items() if (node[1] + 1) << node[0] > size
    }
