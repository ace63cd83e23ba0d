"""Product recommendations by item-to-item co-purchase, apart from the ORM.

Item-to-item collaborative filtering (Sarwar, Karypis, Konstan and Riedl, "Item-based
collaborative filtering recommendation algorithms", WWW 2001; Linden, Smith and York,
"Amazon.com recommendations: item-to-item collaborative filtering", IEEE Internet
Computing 7(1), 2003): two products are similar when the same customers buy both.

* ``bought``: customers x products, sparse (CSR), 1 where the customer bought the
  product (on at least one invoice day, net of credit notes), else 0.
* ``regular``: same shape, 1 where the customer bought it on two or more distinct
  invoice days. Regular products are never recommended (the customer orders them
  anyway); a product bought once may be offered again.
* The similarity of products i and j is the cosine of their columns of ``bought``:
  ``co(i, j) / sqrt(n_i * n_j)`` with ``co`` the number of customers who bought both
  and ``n`` the number who bought each; the diagonal is zero. Unitless, in [0, 1].
* The score of a candidate product for a customer is the sum of its similarities to
  the products the customer bought (unitless, up to the number of products bought).
  Products with a score of 0 (never bought with anything the customer bought) are not
  recommended. Each recommendation names the bought product contributing most to its
  score ("because you bought X").
* Ties are broken by the lower product index (the callers index products by id), so
  results are deterministic.

Scores are computed by chunks of customers, a dense chunk of at most ``CHUNK_CELLS``
cells, to bound memory whatever the number of customers.
"""

import numpy as np
from scipy import sparse

CHUNK_CELLS = 2_000_000
# the grade: A at 1.5 times the baseline's hit rate, B at 1.1 times, else C; C also
# when fewer customers than this could be evaluated
GRADE_A_LIFT = 1.5
GRADE_B_LIFT = 1.1
MIN_EVALUATED = 20


def purchase_matrices(customers, products, days, shape):
    """``(bought, regular)`` CSR boolean matrices of ``shape`` from the parallel arrays
    ``customers`` (row index), ``products`` (column index) and ``days`` (distinct
    invoice days on which the customer bought the product, net of refunds)."""
    customers = np.asarray(customers, dtype=np.int64)
    products = np.asarray(products, dtype=np.int64)
    days = np.asarray(days, dtype=np.int64)

    def matrix(mask):
        return sparse.csr_matrix(
            (np.ones(int(mask.sum()), dtype=bool), (customers[mask], products[mask])),
            shape=shape,
        )

    return matrix(days >= 1), matrix(days >= 2)


def item_similarity(bought):
    """``(similarity, co_customers)``: products x products CSR matrices, the cosine
    similarity of the products' purchase columns (diagonal zero) and the number of
    customers who bought both."""
    b = sparse.csr_matrix(bought, dtype=np.float64)
    co = (b.T @ b).tocoo()
    off = co.row != co.col
    row, col, count = co.row[off], co.col[off], co.data[off]
    buyers = np.asarray(b.sum(axis=0)).ravel()
    norm = np.zeros_like(buyers)
    norm[buyers > 0] = 1.0 / np.sqrt(buyers[buyers > 0])
    shape = (b.shape[1], b.shape[1])
    similarity = sparse.csr_matrix(
        (count * norm[row] * norm[col], (row, col)), shape=shape
    )
    co_customers = sparse.csr_matrix((count.astype(np.int64), (row, col)), shape=shape)
    return similarity, co_customers


