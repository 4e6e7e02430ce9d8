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
    "seqlearn.callbacks",
    "seqlearn.base",
    "seqlearn.forecasting",
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
                    # skorch's callback hooks (on_*) are skorch's protocol
                    if callable(member) and not method.startswith(("_", "on_")):
                        yield f"{module_name}.{name}.{method}"


@pytest.mark.parametrize("name", sorted(set(public_names())))
def test_numpydoc(name):
    errors = [
        f"{code}: {message}"
        for code, message in numpydoc_validate.validate(name)["errors"]
        if code in CHECKED
    ]
    assert not errors, "\n".join(errors)


def test_fill_doc_indents_fragments_as_the_placeholder():
    from seqlearn._docstrings import fill_doc

    @fill_doc(params="x : int\n    The input.")
    def f(x):
        """Do nothing.

        Parameters
        ----------
        {params}
        """

    assert "        x : int\n            The input.\n" in f.__doc__
    assert "{params}" not in f.__doc__

    def g():
        """Do nothing.

        {missing}
        """

    with pytest.raises(KeyError, match="missing"):
        fill_doc()(g)  # a placeholder without a fragment fails at import
