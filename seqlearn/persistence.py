"""Save and load fitted estimators without pickle.

A model file is a zip archive with two members:

* ``config.json``: the format version, the estimator's class name, its
  parameters (``get_params``) and its fitted non-tensor state (labels,
  vocabularies, flags), as tagged JSON;
* ``tensors.safetensors``: every numeric array of the fitted state and the
  network's weights (module and criterion ``state_dict``), in the
  `safetensors <https://huggingface.co/docs/safetensors>`_ format.

:func:`load` executes no code from the file: JSON and safetensors are plain
data, every class is looked up in a fixed allow-list of seqlearn estimators
and transformers (and the few scikit-learn helpers they hold), and the
network is rebuilt by the estimator's own code from the saved parameters.
Pickle (and ``torch.load``) can run arbitrary code while loading, so they are
only safe for files you made yourself.
"""

from __future__ import annotations

import collections
import importlib
import io
import json
import numbers
import sys
import warnings
import zipfile

import numpy as np
import pandas as pd
import torch

__all__ = ["load", "save"]

FORMAT = "seqlearn-model"
FORMAT_VERSION = 1
_CONFIG, _TENSORS = "config.json", "tensors.safetensors"

# class name written in the file -> "module:attribute" it may be loaded from
_ALLOWED = {
    "RNNClassifier": "seqlearn.classifier:RNNClassifier",
    "SequenceRegressor": "seqlearn.regressor:SequenceRegressor",
    "SequenceTagger": "seqlearn.tagger:SequenceTagger",
    "RNNForecaster": "seqlearn.forecasting:RNNForecaster",
    "_Seq2SeqRegressor": "seqlearn.forecasting._forecaster:_Seq2SeqRegressor",
    "ResidualModel": "seqlearn.forecasting._residual:ResidualModel",
    "TargetTransformer": "seqlearn.forecasting:TargetTransformer",
    "_ResidualNet": "seqlearn.forecasting._network:_ResidualNet",
    "CharRNN": "seqlearn.generation:CharRNN",
    "SequenceTranslator": "seqlearn.translator:SequenceTranslator",
    "VocabularyEncoder": "seqlearn.preprocessing:VocabularyEncoder",
    "OneHotSequenceEncoder": "seqlearn.preprocessing:OneHotSequenceEncoder",
    "SequenceScaler": "seqlearn.preprocessing:SequenceScaler",
    "WindowTransformer": "seqlearn.preprocessing:WindowTransformer",
    "WordFeatureEncoder": "seqlearn.preprocessing:WordFeatureEncoder",
    "LabelEncoder": "sklearn.preprocessing:LabelEncoder",
}
# what error messages list (the rest are parts of those)
_PUBLIC = sorted(
    n
    for n in _ALLOWED
    if not n.startswith("_") and n not in ("LabelEncoder", "ResidualModel")
)
# parameters that only steer training: dropped (with a warning) when they hold
# objects JSON cannot represent, e.g. skorch callbacks or a RandomState
_DROPPABLE_PARAMS = {"callbacks", "random_state"}
# fitted attributes rebuilt from the weights, not stored as state
_NET_ATTRS = {"net_", "history_"}


def _allowed_class(name):
    try:
        module, attr = _ALLOWED[name].split(":")
    except (KeyError, AttributeError, TypeError):
        raise ValueError(
            f"the file names class {name!r}, which is not a seqlearn estimator "
            f"or transformer that seqlearn.load accepts ({sorted(_ALLOWED)})."
        ) from None
    return getattr(importlib.import_module(module), attr)


def _class_name(obj):
    name = type(obj).__name__
    if name not in _ALLOWED or _allowed_class(name) is not type(obj):
        hint = ""
        if hasattr(obj, "steps") or hasattr(obj, "transformer_list"):
            hint = " Save the seqlearn steps of a pipeline one by one."
        parallel = sys.modules.get("seqlearn.parallel")  # imported if obj is one
        if parallel is not None and isinstance(obj, parallel.DataParallelMixin):
            hint = (
                " A data-parallel estimator (DataParallelMixin) is not one of "
                "them: pickle it (from the first process) instead."
            )
        raise TypeError(
            f"seqlearn.save cannot store a {type(obj).__module__}.{name}; it saves "
            f"the seqlearn estimators and transformers ({', '.join(_PUBLIC)}).{hint}"
        )
    return name


