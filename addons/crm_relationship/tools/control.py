"""Deterministic control groups, apart from the ORM.

A control group is held back from an action (a mailing, a next action) so that the
action's effect can be measured against it. The split must be:

- exact: a share of 20 % of 100 customers holds back 20, not "about 20" as a coin
  toss per customer would;
- deterministic: the same seed and customers give the same group, so that a split can
  be recomputed and audited, and a customer's place does not depend on the order in
  which customers were listed;
- unrelated to anything the customer did: the order is an md5 hash of the seed and
  the customer's id, as good as random for this purpose.
"""

import hashlib


def control_size(share, count):
    """How many of ``count`` customers a ``share`` in per cent holds back:
    ``round(share * count / 100)``, half away from zero (Python's ``round`` rounds
    half to even, and 2.5 % of 100 customers would hold back 2 rather than 3)."""
    exact = share * count / 100.0
    return min(count, int(exact + 0.5))


def hash_order(seed, ids):
    """``ids`` in the order of md5(``seed``:``id``); ties (none in practice) by id."""
    return sorted(
        ids,
        key=lambda id_: (hashlib.md5(f"{seed}:{id_}".encode()).hexdigest(), id_),
    )


def split_control(ids, share, seed):
    """``(treated, control)``: two sorted lists that partition the distinct ``ids``,
    ``control`` of exactly ``control_size(share, len(ids))`` of them, the first in
    the hash order of ``seed``."""
    ids = sorted(set(ids))
    size = control_size(share, len(ids))
    control = set(hash_order(seed, ids)[:size])
    return [id_ for id_ in ids if id_ not in control], sorted(control)