def _chunks(rows, n_products, chunk_cells):
    size = max(1, chunk_cells // max(n_products, 1))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _top_k(scores, k):
    """The ``k`` best positive cells of each row of the dense ``scores``: arrays
    ``(row, col, score, rank)``, rank 1 first, ties to the lower column."""
    n_products = scores.shape[1]
    if k < n_products:
        kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
        mask = (scores >= kth) & (scores > 0)
    else:
        mask = scores > 0
    row, col = np.nonzero(mask)
    value = scores[row, col]
    order = np.lexsort((col, -value, row))
    row, col, value = row[order], col[order], value[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row, side="left")
    keep = rank < k
    return row[keep], col[keep], value[keep], rank[keep] + 1


def _because(bought_part, similarity, row, col):
    """For each recommendation (``row`` of ``bought_part``, product ``col``), the
    bought product most similar to it (ties to the lower index)."""
    if not len(row):
        return np.zeros(0, dtype=np.int64)
    indptr = bought_part.indptr
    counts = indptr[row + 1] - indptr[row]
    pair = np.repeat(np.arange(len(row)), counts)
    first = np.repeat(indptr[row] - np.cumsum(counts) + counts, counts)
    items = bought_part.indices[first + np.arange(counts.sum())].astype(np.int64)
    sims = np.asarray(similarity[items, col[pair]]).ravel()
    order = np.lexsort((items, -sims, pair))
    pair, items = pair[order], items[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    return items[starts]


def recommend(
    bought, regular, similarity, co_customers, k=5, rows=None, chunk_cells=CHUNK_CELLS
):
    """The ``k`` best products for each customer row in ``rows`` (all by default).

    Returns parallel arrays: ``customer`` (row index), ``rank`` (1 = best),
    ``product``, ``score``, ``because`` (the bought product contributing most) and
    ``co_customers`` (customers who bought both ``because`` and ``product``), ordered
    by customer then rank. A customer may get fewer than ``k``, or none.
    """
    n_customers, n_products = bought.shape
    rows = np.arange(n_customers) if rows is None else np.asarray(rows, np.int64)
    bought = sparse.csr_matrix(bought, dtype=np.float64)
    regular = sparse.csr_matrix(regular, dtype=bool)
    out = {name: [] for name in ("customer", "rank", "product", "score", "because")}
    for part in _chunks(rows, n_products, chunk_cells):
        bought_part = bought[part]
        scores = np.asarray((bought_part @ similarity).todense())
        # sums of the same cosines in another order differ in the last bits: rounded,
        # equal scores tie exactly and the lower product wins
        np.round(scores, 12, out=scores)
        excluded = regular[part].tocoo()
        scores[excluded.row, excluded.col] = 0.0
        row, col, value, rank = _top_k(scores, min(k, n_products))
        out["customer"].append(part[row])
        out["rank"].append(rank)
        out["product"].append(col)
        out["score"].append(value)
        out["because"].append(_because(bought_part, similarity, row, col))
    result = {
        name: np.concatenate(values) if values else np.zeros(0, dtype=np.int64)
        for name, values in out.items()
    }
    result["co_customers"] = (
        np.asarray(co_customers[result["because"], result["product"]])
        .ravel()
        .astype(np.int64)
        if len(result["product"])
        else np.zeros(0, dtype=np.int64)
    )
    return result


def as_table(result, rows, k):
    """``recommend``'s arrays as a ``len(rows) x k`` table of product indices, best
    first, -1 where a customer has fewer recommendations."""
    rows = np.asarray(rows, np.int64)
    table = np.full((len(rows), k), -1, dtype=np.int64)
    position = np.searchsorted(rows, result["customer"])
    table[position, result["rank"] - 1] = result["product"]
    return table


def most_popular(bought, regular, k=5, rows=None, chunk_cells=CHUNK_CELLS):
    """The baseline: the ``k`` products bought by the most customers, the customer's
    regular products excluded as in ``recommend``. A ``len(rows) x k`` table of
    product indices (-1 padding), ties to the lower index."""
    n_customers, n_products = bought.shape
    rows = np.arange(n_customers) if rows is None else np.asarray(rows, np.int64)
    regular = sparse.csr_matrix(regular, dtype=bool)
    buyers = np.asarray(sparse.csr_matrix(bought, dtype=np.float64).sum(axis=0))
    buyers = buyers.ravel()
    order = np.lexsort((np.arange(n_products), -buyers))
    order = order[buyers[order] > 0]
    table = np.full((len(rows), k), -1, dtype=np.int64)
    done = 0
    for part in _chunks(rows, k + 1, chunk_cells):
        reg = regular[part]
        width = min(len(order), k + int(np.diff(reg.indptr).max(initial=0)))
        candidates = order[:width]
        allowed = ~reg[:, candidates].toarray()
        position = np.cumsum(allowed, axis=1)
        row, col = np.nonzero(allowed & (position <= k))
        table[done + row, position[row, col] - 1] = candidates[col]
        done += len(part)
    return table


def hit_rate_at_k(table, relevant):
    """``(hits, customers)``: the customers (rows of ``table``, aligned with the rows
    of the CSR matrix ``relevant``) with at least one of their recommended products
    (``table``, -1 padding) among their relevant ones."""
    table = np.asarray(table, np.int64)
    n, k = table.shape
    if not n:
        return 0, 0
    row = np.repeat(np.arange(n), k)
    col = table.ravel()
    valid = col >= 0
    hit = np.zeros(n * k, dtype=bool)
    hit[valid] = np.asarray(relevant[row[valid], col[valid]]).ravel() > 0
    return int(hit.reshape(n, k).any(axis=1).sum()), n


def evaluate(train_days, test_days, k=5):
    """Grade the recommender on a hold-out.

    ``train_days`` and ``test_days``: customers x products CSR matrices of the
    distinct invoice days of each purchase before and from the cut-off. The model is
    fitted on the purchases before the cut-off; the customers evaluated are those who
    bought before the cut-off and bought, from it, at least one product they did not
    buy regularly before. A hit: one of the customer's ``k`` recommendations is such a
    product. The baseline is ``most_popular`` with the same exclusion.
    """
    train_days = sparse.csr_matrix(train_days)
    test_days = sparse.csr_matrix(test_days)
    bought = train_days >= 1
    regular = train_days >= 2
    later = (test_days >= 1).astype(np.int8)
    relevant = later - later.multiply(regular.astype(np.int8))
    relevant = sparse.csr_matrix(relevant > 0)
    has_history = np.diff(sparse.csr_matrix(bought).indptr) > 0
    has_target = np.diff(relevant.indptr) > 0
    rows = np.flatnonzero(has_history & has_target)
    similarity, co_customers = item_similarity(bought)
    model = as_table(
        recommend(bought, regular, similarity, co_customers, k=k, rows=rows), rows, k
    )
    baseline = most_popular(bought, regular, k=k, rows=rows)
    hits, evaluated = hit_rate_at_k(model, relevant[rows])
    baseline_hits, _n = hit_rate_at_k(baseline, relevant[rows])
    hit_rate = hits / evaluated if evaluated else 0.0
    baseline_rate = baseline_hits / evaluated if evaluated else 0.0
    return {
        "evaluated": evaluated,
        "hits": hits,
        "baseline_hits": baseline_hits,
        "hit_rate": hit_rate,
        "baseline_hit_rate": baseline_rate,
        "lift": hit_rate / baseline_rate if baseline_rate else 0.0,
        "grade": grade(hit_rate, baseline_rate, evaluated),
    }


#: below any difference two hit rates of fewer than a billion customers can show
TOLERANCE = 1e-9


def grade(hit_rate, baseline_hit_rate, evaluated):
    """A: hit rate at least 1.5 times the baseline's; B: at least 1.1 times; C
    otherwise, or when fewer than ``MIN_EVALUATED`` customers could be evaluated."""
    if evaluated < MIN_EVALUATED or hit_rate <= 0:
        return "C"
    # rates are ratios of counts: exactly 1.5 times must not fall short by a
    # rounding error (1.5 x 0.1 is 0.15000000000000002 in floating point)
    if hit_rate >= GRADE_A_LIFT * baseline_hit_rate - TOLERANCE:
        return "A"
    if hit_rate >= GRADE_B_LIFT * baseline_hit_rate - TOLERANCE:
        return "B"
    return "C"
