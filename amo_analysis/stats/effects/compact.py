"""The design of a fit kept for later steps, held in the narrowest numbers that give back its floats.

Notebook 02 keeps its OLS and AFT fits for the claims' leave-one-out and sensitivity steps
(`effects.slim_kept_fit`). Their designs are most of what they hold: n × p float64, 104 MB each at 10⁶
projects and 13 columns, of which the constant, the practice, the complexity score and every dummy
are small whole numbers. `CompactDesign` stores each column as one value (a constant), as int8 (whole
numbers from −128 to 127) or as float64 (anything else), each only when converting it back gives the
same 64 bits for every row (−0.0 and NaN included), so `expand()` returns an array equal to the
original bit for bit, in the original memory layout: 19 MB for that design.

`compact_design(fit)` replaces the design a statsmodels model or results object holds (`exog`,
`wexog` of the model, `exog` and `orig_exog` of its data, `exog` of a likelihood model's results,
where they are that array or a frame over it) by its compact form; reading any of them afterwards
gives the expanded design (a frame for `orig_exog` when it was one), so every method of the model
and its results gives the same numbers as before, each read expanding it once more. A step that
reads the design several times expands it once for a block of code: `with expanded_design(fit): ...`
(the arrays are held for the block and given back after). A compacted object is pickled (statsmodels'
`save`, `copy.deepcopy`) as the plain object holding its expanded design.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

#: the names under which statsmodels holds a design: on a model (`exog`, `wexog`), its `data`
#: (`ModelData`: `exog`, `orig_exog`) and a likelihood model's results (`exog`)
DESIGN_ATTRIBUTES = ("exog", "wexog", "orig_exog")
#: the attribute of a compacted holder naming what is read from its compact design
_LAZY = "_compact_design_attributes"
#: the mark of a class `_lazy_class` made
_LAZY_CLASS = "_reads_compact_design"


def _bits(column: np.ndarray) -> np.ndarray:
    """A float64 column's 64 bits per row, as int64 (a contiguous copy of a strided column)."""
    return np.ascontiguousarray(column).view(np.int64)


def _narrow(column: np.ndarray):
    """One column (float64) as the narrowest form that converts back to the same 64 bits per row: a
    0-d float64 (every row the same value), int8, or a contiguous float64 copy."""
    bits = _bits(column)
    if len(column) and (bits == bits[0]).all():
        return np.array(column[0])
    with np.errstate(invalid="ignore"):
        small = column.astype(np.int8)  # NaN, inf and out-of-range values convert to something else
    if np.array_equal(small.astype(np.float64).view(np.int64), bits):
        return small
    return column.copy()  # a copy even when contiguous: a view would keep the whole design alive


class CompactDesign:
    """A 2-D float64 design held column by column in the narrowest form that gives back its floats
    (module docstring). `shape` and `order` ("C" or "F") are the original array's; `nbytes` what
    this object holds (bytes)."""

    def __init__(self, X: np.ndarray):
        if X.ndim != 2 or X.dtype != np.float64:
            raise ValueError(f"a design is a 2-D float64 array, not {X.ndim}-D {X.dtype}")
        self.shape = X.shape
        self.order = "F" if X.flags.f_contiguous and not X.flags.c_contiguous else "C"
        self.columns = [_narrow(X[:, j]) for j in range(X.shape[1])]

    @property
    def nbytes(self) -> int:
        return sum(column.nbytes for column in self.columns)

    def expand(self) -> np.ndarray:
        """The design as the float64 array it was (same bits, same layout); a new array each call."""
        X = np.empty(self.shape, dtype=np.float64, order=self.order)
        for j, column in enumerate(self.columns):
            X[:, j] = column
        return X

    def equals(self, X) -> bool:
        """Whether `X` is the design this holds, bit for bit (compared column by column, without
        expanding the whole design)."""
        if not isinstance(X, np.ndarray) or X.shape != self.shape or X.dtype != np.float64:
            return False
        for j, column in enumerate(self.columns):
            wide = np.broadcast_to(column.astype(np.float64), self.shape[:1])
            if not np.array_equal(_bits(X[:, j]), _bits(wide)):
                return False
        return True

    def __repr__(self) -> str:
        kinds = ["constant" if column.ndim == 0 else str(column.dtype) for column in self.columns]
        return f"CompactDesign({self.shape[0]} × {self.shape[1]}, {self.nbytes / 2**20:.1f} MB: {', '.join(kinds)})"