# ---------------------------------------------------------------- encoding
class _Encoder:
    """Turn an object tree into tagged JSON plus a dict of named tensors."""

    def __init__(self):
        self.tensors = {}
        self.notes = []  # warnings for the caller of save

    def _tensor(self, path, value):
        key = path
        while key in self.tensors:
            key += "'"
        self.tensors[key] = value.detach().cpu().contiguous()
        return key

    def encode(self, obj, path):
        if obj is None or isinstance(obj, bool | str):
            return obj
        if isinstance(obj, numbers.Integral) and type(obj) is int:
            return obj
        if type(obj) is float:
            return obj
        if isinstance(obj, np.generic):
            return {"__type__": "npscalar", "dtype": obj.dtype.str, "value": obj.item()}
        if isinstance(obj, np.ndarray):
            return self._array(obj, path)
        if isinstance(obj, torch.Tensor):
            return {"__type__": "tensor", "key": self._tensor(path, obj)}
        if isinstance(obj, list):
            return [self.encode(v, f"{path}.{i}") for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            items = [self.encode(v, f"{path}.{i}") for i, v in enumerate(obj)]
            return {"__type__": "tuple", "items": items}
        if type(obj) in (set, frozenset):
            items = sorted(obj, key=repr)
            items = [self.encode(v, f"{path}.{i}") for i, v in enumerate(items)]
            return {"__type__": type(obj).__name__, "items": items}
        if isinstance(obj, dict) and type(obj) in (dict, collections.Counter):
            items = [
                [self.encode(k, f"{path}.key"), self.encode(v, f"{path}.{k}")]
                for k, v in obj.items()
            ]
            kind = "counter" if isinstance(obj, collections.Counter) else "dict"
            return {"__type__": kind, "items": items}
        if isinstance(obj, np.dtype) or (
            isinstance(obj, type) and issubclass(obj, np.generic)
        ):
            return {
                "__type__": "dtype",
                "name": np.dtype(obj).str,
                "scalar_type": isinstance(obj, type),
            }
        if isinstance(obj, type) and obj in _BUILTIN_TYPES.values():  # dtype=bool, ...
            return {"__type__": "builtin_type", "name": obj.__name__}
        if isinstance(obj, torch.device):
            return {"__type__": "device", "name": str(obj)}
        if (
            isinstance(obj, type)
            and issubclass(obj, torch.optim.Optimizer)
            and getattr(torch.optim, obj.__name__, None) is obj
        ):
            return {"__type__": "optimizer", "name": obj.__name__}
        if isinstance(obj, pd.Index):
            return self._index(obj, path)
        if type(obj).__name__ in _ALLOWED:
            return self.estimator(obj, path)
        raise TypeError(
            f"seqlearn.save cannot store {path} of type {type(obj).__name__}."
        )

    def _array(self, arr, path):
        if arr.dtype.kind in "biuf":
            # a copy when read-only (torch warns about sharing those) or strided
            arr = np.ascontiguousarray(arr) if arr.flags.writeable else arr.copy()
            tensor = torch.from_numpy(arr)
            return {"__type__": "ndarray", "key": self._tensor(path, tensor)}
        if arr.dtype.kind in "USO":
            items = [self.encode(v, path) for v in arr.ravel().tolist()]
            return {
                "__type__": "ndarray_list",
                "dtype": arr.dtype.str,
                "shape": list(arr.shape),
                "items": items,
            }
        raise TypeError(f"seqlearn.save cannot store {path}: an array of {arr.dtype}.")

    def _index(self, index, path):
        name = self.encode(index.name, f"{path}.name")
        if isinstance(index, pd.RangeIndex):
            return {
                "__type__": "range_index",
                "start": index.start,
                "stop": index.stop,
                "step": index.step,
                "name": name,
            }
        if isinstance(index, pd.DatetimeIndex | pd.PeriodIndex):
            out = {"values": self._array(index.asi8, path), "freq": index.freqstr}
            if isinstance(index, pd.PeriodIndex):
                return {"__type__": "period_index", **out, "name": name}
            tz = None if index.tz is None else str(index.tz)
            out.update(unit=index.unit, tz=tz, name=name)
            return {"__type__": "datetime_index", **out}
        if type(index) is pd.Index and index.dtype.kind in "biufO":
            return {
                "__type__": "index",
                "values": self._array(index.to_numpy(), path),
                "name": name,
            }
        raise TypeError(f"seqlearn.save cannot store {path}: a {type(index).__name__}.")

    def _params(self, est, path):
        params = {}
        for key, value in est.get_params(deep=False).items():
            try:
                params[key] = self.encode(value, f"{path}.params.{key}")
            except TypeError:
                if key not in _DROPPABLE_PARAMS:
                    raise TypeError(
                        f"seqlearn.save cannot store the parameter {key}={value!r} "
                        f"of {type(est).__name__}: only plain values (numbers, "
                        "strings, lists, numpy dtypes, torch optimizers) can be "
                        "saved without pickle."
                    ) from None
                self.notes.append(
                    f"{type(est).__name__}.{key}={value!r} cannot be saved without "
                    "pickle; the loaded model has the default instead (it only "
                    "affects training)."
                )
        return params

    def estimator(self, est, path):
        name = _class_name(est)
        params = self._params(est, path)
        skip = _NET_ATTRS | set(est.get_params(deep=False))
        state = {}
        for key, value in vars(est).items():
            if key in skip:
                continue
            state[key] = self.encode(value, f"{path}.{key}")
        out = {"__type__": "estimator", "class": name, "params": params}
        out["state"] = state
        net = vars(est).get("net_")
        if net is not None:
            out["net"] = {
                "module": self._state_dict(net.module_, f"{path}.net_.module_"),
                "criterion": self._state_dict(
                    net.criterion_, f"{path}.net_.criterion_"
                ),
            }
            history = vars(est).get("history_")
            out["history"] = _plain_history(history, self.notes, type(est).__name__)
        return out

    def _state_dict(self, module, path):
        return {
            k: self._tensor(f"{path}.{k}", v) for k, v in module.state_dict().items()
        }


def _plain_history(history, notes, owner):
    """Return the skorch history as plain JSON (per-epoch numbers).

    A key whose values are not plain numbers (a callback recorded an array or
    an object) is left out of every epoch, with a note; the rest is kept.
    """
    rows = history.to_list() if history else []
    try:  # the common case: every value is a number
        return json.loads(json.dumps(rows, default=_number))
    except (TypeError, ValueError):
        pass
    dropped = {key for row in rows for key, value in row.items() if not _plain(value)}
    if dropped:
        notes.append(
            f"{owner}.history_ keys {sorted(dropped)} hold values that are not "
            "plain numbers; they are not saved (the rest of the history is)."
        )
    rows = [{k: v for k, v in row.items() if k not in dropped} for row in rows]
    return json.loads(json.dumps(rows, default=_number))


def _plain(value) -> bool:
    """Whether ``value`` can be stored as JSON (numbers, lists of them)."""
    try:
        json.dumps(value, default=_number)
    except (TypeError, ValueError):
        return False
    return True


def _number(value):
    if isinstance(value, np.generic | torch.Tensor) and np.size(value) == 1:
        return value.item()
    raise TypeError(type(value).__name__)


# Python's scalar types, which numpy and seqlearn accept as dtypes
_BUILTIN_TYPES = {t.__name__: t for t in (bool, int, float, complex)}


def _check_binary(path, verb, mode):
    """Reject what is not a path or a binary file object, before any I/O."""
    if isinstance(path, bytes | bytearray | memoryview) or path is None:
        raise TypeError(
            f"seqlearn.{verb} needs a path or a binary file object, got "
            f"{type(path).__name__}"
            + (" (wrap bytes in io.BytesIO)." if path is not None else ".")
        )
    if isinstance(path, io.TextIOBase):
        raise TypeError(
            f"seqlearn.{verb} needs a path or a binary file object, got a "
            f"text-mode file; open it with open(path, {mode!r})."
        )


def save(estimator, path) -> None:
    """Save a fitted (or unfitted) seqlearn estimator or transformer to a file.

    The file holds the parameters and fitted state as JSON and every array and
    network weight as safetensors, in one zip archive; :func:`load` reads it
    back without running any code from it.  Weights are stored on the CPU, so
    a model trained on a GPU loads on a machine without one.

    Parameters
    ----------
    estimator : estimator
        A seqlearn estimator (``RNNClassifier``, ``SequenceRegressor``,
        ``SequenceTagger``, ``RNNForecaster``, ``CharRNN``,
        ``SequenceTranslator``) or transformer (``VocabularyEncoder``,
        ``WordFeatureEncoder``, ``OneHotSequenceEncoder``, ``SequenceScaler``,
        ``WindowTransformer``).  A scikit-learn ``Pipeline`` is not saved as a
        whole: save its seqlearn steps one by one.
    path : str or path-like or binary file object
        Where to write.  By convention the extension is ``.seqlearn``.

    Raises
    ------
    TypeError
        An unsupported class (a data-parallel ``DataParallelMixin`` subclass
        included: pickle it), a text-mode file object, or a parameter that
        cannot be stored without pickle (e.g. a custom ``tokenizer``
        function).  Training-only
        parameters that cannot be stored (``callbacks``, a ``RandomState``)
        are dropped with a warning.

    Examples
    --------
    >>> import numpy as np, seqlearn, tempfile, os
    >>> from seqlearn.preprocessing import SequenceScaler
    >>> scaler = SequenceScaler().fit([np.arange(4.0), np.arange(3.0)])
    >>> path = os.path.join(tempfile.mkdtemp(), "scaler.seqlearn")
    >>> seqlearn.save(scaler, path)
    >>> seqlearn.load(path).mean_
    array([1.28571429])
    """
    from safetensors.torch import save as save_tensors

    _class_name(estimator)  # the top level must be a seqlearn class
    _check_binary(path, "save", "wb")
    encoder = _Encoder()
    tree = encoder.encode(estimator, "estimator")
    import seqlearn

    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "seqlearn_version": seqlearn.__version__,
        "class": tree["class"],
        "estimator": tree,
    }
    for note in encoder.notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    blob = save_tensors(encoder.tensors) if encoder.tensors else b""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_CONFIG, json.dumps(config))
        archive.writestr(_TENSORS, blob)


