"""Fire EventBridge Scheduler schedules and schedule rules by the local clock.

moto stores schedules and rules but never fires them, and the local clock (``chalicelib.clock``,
moved by ``POST /v1/dev/clock``) runs ahead of the system clock anyway. Each tick lists them,
delivers what is due to the target and remembers what it fired:

* ``at()`` schedules fire once when their time (in ``ScheduleExpressionTimezone``) has come; then
  they are deleted if ``ActionAfterCompletion`` is ``DELETE``.
* ``rate()``/``cron()`` schedules and rules are anchored when first seen and fire at most once per
  tick: after a jump of the clock the missed occurrences collapse into one, which keeps a
  week-long jump from replaying a week of nightly jobs.

The memory of what fired lives in an optional JSON file so that a reload of the runner neither
refires an ``at()`` schedule nor loses a cadence.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.resources import SCHEDULED_TIME
from local.schedule_expr import parse_at, parse_recurring
from local.targets import deliver

__all__ = ["ScheduleFirer"]


class ScheduleFirer:
    """Lists Scheduler schedules and bus rules each :meth:`tick` and fires the due ones."""

    def __init__(
        self,
        clients: Callable[[str], Any],
        buses: Sequence[str],
        now: Callable[[], datetime],
        *,
        state_file: Path | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.clients = clients
        self.buses = list(buses)
        self.now = now
        self.state_file = state_file
        self.log = log
        self.fired: set[str] = set()
        self.last: dict[str, datetime] = {}
        self._details: dict[str, dict[str, Any]] = {}
        self._reported: set[str] = set()
        self._load()

    # -- state ---------------------------------------------------------------------------------

    def _load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        state = json.loads(self.state_file.read_text(encoding="utf-8"))
        self.fired = set(state.get("fired", []))
        self.last = {key: datetime.fromisoformat(value) for key, value in state.get("last", {}).items()}

    def _save(self) -> None:
        if self.state_file is None:
            return
        state = {
            "fired": sorted(self.fired),
            "last": {key: value.isoformat() for key, value in self.last.items()},
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self.state_file)

    # -- ticking -------------------------------------------------------------------------------

    def tick(self) -> list[str]:
        """Fire everything due now; return one description per delivery."""
        now = self.now()
        before = (set(self.fired), dict(self.last))
        seen: set[str] = set()
        done = self._tick_scheduler(now, seen) + self._tick_rules(now, seen)
        # Forget what no longer exists (deleted schedules, a restarted moto).
        self.fired &= seen
        self.last = {key: value for key, value in self.last.items() if key in seen}
        self._details = {key: value for key, value in self._details.items() if key in seen}
        if (self.fired, self.last) != before:
            self._save()
        return done

    def _report_once(self, key: str, message: str) -> None:
        if key not in self._reported:
            self._reported.add(key)
            self.log(message)

    def _deliver(self, key: str, label: str, target: dict[str, Any], payload: str) -> str | None:
        try:
            outcome = deliver(target, payload, self.clients)
        except Exception as error:  # one bad target must not stop the others
            self._report_once(key, f"{label}: delivery FAILED, not retried: {type(error).__name__}: {error}")
            return None
        self.log(f"{label} -> {outcome}")
        return f"{label} -> {outcome}"

    def _schedule_summaries(self) -> list[dict[str, Any]]:
        scheduler = self.clients("scheduler")
        summaries: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        while True:
            page = scheduler.list_schedules(**params)
            summaries += page.get("Schedules", [])
            if not page.get("NextToken"):
                return summaries
            params["NextToken"] = page["NextToken"]

    def _schedule(self, summary: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The full schedule (ListSchedules omits expression and input), cached per version."""
        modified = summary.get("LastModificationDate")
        key = f"{summary['Arn']}@{modified.isoformat() if isinstance(modified, datetime) else modified}"
        if key not in self._details:
            self._details[key] = self.clients("scheduler").get_schedule(
                Name=summary["Name"], GroupName=summary.get("GroupName", "default")
            )
        return key, self._details[key]

    def _tick_scheduler(self, now: datetime, seen: set[str]) -> list[str]:
        done: list[str] = []
        for summary in self._schedule_summaries():
            key, schedule = self._schedule(summary)
            seen.add(key)
            if schedule.get("State", "ENABLED") != "ENABLED" or key in self.fired:
                continue
            label = f"schedule {schedule.get('GroupName', 'default')}/{schedule['Name']}"
            expression = schedule["ScheduleExpression"]
            zone = schedule.get("ScheduleExpressionTimezone") or "UTC"
            target = schedule["Target"]
            payload = target.get("Input") or "{}"
            try:
                at = parse_at(expression, zone)
                recurring = None if at else parse_recurring(expression, zone)
            except (ValueError, KeyError) as error:
                self._report_once(key, f"{label}: cannot parse {expression!r}: {error}")
                continue
            if at is not None:
                if at > now:
                    continue
                self.fired.add(key)
                if (result := self._deliver(key, f"{label} {expression}", target, payload)) is not None:
                    done.append(result)
                    if schedule.get("ActionAfterCompletion") == "DELETE":
                        self.clients("scheduler").delete_schedule(
                            Name=schedule["Name"], GroupName=schedule.get("GroupName", "default")
                        )
                continue
            assert recurring is not None
            end = schedule.get("EndDate")
            if isinstance(end, datetime) and now > end:
                continue
            due = self._due(key, recurring, now)
            # Scheduler's context attribute, as the deployed schedule's input receives it
            payload = (
                payload.replace(SCHEDULED_TIME, due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
                if due
                else payload
            )
            if due and (result := self._deliver(key, f"{label} {expression}", target, payload)):
                done.append(result)
        return done

    def _due(self, key: str, recurring: Any, now: datetime) -> datetime | None:
        last = self.last.get(key)
        if last is None:
            self.last[key] = now  # anchored when first seen: nothing is "missed" before that
            return None
        due: datetime | None = recurring.latest_due(last, now)
        if due is not None:
            self.last[key] = due
        return due

    def _tick_rules(self, now: datetime, seen: set[str]) -> list[str]:
        events = self.clients("events")
        done: list[str] = []
        for bus in self.buses:
            params: dict[str, Any] = {"EventBusName": bus}
            rules: list[dict[str, Any]] = []
            while True:
                page = events.list_rules(**params)
                rules += page.get("Rules", [])
                if not page.get("NextToken"):
                    break
                params["NextToken"] = page["NextToken"]
            for rule in rules:
                expression = rule.get("ScheduleExpression")
                if not expression:
                    continue
                key = f"{rule['Arn']}@{expression}"
                seen.add(key)
                if rule.get("State") != "ENABLED":
                    continue
                try:
                    recurring = parse_recurring(expression)  # rules run in UTC
                except ValueError as error:
                    self._report_once(key, f"rule {rule['Name']}: cannot parse {expression!r}: {error}")
                    continue
                due = self._due(key, recurring, now) if recurring is not None else None
                if due is not None:
                    done += self._fire_rule(events, rule, bus, due)
        return done

    def _fire_rule(self, events: Any, rule: dict[str, Any], bus: str, due: datetime) -> list[str]:
        """Deliver a rule's ``Input``, or else the "Scheduled Event" EventBridge would send."""
        arn = rule["Arn"]
        scheduled_event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": arn.split(":")[4],
            "time": due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": arn.split(":")[3],
            "resources": [arn],
            "detail": {},
        }
        targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus).get("Targets", [])
        done = []
        for target in targets:
            payload = target.get("Input") or json.dumps(scheduled_event)
            label = f"rule {rule['Name']} {rule['ScheduleExpression']}"
            if (result := self._deliver(f"{arn}/{target['Id']}", label, target, payload)) is not None:
                done.append(result)
        return done
