"""The engine's obligation, interaction, 360-view, audit and measures queries from Python;
their data is typed as `records.Data` until the binding types it."""

from __future__ import annotations

import pickle
from datetime import date

import pytest

import crm_core
from crm_core import TimeRange, records
from _world import t, world


def test_the_360_view_audit_measures_and_accountability() -> None:
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    view = crm.customer_360("C1", at)
    assert isinstance(view, records.Data) and view.get("customer") is not None
    assert pickle.loads(pickle.dumps(view)) == view
    [again] = crm.customer_360_batch(["C1"], at)
    assert again == view
    assert isinstance(crm.audit("C1", at), list)
    assert crm.interactions_of("C1") == []
    measures = crm.service_measures(TimeRange(t("2026-01-01T00:00:00Z"), at))
    assert measures.to_dict()
    assert crm.accountability(at).to_json().startswith("{")
    assert crm.tier_of("C1") is None and crm.compensations_of("C1") == []
    assert crm.payment_plans_of("C1") == []


def test_bad_input_for_the_new_queries() -> None:
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    with pytest.raises(crm_core.NotFoundError):
        crm.customer_360("C-404", at)
    with pytest.raises(crm_core.NotFoundError):
        crm.customer_360_batch(["C1", "C-404"], at)
    with pytest.raises(crm_core.NotFoundError):
        crm.interaction("CHAT-404")
    with pytest.raises(crm_core.NotFoundError):
        crm.collection_actions("C1", "no-such-policy", at)
    with pytest.raises(crm_core.CrmError):
        crm.reconcile("C1", date(2026, 2, 1), date(2026, 1, 1), date(2026, 3, 1))
    with pytest.raises(crm_core.ValidationError):
        crm.audit("C1", at.replace(tzinfo=None))