# ---------------------------------------------------------------- decoding
class _Decoder:
    """Rebuild an object tree from tagged JSON and a dict of tensors."""

    def __init__(self, tensors):
        self.tensors = tensors
        self.notes = []  # warnings for the caller of load

    def lookup(self, key):
        if not isinstance(key, str) or key not in self.tensors:
            raise ValueError(f"the file references a missing tensor {key!r}.")
        return self.tensors[key]

    def decode(self, obj):
        if obj is None or isinstance(obj, bool | int | float | str):
            return obj
        if isinstance(obj, list):
            return [self.decode(v) for v in obj]
        if not isinstance(obj, dict):
            raise ValueError(f"unexpected JSON value of type {type(obj).__name__}.")
        kind = obj.get("__type__")
        method = getattr(self, f"_{kind}", None) if isinstance(kind, str) else None
        if method is None:
            raise ValueError(f"unknown entry type {kind!r} in the file.")
        return method(obj)

    def _npscalar(self, obj):
        return np.dtype(obj["dtype"]).type(obj["value"])

    def _ndarray(self, obj):
        return self.lookup(obj["key"]).numpy().copy()

    def _tensor(self, obj):
        return self.lookup(obj["key"]).clone()

    def _ndarray_list(self, obj):
        dtype = np.dtype(obj["dtype"])
        if dtype.kind not in "USO":
            raise ValueError(f"unexpected array dtype {dtype} in the file.")
        items = [self.decode(v) for v in obj["items"]]
        arr = np.empty(len(items), dtype=dtype)
        arr[:] = items
        return arr.reshape(obj["shape"])

    def _tuple(self, obj):
        return tuple(self.decode(v) for v in obj["items"])

    def _set(self, obj):
        return {self._key(v) for v in obj["items"]}

    def _frozenset(self, obj):
        return frozenset(self._set(obj))

    def _dict(self, obj):
        return {self._key(k): self.decode(v) for k, v in obj["items"]}

    def _counter(self, obj):
        return collections.Counter(self._dict(obj))

    def _key(self, key):
        key = self.decode(key)
        return tuple(key) if isinstance(key, list) else key

    def _dtype(self, obj):
        dtype = np.dtype(obj["name"])
        if dtype.kind == "O":
            raise ValueError("object dtypes are not loaded from a file.")
        return dtype.type if obj["scalar_type"] else dtype

    def _builtin_type(self, obj):
        if obj["name"] not in _BUILTIN_TYPES:
            raise ValueError(f"unknown type {obj['name']!r} in the file.")
        return _BUILTIN_TYPES[obj["name"]]

    def _device(self, obj):
        return torch.device(obj["name"])

    def _optimizer(self, obj):
        cls = getattr(torch.optim, str(obj["name"]), None)
        if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
            raise ValueError(f"unknown optimizer {obj['name']!r} in the file.")
        return cls

    def _range_index(self, obj):
        return pd.RangeIndex(
            int(obj["start"]), int(obj["stop"]), int(obj["step"]),
            name=self.decode(obj["name"]),
        )  # fmt: skip

    def _datetime_index(self, obj):
        values = self.decode(obj["values"]).astype(f"datetime64[{obj['unit']}]")
        index = pd.DatetimeIndex(values, name=self.decode(obj["name"]))
        if obj["tz"] is not None:
            index = index.tz_localize("UTC").tz_convert(obj["tz"])
        if obj["freq"] is not None:
            index = pd.DatetimeIndex(index, freq=obj["freq"])
        return index

    def _period_index(self, obj):
        return pd.PeriodIndex.from_ordinals(
            self.decode(obj["values"]), freq=obj["freq"]
        ).rename(self.decode(obj["name"]))

    def _index(self, obj):
        return pd.Index(self.decode(obj["values"]), name=self.decode(obj["name"]))

    def _estimator(self, obj):
        cls = _allowed_class(obj.get("class"))
        params = self._dict_of(obj.get("params"), "params")
        try:
            est = cls(**params)
        except TypeError as exc:
            raise ValueError(
                f"the file's parameters do not fit {cls.__name__}: {exc}"
            ) from None
        if hasattr(est, "_parameter_constraints"):  # an edited file, say
            try:
                est._validate_params()
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"the file's parameters are invalid for {cls.__name__}: {exc}"
                ) from None
        vars(est).update(self._dict_of(obj.get("state"), "state"))
        if "net" in obj:
            _restore_net(est, obj["net"], obj.get("history", []), self)
        return est

    def _dict_of(self, obj, what):
        if not isinstance(obj, dict):
            raise ValueError(f"the estimator's {what} are missing from the file.")
        return {str(k): self.decode(v) for k, v in obj.items()}


