"""What the monitoring engine does after storing results: incidents and notifications.

- A monitor failing its threshold opens an incident of its service with the revenue rate of the
  moment frozen in it, or joins the service's open incident; the link is kept in
  MonitorState.incident_id, written in the same transaction as the results, so an engine killed
  at any point and restarted opens no duplicate.
- A monitor recovering leaves its incident; the incident is resolved (its revenue at risk frozen)
  once nothing linked to it still fails: no monitor, no firing SLO page. Incidents people opened
  by hand are theirs to resolve.
- Once a minute: SLO burn-rate alerts are evaluated (a page opens or joins an incident), and
  what a lost transaction could have left behind is put right (a failing monitor without an
  incident, an incident nothing fails for any more).
- Notifications go through the Notifier, with messages composed here: service, monitor, error,
  how long, and the revenue at risk so far. They are decided in the hooks' transaction and sent
  by the work the hooks return, which the engine runs once that transaction is committed.

Automatic events carry the author "storeops" and are not audited: no person made them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storeops.core.settings import Settings
from storeops.itsm import actions
from storeops.itsm.models import Incident, IncidentStatus, Service, Severity
from storeops.itsm.queries import list_incidents, open_incident_of, open_incidents
from storeops.itsm.revenue import minutes_between
from storeops.monitoring.engine import AfterCommit
from storeops.monitoring.maintenance import MaintenanceCalendar
from storeops.monitoring.models import ChannelAlertState, Monitor, MonitorState, SloAlert
from storeops.monitoring.notify import Message, Notice, Notifier
from storeops.monitoring.results import Transition
from storeops.monitoring.slo import SloAlertChange, evaluate_slo_alerts
from storeops.workflows.revenue_at_risk import RevenueRates, at_risk_text, rate_text

log = logging.getLogger(__name__)


def severity_for(service: Service) -> Severity:
    """How bad losing a service is, from the share of sales it carries."""
    if service.impact >= 0.8:
        return Severity.sev1
    if service.impact >= 0.3:
        return Severity.sev2
    if service.impact > 0:
        return Severity.sev3
    return Severity.sev4


def duration_text(minutes: float) -> str:
    if minutes < 1:
        return "under a minute"
    whole = int(minutes)
    hours, rest = divmod(whole, 60)
    if not hours:
        return f"{whole} min"
    return f"{hours} h {rest:02d} min"


class WatchHooks:
    """The engine's hooks (monitoring.engine.EngineHooks)."""

    def __init__(
        self,
        settings: Settings,
        *,
        notifier: Notifier | None = None,
        rates: RevenueRates | None = None,
    ) -> None:
        self.settings = settings
        self.currency = settings.store.currency
        self.zone = ZoneInfo(settings.store.timezone)
        self.notifier = notifier
        self.rates = rates or RevenueRates(settings)

    # -- the engine's calls ------------------------------------------------------------------

    def after_flush(
        self, session: Session, transitions: Sequence[Transition], now: datetime
    ) -> AfterCommit | None:
        for transition in transitions:
            if transition.kind == "failing":
                self._failing(session, transition.monitor_id, transition.at, transition.error)
            elif transition.kind == "recovered":
                self._recovered(session, transition.monitor_id, transition.at)
        if self.notifier is None:
            return None
        return self._sending(self._monitor_notices(session, now), now)

    def every_minute(self, session: Session, now: datetime) -> AfterCommit | None:
        calendar = MaintenanceCalendar.load(session)
        notices: list[Notice] = []
        for change in evaluate_slo_alerts(session, now, calendar):
            notices += self._slo_change(session, change, now)
        self._reconcile(session, now)
        if self.notifier is None:
            return None
        notices += self.notifier.plan_reminders(
            session, now, lambda mid: self._reminder(session, mid, now, calendar)
        )
        return self._sending(notices, now)

    def _sending(self, notices: list[Notice], now: datetime) -> AfterCommit | None:
        """The delivery of the notices, for after the commit (None: nothing to send)."""
        notifier = self.notifier
        if notifier is None or not notices:
            return None
        return lambda session: notifier.deliver(session, notices, now)

    # -- monitors and incidents --------------------------------------------------------------

    def _failing(self, session: Session, monitor_id: int, at: datetime, error: str | None) -> None:
        monitor = session.get(Monitor, monitor_id)
        state = session.get(MonitorState, monitor_id)
        if monitor is None or state is None:
            return  # deleted meanwhile
        linked = session.get(Incident, state.incident_id) if state.incident_id else None
        if linked is not None and linked.status != IncidentStatus.resolved:
            return  # already counted in its incident
        service = session.get(Service, monitor.service_id)
        assert service is not None, "a monitor's service is a foreign key"
        what = f"{monitor.name} failing: {error or 'failed'}"
        incident = open_incident_of(session, service.id)
        if incident is None:
            rate = self.rates.for_service(service, at)
            incident = actions.open_incident(
                session,
                service=service,
                title=what,
                source="monitor",
                severity=severity_for(service),
                now=at,
                revenue_per_minute=rate.per_minute,
                actor=actions.SYSTEM,
            )
            if not rate.known:
                actions.record_event(
                    session, incident, kind="note", now=at, text=f"revenue rate: {rate.basis}"
                )
        else:
            actions.join_incident(session, incident, kind="monitor_failed", text=what, now=at)
        state.incident_id = incident.id
        session.flush()

    def _recovered(self, session: Session, monitor_id: int, at: datetime) -> None:
        state = session.get(MonitorState, monitor_id)
        monitor = session.get(Monitor, monitor_id)
        if state is None or state.incident_id is None:
            return
        incident = session.get(Incident, state.incident_id)
        state.incident_id = None
        session.flush()
        if incident is None or incident.status == IncidentStatus.resolved:
            return
        name = monitor.name if monitor is not None else f"monitor {monitor_id}"
        actions.record_event(
            session, incident, kind="monitor_recovered", now=at, text=f"{name} recovered"
        )
        self._resolve_if_clear(session, incident, at)

    def _resolve_if_clear(self, session: Session, incident: Incident, at: datetime) -> None:
        """Resolves an automatic incident once nothing linked to it fails."""
        if incident.source == "manual" or incident.status == IncidentStatus.resolved:
            return
        if _still_failing(session, incident.id):
            return
        actions.resolve_incident(
            session, incident, now=at, actor=actions.SYSTEM, text="nothing fails any more"
        )

    def _slo_change(self, session: Session, change: SloAlertChange, now: datetime) -> list[Notice]:
        """A page opens or joins its service's incident; its end may resolve the incident.
        Tickets (slow burns) are notices only. Returns the notices to send."""
        alert, slo = change.alert, change.slo
        service = session.get(Service, slo.service_id)
        assert service is not None, "an SLO's service is a foreign key"
        if change.change == "opened" and alert.severity == "page":
            what = f"SLO {slo.name} burning its error budget {alert.burn_long:.1f}x"
            incident = open_incident_of(session, service.id)
            if incident is None:
                rate = self.rates.for_service(service, now)
                incident = actions.open_incident(
                    session,
                    service=service,
                    title=what,
                    source="slo",
                    severity=severity_for(service),
                    now=now,
                    revenue_per_minute=rate.per_minute,
                    actor=actions.SYSTEM,
                )
            else:
                actions.join_incident(session, incident, kind="slo_page", text=what, now=now)
            alert.incident_id = incident.id
            session.flush()
        elif change.change == "resolved" and alert.incident_id is not None:
            incident = session.get(Incident, alert.incident_id)
            if incident is not None and incident.status != IncidentStatus.resolved:
                actions.record_event(
                    session,
                    incident,
                    kind="slo_recovered",
                    now=now,
                    text=f"SLO {slo.name} no longer pages",
                )
                self._resolve_if_clear(session, incident, now)
        if self.notifier is None:
            return []
        message = self._slo_message(session, change, service, now)
        return self.notifier.plan_slo(session, alert=alert, message=message)

    def _reconcile(self, session: Session, now: datetime) -> None:
        """Puts right what a lost hook call or an edit could leave: failing monitors without an
        incident, monitors linked to one that were disabled (never checked again, they would
        hold it open for good) or have recovered, and automatic incidents nothing fails for
        (their monitors deleted meanwhile)."""
        stale = session.execute(
            select(MonitorState, Monitor.name, Monitor.enabled)
            .join(Monitor, Monitor.id == MonitorState.monitor_id)
            .where(
                MonitorState.incident_id.is_not(None),
                or_(
                    Monitor.enabled.is_(False),
                    MonitorState.consecutive_failures < Monitor.failure_threshold,
                ),
            )
            .order_by(MonitorState.monitor_id)
        ).all()
        for state, name, enabled in stale:
            incident = session.get(Incident, state.incident_id)
            state.incident_id = None
            if incident is None or incident.status == IncidentStatus.resolved:
                continue
            if enabled:
                actions.record_event(
                    session, incident, kind="monitor_recovered", now=now, text=f"{name} recovered"
                )
            else:
                text = f"{name} disabled while failing: no longer counted"
                actions.record_event(session, incident, kind="note", now=now, text=text)
        session.flush()
        unlinked = session.execute(
            select(MonitorState.monitor_id, MonitorState.last_error)
            .join(Monitor, Monitor.id == MonitorState.monitor_id)
            .where(
                Monitor.enabled.is_(True),
                MonitorState.incident_id.is_(None),
                MonitorState.consecutive_failures >= Monitor.failure_threshold,
            )
            .order_by(MonitorState.monitor_id)
        ).all()
        for monitor_id, error in unlinked:
            self._failing(session, monitor_id, now, error)
        for incident in open_incidents(session):
            self._resolve_if_clear(session, incident, now)

    # -- notifications -----------------------------------------------------------------------

    def _monitor_notices(self, session: Session, now: datetime) -> list[Notice]:
        """Every monitor a channel may have to hear about: failing streaks, and those channels
        were told of (they may be due a resolved notice). The Notifier knows what was sent."""
        assert self.notifier is not None
        troubled = set(
            session.scalars(
                select(MonitorState.monitor_id).where(MonitorState.consecutive_failures > 0)
            )
        )
        troubled |= set(
            session.scalars(
                select(ChannelAlertState.monitor_id).where(
                    ChannelAlertState.triggered_at.is_not(None)
                )
            )
        )
        return self.notifier.plan_monitors(
            session,
            troubled,
            compose=lambda mid, kind: self._monitor_message(session, mid, kind, now),
            now=now,
        )

    def _reminder(
        self, session: Session, monitor_id: int, now: datetime, calendar: MaintenanceCalendar
    ) -> Message | None:
        """A reminder of a monitor still failing; none while it is disabled or in maintenance."""
        monitor = session.get(Monitor, monitor_id)
        state = session.get(MonitorState, monitor_id)
        if monitor is None or not monitor.enabled or state is None or state.last_ok:
            return None
        if calendar.covers(monitor.service_id, now):
            return None
        message = self._monitor_message(session, monitor_id, "failure", now)
        return Message(f"Still failing: {message.title}", message.body)

    def _monitor_message(
        self, session: Session, monitor_id: int, kind: str, now: datetime
    ) -> Message:
        monitor = session.get(Monitor, monitor_id)
        state = session.get(MonitorState, monitor_id)
        assert monitor is not None and state is not None
        service = session.get(Service, monitor.service_id)
        assert service is not None
        lines = [
            f"Service: {service.title} ({service.impact:.0%} of sales)",
            f"Monitor: {monitor.name} ({monitor.kind})",
        ]
        if kind == "resolved":
            title = f"{service.title}: {monitor.name} recovered"
            incident = _latest_incident(session, service.id)
            if incident is not None:
                end = incident.resolved_at or now
                lines.append(f"Down for {duration_text(_minutes(incident.opened_at, end))}")
                lines.append(self._incident_line(incident, now))
            return Message(title, "\n".join(lines))
        error = state.last_error or "failed"
        title = f"{service.title}: {monitor.name} failing ({error})"
        lines.append(f"Error: {error}")
        incident = session.get(Incident, state.incident_id) if state.incident_id else None
        if incident is not None:
            lines.append(f"Failing for {duration_text(_minutes(incident.opened_at, now))}")
            lines.append(self._incident_line(incident, now))
        else:
            rate = self.rates.for_service(service, now)
            count = state.consecutive_failures
            lines.append(f"{count} failed check{'s' if count != 1 else ''} in a row")
            lines.append(
                f"At risk while it lasts: {rate_text(rate.per_minute, self.currency, basis=rate.basis)}"
            )
        return Message(title, "\n".join(lines))

    def _slo_message(
        self, session: Session, change: SloAlertChange, service: Service, now: datetime
    ) -> Message:
        alert, slo, status = change.alert, change.slo, change.status
        if change.change == "resolved":
            title = f"{service.title}: SLO {slo.name} {alert.severity} resolved"
        else:
            title = (
                f"{service.title}: SLO {slo.name} {alert.severity}: "
                f"error budget burning {alert.burn_long:.1f}x"
            )
        lines = [
            f"Service: {service.title} ({service.impact:.0%} of sales)",
            f"SLO: {slo.name}, {slo.kind} {slo.objective:.2%} over {slo.window_days} days",
        ]
        if status.budget_remaining is not None:
            lines.append(f"Error budget left: {status.budget_remaining:.0%}")
        if change.change == "opened":
            lines.append(
                f"Burn rate: {alert.burn_long:.1f}x (long window), {alert.burn_short:.1f}x (short)"
            )
        incident = session.get(Incident, alert.incident_id) if alert.incident_id else None
        if incident is not None:
            lines.append(self._incident_line(incident, now))
        elif change.change == "opened":
            rate = self.rates.for_service(service, now)
            lines.append(
                f"At risk while it lasts: {rate_text(rate.per_minute, self.currency, basis=rate.basis)}"
            )
        return Message(title, "\n".join(lines))

    def _incident_line(self, incident: Incident, now: datetime) -> str:
        status = "resolved" if incident.status == IncidentStatus.resolved else incident.severity
        return f"Incident #{incident.id} ({status}): {at_risk_text(incident, now, self.currency)}"


def _minutes(start: datetime, end: datetime) -> float:
    return float(minutes_between(start, end))


def _latest_incident(session: Session, service_id: int) -> Incident | None:
    page = list_incidents(session, service_id=service_id, limit=1)
    return page.rows[0][0] if page.rows else None


def _still_failing(session: Session, incident_id: int) -> bool:
    """A monitor is still linked to the incident, or an SLO page for it still fires."""
    monitor = session.scalars(
        select(MonitorState.monitor_id).where(MonitorState.incident_id == incident_id).limit(1)
    ).first()
    if monitor is not None:
        return True
    page = session.scalars(
        select(SloAlert.id)
        .where(SloAlert.incident_id == incident_id, SloAlert.resolved_at.is_(None))
        .limit(1)
    ).first()
    return page is not None
