"""Reviews: the customer rates a finished order once; the ratings of the worker and service follow.

One TransactWriteItems does it all, so a review never exists without its ratings counted:

1. a condition check on the order (still ``finished``/``completed``, still this customer's and
   this worker's);
2. the review, put with "must not exist" (``ORDER#<id> / REVIEW``): the second review of an
   order fails here, 409 ``already_reviewed``, however close together the two arrive;
3. ``ADD`` to the worker profile's ``rating_count`` and the three aspect sums;
4. ``ADD`` to the service's ``rating_count``, ``rating_sum`` and ``rating_points_sum``.

``ADD`` is applied by DynamoDB on the stored value, so concurrent reviews of one worker never
lose an update (no read-modify-write anywhere). Transactions that meet on the worker's profile
at the same instant are cancelled with ``TransactionConflict`` and simply retried
(:mod:`chalicelib.orders.transactions`).

The service keeps averages as sums (the catalog computes ``rating = rating_sum / rating_count``).
A review's stars for the service are the mean of its three aspects, which is not always a whole
number: ``rating_sum`` gets it rounded to 4 decimals (good for the 2 decimals shown), and the exact
integer total of the three aspects goes to ``rating_points_sum`` (``rating_points_sum / (3 *
rating_count)`` is the exact average, for the catalog to switch to).

After the commit the worker's level and search entries are refreshed; a failure there is logged
and counted, never an error: the review stands, and the next refresh catches up.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import clock, i18n
from chalicelib.accounts.users import get_user
from chalicelib.errors import Conflict, NotFound, RateLimited
from chalicelib.ids import new_id
from chalicelib.models.catalog import ServiceItem
from chalicelib.models.orders import OrderItem, ReviewItem
from chalicelib.models.workers import WorkerProfileItem
from chalicelib.observability import logger, metrics
from chalicelib.orders.access import order_for
from chalicelib.orders.transactions import commit, reasons
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.workers.profile import is_verified, refresh_level
from chalicelib.workers.search import mask_name
from chalicelib.workers.search_index import refresh_search_entries

__all__ = ["REVIEWABLE", "ReviewView", "list_reviews", "submit_review"]

REVIEWABLE = frozenset({"finished", "completed"})
ANONYMOUS = "匿名用户"
# Not in ServiceItem (catalog's module): an attribute of its own, written only with ADD here.
RATING_POINTS_SUM = NumberAttribute(attr_name="rating_points_sum")

i18n.register(
    {
        "order_not_reviewable": {
            "zh-CN": "订单当前状态（{status}）不能评价",
            "en": "An order that is {status} cannot be reviewed.",
        },
        "already_reviewed": {"zh-CN": "该订单已评价", "en": "This order has already been reviewed."},
        "review_busy": {"zh-CN": "评价提交繁忙，请稍后重试", "en": "Too many reviews at once; try again."},
        "review_unavailable": {
            "zh-CN": "暂时无法评价该订单",
            "en": "This order cannot be reviewed right now.",
        },
    }
)


@dataclass(frozen=True)
class ReviewView:
    """A review as anyone may see it: the reviewer only as a masked name."""

    review_id: str
    order_id: str
    worker_id: str
    quality: int
    attitude: int
    skill: int
    comment: str | None
    created_at: str
    reviewer: str


def _view(item: ReviewItem) -> ReviewView:
    return ReviewView(
        review_id=item.review_id,
        order_id=item.order_id,
        worker_id=item.worker_id,
        quality=int(item.quality),
        attitude=int(item.attitude),
        skill=int(item.skill),
        comment=item.comment,
        created_at=item.created_at,
        reviewer=item.reviewer_name,
    )


def reviews_partition(worker_id: str) -> str:
    return f"WORKER#{worker_id}#REVIEWS"


def submit_review(
    order_id: str,
    user_id: str,
    role: str,
    *,
    quality: int,
    attitude: int,
    skill: int,
    comment: str | None,
) -> ReviewView:
    """Review the caller's finished order once; 404 if not theirs, 409 on status or a second try."""
    access = order_for(order_id, user_id, role)
    order = access.order
    if access.party != "customer":
        raise NotFound()
    if order.status not in REVIEWABLE or not order.worker_id:
        raise Conflict("order_not_reviewable", status=order.status)
    worker_id = order.worker_id
    now = clock.iso()
    pk, _ = OrderItem.key(order_id)
    item = ReviewItem(
        pk,
        "REVIEW",
        review_id=new_id("rev"),
        order_id=order_id,
        worker_id=worker_id,
        service_id=order.service_id,
        customer_id=user_id,
        reviewer_name=mask_name(get_user(user_id).name) or ANONYMOUS,
        quality=quality,
        attitude=attitude,
        skill=skill,
        comment=comment or None,
        created_at=now,
        gsi1pk=reviews_partition(worker_id),
        gsi1sk=f"{now}#{order_id}",
    )
    total = quality + attitude + skill
    unchanged = (
        OrderItem.status.is_in(*REVIEWABLE)
        & (OrderItem.customer_id == user_id)
        & (OrderItem.worker_id == worker_id)
    )

    def build(transaction: TransactWrite) -> None:
        transaction.condition_check(OrderItem, *OrderItem.key(order_id), condition=unchanged)
        transaction.save(item, condition=ReviewItem.pk.does_not_exist())
        transaction.update(
            WorkerProfileItem(*WorkerProfileItem.key(worker_id)),
            actions=[
                WorkerProfileItem.rating_count.add(1),
                WorkerProfileItem.rating_quality_sum.add(quality),
                WorkerProfileItem.rating_attitude_sum.add(attitude),
                WorkerProfileItem.rating_skill_sum.add(skill),
            ],
            condition=WorkerProfileItem.pk.exists(),
        )
        transaction.update(
            ServiceItem(*ServiceItem.key(order.service_id)),
            actions=[
                ServiceItem.rating_count.add(1),
                ServiceItem.rating_sum.add(round(total / 3, 4)),
                RATING_POINTS_SUM.add(total),
            ],
            condition=ServiceItem.pk.exists(),
        )

    try:
        commit(build)
    except TransactWriteError as error:
        _explain(error, item, user_id, role)
    metrics.add_metric(name="ReviewsSubmitted", unit="Count", value=1)
    logger.info("review submitted", order_id=order_id, worker_id=worker_id, review_id=item.review_id)
    _refresh_worker(worker_id)
    return _view(item)