def _cpu_if_no_cuda(est, notes):
    """Point a CUDA-trained estimator at the CPU when this machine has no GPU."""
    from seqlearn.base import resolve_device

    device = str(resolve_device(est.device))
    if device.startswith("cuda") and not torch.cuda.is_available():
        notes.append(
            f"{type(est).__name__} was saved with device={est.device!r}, but CUDA is "
            "not available here; it is loaded on the CPU (device='cpu')."
        )
        est.device = "cpu"


def _restore_net(est, net_entry, history, decoder):
    """Rebuild ``net_`` through the estimator's own hook and load the weights."""
    from skorch.history import History

    _cpu_if_no_cuda(est, decoder.notes)
    module_sd = {k: decoder.lookup(v) for k, v in dict(net_entry["module"]).items()}
    criterion_sd = {
        k: decoder.lookup(v) for k, v in dict(net_entry["criterion"]).items()
    }
    try:
        est._restore_net(module_sd, criterion_sd)
    except (RuntimeError, KeyError) as exc:
        raise ValueError(
            f"the weights in the file do not fit the {type(est).__name__} network "
            f"its parameters describe: {exc}"
        ) from None
    est.net_.history = History(history if isinstance(history, list) else [])
    est.history_ = est.net_.history


def load(path):
    """Load an estimator or transformer written by :func:`save`.

    No code from the file is executed: the configuration is JSON, the arrays
    are safetensors, and only allow-listed seqlearn classes are instantiated.
    A model saved on a GPU is loaded onto the CPU when CUDA is not available.

    Parameters
    ----------
    path : str or path-like or binary file object
        A file written by :func:`save`.

    Returns
    -------
    estimator
        The estimator, with the same parameters, fitted state and predictions
        as the one saved.

    Raises
    ------
    TypeError
        ``path`` is a text-mode file object, bytes (wrap them in
        ``io.BytesIO``) or None.
    ValueError
        The file is not a seqlearn model file (corrupt, truncated, foreign),
        was written by a newer format version, names a class outside the
        allow-list, or holds parameters the class refuses.
    """
    from safetensors.torch import load as load_tensors

    _check_binary(path, "load", "rb")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if names != {_CONFIG, _TENSORS}:
                raise ValueError(
                    f"the archive holds {sorted(names)}, not {_CONFIG} and {_TENSORS}."
                )
            if any(i.compress_type != zipfile.ZIP_STORED for i in archive.infolist()):
                # save stores members uncompressed: a compressed member could
                # inflate to any size (a zip bomb) before it is even parsed
                raise ValueError("its members are compressed; save never does.")
            config = json.loads(archive.read(_CONFIG).decode("utf-8"))
            blob = archive.read(_TENSORS)
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise ValueError("it has no seqlearn model configuration.")
        version = config.get("format_version")
        if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
            raise ValueError(
                f"it has format version {version!r}; this seqlearn reads versions "
                f"up to {FORMAT_VERSION} (was it saved by a newer seqlearn?)."
            )
        _allowed_class(config.get("class"))
        tensors = load_tensors(blob) if blob else {}
        tree = config.get("estimator")
        if not isinstance(tree, dict) or tree.get("__type__") != "estimator":
            raise ValueError("it holds no estimator.")
        decoder = _Decoder(tensors)
        estimator = decoder.decode(tree)
    except OSError:
        raise  # a missing file or a permission error is not a format problem
    except Exception as exc:
        # whatever a corrupt, truncated or foreign file makes the readers raise
        # (zip, JSON, safetensors, numpy, pandas), the caller sees one error
        raise ValueError(f"Not a seqlearn model file {path!r}: {exc}") from exc
    for note in decoder.notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return estimator