class _Frame:
    """How a design read from a compacted holder is given back when it was a frame over the array."""

    def __init__(self, frame: pd.DataFrame):
        self.columns, self.index = frame.columns, frame.index

    def wrap(self, X: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(X, columns=self.columns, index=self.index, copy=False)


_LAZY_CLASSES: dict[type, type] = {}


def _restore(cls: type, state):
    """An object of `cls` with `state` (what `__getstate__` gave), as pickle's default rebuilds one."""
    obj = cls.__new__(cls)
    if hasattr(obj, "__setstate__"):
        obj.__setstate__(state)
    else:
        obj.__dict__.update(state)
    return obj


def _lazy_class(cls: type) -> type:
    """`cls` with a fallback that gives a compacted attribute its expanded design (a subclass of the
    same name; the class's own `__getattr__`, if any, answers every other missing attribute)."""
    if _LAZY_CLASS in cls.__dict__:
        return cls
    if cls not in _LAZY_CLASSES:
        base_getattr = getattr(cls, "__getattr__", None)

        def __getattr__(self, name):
            lazy = self.__dict__.get(_LAZY)
            if lazy is not None and name in lazy:
                compact, frame = lazy[name]
                X = compact.expand()
                return X if frame is None else frame.wrap(X)
            if base_getattr is not None:
                return base_getattr(self, name)
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

        def __reduce_ex__(self, protocol):
            # pickled (statsmodels' `save`, `copy.deepcopy`) as the plain class holding the expanded design
            plain = cls.__new__(cls)
            plain.__dict__.update({k: v for k, v in self.__dict__.items() if k != _LAZY})
            for name, (compact, frame) in (self.__dict__.get(_LAZY) or {}).items():
                if name not in plain.__dict__:
                    X = compact.expand()
                    plain.__dict__[name] = X if frame is None else frame.wrap(X)
            return _restore, (cls, plain.__getstate__())

        _LAZY_CLASSES[cls] = type(
            cls.__name__,
            (cls,),
            {
                "__getattr__": __getattr__,
                "__reduce_ex__": __reduce_ex__,
                _LAZY_CLASS: True,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
            },
        )
    return _LAZY_CLASSES[cls]


def _holders(fit) -> list:
    """What holds the design of `fit`: a statsmodels model and its data, and for a results object
    (or its wrapper) the results too (statsmodels' likelihood results keep their own `exog`)."""
    model = getattr(fit, "model", None)
    if model is not None and hasattr(model, "data"):
        inner = getattr(fit, "_results", fit)
        return [inner, model, model.data]
    return [fit, getattr(fit, "data", None)]


def _design_of(holders) -> np.ndarray | None:
    for holder in holders:
        X = getattr(holder, "__dict__", {}).get("exog")
        if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype == np.float64:
            return X
    return None


def compact_design(fit, shared: Iterable[CompactDesign] = ()) -> CompactDesign | None:
    """Replace the design `fit` holds (a statsmodels model, or a results object: then what it and its
    model hold; module docstring) by its compact form, or by an equal one of `shared` (outcomes
    measured on the same rows have the same design: one is held for both). Returns the compact
    design, or None when there is none to replace (already compacted, or no 2-D float64 `exog`):
    nothing is changed then."""
    holders = [h for h in _holders(fit) if h is not None and hasattr(h, "__dict__")]
    X = _design_of(holders)
    if X is None:
        return None
    compact = next((other for other in shared if other.equals(X)), None) or CompactDesign(X)
    for holder in holders:
        lazy = {}
        for name in DESIGN_ATTRIBUTES:
            value = holder.__dict__.get(name)
            if value is X:
                lazy[name] = (compact, None)
            elif isinstance(value, pd.DataFrame) and value.shape == X.shape and np.shares_memory(value.values, X):
                lazy[name] = (compact, _Frame(value))
        if not lazy:
            continue
        try:
            holder.__class__ = _lazy_class(type(holder))
        except TypeError:  # a class whose objects cannot change class: it keeps its design as it is
            continue
        holder.__dict__[_LAZY] = {**(holder.__dict__.get(_LAZY) or {}), **lazy}
        for name in lazy:
            del holder.__dict__[name]
    return compact


def held_design(fit) -> CompactDesign | None:
    """The compact design `fit` (a model or a results object) holds; None when it holds its design as
    it was."""
    for holder in _holders(fit):
        lazy = getattr(holder, "__dict__", {}).get(_LAZY) or {}
        for compact, _ in lazy.values():
            return compact
    return None


@contextlib.contextmanager
def expanded_design(fit) -> Iterator[np.ndarray | None]:
    """Within the block, `fit` (a model or a results object, as given to `compact_design`) holds the
    expanded design as it did before `compact_design`: one array for every read (each read outside
    such a block expands it again). Yields that array (None when the design was not compacted: then
    nothing changes). Nested blocks share the outer one's array."""
    holders = [h for h in _holders(fit) if h is not None and _LAZY in getattr(h, "__dict__", {})]
    pending = [
        (h, name, frame) for h in holders for name, (_, frame) in h.__dict__[_LAZY].items() if name not in h.__dict__
    ]
    compact = held_design(fit)
    if compact is None:
        yield None
        return
    if not pending:  # inside an outer block: its array
        yield next(h.__dict__["exog"] for h in holders if isinstance(h.__dict__.get("exog"), np.ndarray))
        return
    X = compact.expand()
    for holder, name, frame in pending:
        holder.__dict__[name] = X if frame is None else frame.wrap(X)
    try:
        yield X
    finally:
        for holder, name, _ in pending:
            holder.__dict__.pop(name, None)
