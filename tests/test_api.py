"""The curated top-level API: every name resolves to the function its module defines, lazily."""

import subprocess
import sys

import pytest

import amo_analysis


@pytest.mark.parametrize("name", sorted(amo_analysis.API))
def test_each_public_name_is_the_object_of_its_module(name):
    import importlib

    assert getattr(amo_analysis, name) is getattr(importlib.import_module(amo_analysis.API[name]), name)
    assert name in dir(amo_analysis) and name in amo_analysis.__all__


def test_importing_the_package_loads_no_layer():
    code = "import sys, amo_analysis; print(sorted(m for m in sys.modules if m.startswith('amo_analysis.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_an_unknown_name_says_so():
    with pytest.raises(AttributeError, match="has no attribute 'estimate'"):
        amo_analysis.estimate  # noqa: B018
