"""The hedge-instrument registry: each instrument's outputs, parts, overlay and summary lines are
its own and consistent, and the engine's lists are the core's followed by the registry's."""

from __future__ import annotations

from engine.inputs.build import KernelInputs, kernel_inputs
from engine.outputs import CORE_OUTPUTS, DERIVED_OUTPUTS, PATH_OUTPUTS
from engine.risk.parts import ATTRIBUTION, CORE_PARTS, OVERLAYS
from engine.scenario.instruments.registry import INSTRUMENTS
from engine.scenario.root import Scenario


def test_outputs_and_parts_are_the_core_then_the_registry() -> None:
    outputs = list(CORE_OUTPUTS)
    parts = list(CORE_PARTS)
    for instrument in INSTRUMENTS.values():
        outputs += list(instrument.outputs)
        parts += list(instrument.parts)
    assert list(PATH_OUTPUTS) == outputs
    assert list(ATTRIBUTION) == parts
    assert len(set(outputs)) == len(outputs)
    assert list(OVERLAYS) == [i.overlay.key for i in INSTRUMENTS.values() if i.overlay]


def test_each_instrument_declares_only_its_own() -> None:
    for instrument in INSTRUMENTS.values():
        names = {p.name for p in instrument.parts}
        for part in instrument.parts:
            assert part.variable in instrument.outputs or part.variable in DERIVED_OUTPUTS
        if instrument.overlay is not None:
            assert set(instrument.overlay.parts) <= names
        for line in instrument.summary:
            assert line.variable in instrument.outputs


def test_builders_fill_their_kernel_inputs_field() -> None:
    scenario = Scenario()
    inputs = kernel_inputs(scenario)
    for instrument in INSTRUMENTS.values():
        assert instrument.kernel_field in KernelInputs._fields
        built = instrument.build(scenario)
        assert type(built) is type(getattr(inputs, instrument.kernel_field))
