"""numpydoc validation of the public API's docstrings."""

import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

MODULES = [
    "seqlearn",
    "seqlearn.nn",
    "seqlearn.preprocessing",
    "seqlearn.metrics",
    "seqlearn.data",
    "seqlearn.datasets",
    "seqlearn.plotting",
]
# The checks enforced: parameters documented, typed, in order; returns
# documented; a one-line summary.
CHECKED = {"PR01", "PR02", "PR03", "PR04", "PR07", "RT01", "RT03", "SS01", "SS03"}


def public_names():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            yield f"{module_name}.{name}"
            if inspect.isclass(obj):
                for method, member in vars(obj).items():
                    if callable(member) and not method.startswith("_"):
                        yield f"{module_name}.{name}.{method}"


@pytest.mark.parametrize("name", sorted(set(public_names())))
def test_numpydoc(name):
    errors = [
        f"{code}: {message}"
        for code, message in numpydoc_validate.validate(name)["errors"]
        if code in CHECKED
    ]
    assert not errors, "\n".join(errors)
