"""Merkle tree math of RFC 6962 §2.1 and the proof verifiers of RFC 9162 §2.1.3-2.1.4.

Pure functions over bytes and integers, with no Django import, so the evidence log,
``verify_ledger`` and the tests share them (the standalone client keeps its own copy of
the verifiers, so that it has no dependency on this repository).

Storage model. Every complete, aligned subtree is a *node* ``(level, index)``: it covers
the leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 is a leaf hash. Any
range the RFC's recursion visits is a sequence of at most ``log2(n)`` such nodes, so the
root of any size and every proof element is at most ``log2(n)`` node reads away.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # [start, end) of leaf indexes


class ProofError(ValueError):
    """A proof that does not verify, or arguments no proof can exist for."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` >= 2)."""
    if n < 2:
        raise ValueError("a split needs at least two leaves")
    return 1 << ((n - 1).bit_length() - 1)


# --- reference computation (small trees, tests) -------------------------------------------


def root_of_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, by the RFC's recursive definition (for tests and small trees)."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = split_point(len(hashes))
    return node_hash(root_of_leaf_hashes(hashes[:k]), root_of_leaf_hashes(hashes[k:]))


# --- which nodes make up a range -----------------------------------------------------------


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete aligned subtrees of ``[start, end)``, left to right, largest first.

    Valid for every range the RFC 6962 recursion produces: ``start`` is a multiple of a
    power of two at least as large as the range, so the range splits by the bits of its
    size, highest first, exactly as the recursion does.
    """
    nodes: list[Node] = []
    position, remaining = start, end - start
    while remaining:
        level = remaining.bit_length() - 1
        nodes.append((level, position >> level))
        position += 1 << level
        remaining -= 1 << level
    return nodes


def fold_range(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from its ``range_nodes`` hashes: right to left, as the RFC splits."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose hashes form PATH(index, D[0:size]) (RFC 6962 §2.1.1), leaf first."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return list(reversed(ranges))


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The subtrees whose hashes form PROOF(first, D[0:second]) (RFC 6962 §2.1.2)."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first == second:
        return []
    ranges: list[Range] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        ranges.append((start, end))
    return list(reversed(ranges))


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    return {node for start, end in ranges for node in range_nodes(start, end)}


def hashes_of(ranges: Sequence[Range], nodes: Mapping[Node, bytes]) -> list[bytes]:
    """Each range's hash, from the node hashes ``nodes_for(ranges)`` read from storage."""
    return [fold_range([nodes[node] for node in range_nodes(s, e)]) for s, e in ranges]


NodeReader = Callable[[set[Node]], Mapping[Node, bytes]]


def root_from(read: NodeReader, size: int) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    return hashes_of([(0, size)], read(nodes_for([(0, size)])))[0]


def inclusion_proof(read: NodeReader, index: int, size: int) -> list[bytes]:
    ranges = inclusion_ranges(index, size)
    return hashes_of(ranges, read(nodes_for(ranges)))


def consistency_proof(read: NodeReader, first: int, second: int) -> list[bytes]:
    ranges = consistency_ranges(first, second)
    return hashes_of(ranges, read(nodes_for(ranges)))


# --- appending ----------------------------------------------------------------------------


def frontier_nodes(size: int) -> list[Node]:
    """The right edge of a tree of ``size`` leaves: the nodes new leaves are hashed onto."""
    return range_nodes(0, size)


def appended_nodes(
    size: int, frontier: Mapping[Node, bytes], new_leaves: Sequence[bytes]
) -> dict[Node, bytes]:
    """Every node completed by appending ``new_leaves`` to a tree of ``size`` leaves.

    ``frontier`` holds the hashes of ``frontier_nodes(size)``. The result includes the
    new leaves themselves (level 0) and every new complete subtree above them.
    """
    known = dict(frontier)
    created: dict[Node, bytes] = {}
    for offset, leaf in enumerate(new_leaves):
        level, index, value = 0, size + offset, leaf
        created[(0, index)] = known[(0, index)] = value
        while index % 2 == 1:
            value = node_hash(known[(level, index - 1)], value)
            level, index = level + 1, index // 2
            created[(level, index)] = known[(level, index)] = value
    return created


class CompactRange:
    """A running tree over a stream of leaves, holding only its right edge (for verifiers)."""

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []  # (level, hash), lowest level last

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add a leaf; return the nodes it completes, as ``((level, index), hash)``."""
        completed = [((0, self.size), leaf)]
        level, value, index = 0, leaf, self.size
        while self.stack and self.stack[-1][0] == level:
            _, left = self.stack.pop()
            value = node_hash(left, value)
            level, index = level + 1, index // 2
            completed.append(((level, index), value))
        self.stack.append((level, value))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        return fold_range([value for _, value in self.stack])


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) -------------------------------------------


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2); raises on a malformed one."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    fn, sn, result = index, size - 1, leaf
    for element in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn % 2 == 1 or fn == sn:
            result = node_hash(element, result)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, element)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    return result


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"entry {index} is not included in the tree of size {size}")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2: the tree of ``first`` leaves is a prefix of that of ``second``."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency between sizes {first} and {second}")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError(f"two different roots for the same size {first}")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root starts the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for element in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(element, fr), node_hash(element, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, element)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != first_root or sr != second_root:
        raise ProofError(f"the tree of size {first} is not a prefix of the tree of size {second}")
