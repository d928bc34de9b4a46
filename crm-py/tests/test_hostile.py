"""The hostile input catalogue (``tests/hostile/catalogue.json``, format in docs/errors.md),
shared with the Rust and Kotlin tests, run from Python against the installed wheel.

One engine is built from the catalogue's setup; every case's input goes to ``execute_json``
and, when it is a JSON envelope whose meta and command are objects, through the typed path
``execute(meta, command)`` as Python data too (an envelope of exactly those two keys; a JSON
number with a fraction is a Python ``float`` there, refused with a ``TypeError`` that says to use
``Decimal``). Each must raise the ``CrmError`` subclass of the
case's expected kind (never a crash, never another exception) and leave the serialized state
and the event log exactly as they were."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

import crm_core
from crm_core import Crm, ErrorKind

CATALOGUE = pathlib.Path(__file__).resolve().parents[2] / "tests" / "hostile" / "catalogue.json"
SPEC: dict[str, Any] = json.loads(CATALOGUE.read_text(encoding="utf-8"))

CLASSES: dict[ErrorKind, type[crm_core.CrmError]] = {
    ErrorKind.VALIDATION: crm_core.ValidationError,
    ErrorKind.NOT_FOUND: crm_core.NotFoundError,
    ErrorKind.ALREADY_EXISTS: crm_core.AlreadyExistsError,
    ErrorKind.CONFLICT: crm_core.ConflictError,
    ErrorKind.INVALID_TRANSITION: crm_core.InvalidTransitionError,
    ErrorKind.CURRENCY_MISMATCH: crm_core.CurrencyMismatchError,
    ErrorKind.CONSENT_REQUIRED: crm_core.ConsentRequiredError,
    ErrorKind.NOT_ENTITLED: crm_core.NotEntitledError,
    ErrorKind.INVALID_DEFINITION: crm_core.InvalidDefinitionError,
    ErrorKind.JSON: crm_core.JsonError,
    ErrorKind.STORAGE: crm_core.StorageError,
    ErrorKind.OVERFLOW: crm_core.OverflowError,
}


def expand(v: Any) -> Any:
    """Replaces the generators of a JSON value (``$repeat``, ``$array``)."""
    if isinstance(v, dict) and "$repeat" in v:
        return v["$repeat"] * v["times"]
    if isinstance(v, dict) and "$array" in v:
        template = json.dumps(v["$array"])
        return [expand(json.loads(template.replace("{i}", str(i)))) for i in range(v["times"])]
    if isinstance(v, dict):
        return {k: expand(x) for k, x in v.items()}
    if isinstance(v, list):
        return [expand(x) for x in v]
    return v


def has_float(v: Any) -> bool:
    if isinstance(v, float):
        return True
    if isinstance(v, dict):
        return any(has_float(x) for x in v.values())
    if isinstance(v, list):
        return any(has_float(x) for x in v)
    return False


def render(inp: Any) -> str:
    """The text a case gives to ``execute_json``."""
    if isinstance(inp, dict) and "$text" in inp:
        return "".join(p if isinstance(p, str) else p["$repeat"] * p["times"]
                       for p in inp["$text"])
    return json.dumps(expand(inp), separators=(",", ":"), ensure_ascii=False)


@pytest.fixture(scope="module")
def engine() -> tuple[Crm, str, str]:
    crm = Crm()
    for envelope in SPEC["setup"]:
        crm.execute_json(json.dumps(envelope))
    return crm, crm.state_json(), crm.events_json()


def test_the_catalogue_is_found_and_complete() -> None:
    assert SPEC["format"] == "crm-core hostile input catalogue, version 1"
    cases = SPEC["cases"]
    assert len(cases) >= 100
    assert len({c["name"] for c in cases}) == len(cases)
    assert {ErrorKind(c["expect"]) for c in cases} <= set(CLASSES)


@pytest.mark.parametrize("case", SPEC["cases"], ids=[c["name"] for c in SPEC["cases"]])
def test_hostile_input_is_a_typed_error_and_changes_nothing(
    engine: tuple[Crm, str, str], case: dict[str, Any]
) -> None:
    crm, state, log = engine
    kind = ErrorKind(case["expect"])
    text = render(case["input"])
    with pytest.raises(crm_core.CrmError) as raised:
        crm.execute_json(text)
    assert type(raised.value) is CLASSES[kind] or isinstance(raised.value, CLASSES[kind]), (
        f"{case['name']}: {raised.value!r}")
    assert raised.value.kind is kind
    assert str(raised.value)
    assert crm.state_json() == state and crm.events_json() == log
    # the typed path: the same envelope as Python data
    inp = case["input"]
    if isinstance(inp, dict) and "$text" not in inp:
        value = expand(inp)
        if (set(value) == {"meta", "command"} and isinstance(value["meta"], dict)
                and isinstance(value["command"], dict)):
            if has_float(value):
                # Python refuses a float before the core sees it: money and decimals are exact
                with pytest.raises(TypeError, match="Decimal"):
                    crm.execute(value["meta"], value["command"])
            else:
                with pytest.raises(crm_core.CrmError) as typed:
                    crm.execute(value["meta"], value["command"])
                assert typed.value.kind is kind, f"{case['name']} (typed path): {typed.value!r}"
            assert crm.state_json() == state and crm.events_json() == log