def _explain(error: TransactWriteError, item: ReviewItem, user_id: str, role: str) -> None:
    """Turn a cancelled review transaction into the contract's answer (reasons follow pynamodb's
    send order: the order check, the review put, the profile update, the service update)."""
    codes = reasons(error) + [None] * 4
    if codes[0] == "ConditionalCheckFailed":
        current = order_for(item.order_id, user_id, role, consistent=True).order  # 404 if no longer theirs
        raise Conflict("order_not_reviewable", status=current.status) from error
    if codes[1] == "ConditionalCheckFailed":
        stored = ReviewItem.get(item.pk, item.sk, consistent_read=True)
        if stored.review_id != item.review_id:  # ours would mean a retried request that had committed
            raise Conflict("already_reviewed") from error
        return
    if "ConditionalCheckFailed" in codes[2:4]:
        logger.error("review target missing", order_id=item.order_id, reasons=codes[2:4])
        raise Conflict("review_unavailable") from error
    if "TransactionConflict" in codes:  # still contended after every retry: nothing was written
        raise RateLimited("review_busy", retry_after=1) from error
    raise error


def _refresh_worker(worker_id: str) -> None:
    """Level and search entries follow the new ratings; failures never undo the review."""
    for step in (refresh_level, refresh_search_entries):
        try:
            step(worker_id)
        except Exception:
            logger.exception("post-review step failed", step=step.__name__, worker_id=worker_id)
            metrics.add_metric(name="PostReviewFailures", unit="Count", value=1)


def list_reviews(worker_id: str, *, limit: int, cursor: str | None) -> tuple[list[ReviewView], str | None]:
    """A verified worker's reviews, newest first (one Query of gsi1); 404 for anyone else."""
    if not is_verified(worker_id):
        raise NotFound()
    scope = f"reviews:{worker_id}"
    results = ReviewItem.gsi1.query(
        reviews_partition(worker_id),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    views = [_view(item) for item in results]
    return views, encode_cursor(scope, results.last_evaluated_key)
