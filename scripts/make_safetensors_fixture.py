#!/usr/bin/env python3
"""Writes the safetensors test fixture with the reference implementation (Python `safetensors`).

    scripts/make_safetensors_fixture.py            # writes the fixture and its expected values
    scripts/make_safetensors_fixture.py --check F  # loads F (e.g. written by our Swift writer)
                                                   # with the reference and prints its tensors

Outputs, in Tests/ModelFormatTests/Fixtures/safetensors/:
  mixed.safetensors     tensors of F32, F16, BF16, F64, I8, U8, BOOL, I32, I64, an empty tensor
                        (shape [0]), a scalar (shape []), a non-ASCII name, and metadata with
                        escapes; float tensors include -0, +-inf, NaN and subnormals.
  mixed.expected.json   {"metadata": {...}, "order": [names in data-offset order],
                         "tensors": {name: {"dtype", "shape", and "float_bits" (the value each
                         element converts to, as float32 bit patterns, so NaN/inf/-0 are exact)
                         or "ints"}}}
Made with safetensors 0.8.0 and numpy 2.4 (uses `safetensors.TensorSpec`, added in 0.7).
"""
import json
import os
import struct
import sys

import numpy as np
import safetensors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "BERTTests", "Fixtures", "safetensors")

# Reference dtype name -> (constructor-style name for TensorSpec, numpy storage type).
STORAGE = {
    "F32": ("float32", np.float32), "F16": ("float16", np.float16), "BF16": ("bfloat16", np.uint16),
    "F64": ("float64", np.float64), "I8": ("int8", np.int8), "U8": ("uint8", np.uint8),
    "BOOL": ("bool", np.bool_), "I32": ("int32", np.int32), "I64": ("int64", np.int64),
}


def tensors():
    """name -> (dtype, shape, numpy array in storage type)."""
    bf16_bits = np.array([0x3F80, 0xC040, 0x7F80, 0x0001, 0x8000, 0x7FC0], dtype=np.uint16)  # 1, -3, inf, tiny, -0, nan
    return {
        "f32.matrix": ("F32", [2, 3], np.arange(6, dtype=np.float32) * 0.5 - 1.0),
        "f32.special": ("F32", [5], np.array([-0.0, np.inf, -np.inf, np.nan, 1e-45], dtype=np.float32)),
        "f16.values": ("F16", [2, 4], np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 2.0**-24, np.inf, np.nan],
                                               dtype=np.float16)),
        "bf16.values": ("BF16", [3, 2], bf16_bits),
        "f64.values": ("F64", [4], np.array([0.1, -1e300, 3.0, 1e-50], dtype=np.float64)),
        "i8.values": ("I8", [4], np.array([-128, -1, 0, 127], dtype=np.int8)),
        "u8.values": ("U8", [3], np.array([0, 128, 255], dtype=np.uint8)),
        "bool.flags": ("BOOL", [3], np.array([True, False, True])),
        "i32.values": ("I32", [2, 2], np.array([-2**31, -1, 0, 2**31 - 1], dtype=np.int32)),
        "i64.values": ("I64", [3], np.array([-2**63, 1, 2**63 - 1], dtype=np.int64)),
        "empty": ("F32", [0], np.zeros(0, dtype=np.float32)),
        "scalar": ("F32", [], np.array(42.5, dtype=np.float32)),
        "unicode.\u00fc.name": ("I32", [1], np.array([7], dtype=np.int32)),
    }


METADATA = {"format": "pt", "note": 'line1\nline2 "quoted" \u00fc \\ tab\t'}


def float_bits(dtype, array):
    """The float32 bit pattern each element converts to."""
    if dtype == "BF16":
        as_f32 = (array.astype(np.uint32) << 16).view(np.float32)
    else:
        with np.errstate(over="ignore", under="ignore"):
            as_f32 = array.astype(np.float32)
    return [int(b) for b in as_f32.reshape(-1).view(np.uint32)]


def write_fixture():
    os.makedirs(OUT, exist_ok=True)
    specs, expected = {}, {}
    table = tensors()
    for name, (dtype, shape, array) in table.items():
        array = np.ascontiguousarray(array)
        specs[name] = safetensors.TensorSpec(dtype=STORAGE[dtype][0], shape=shape,
                                             data_ptr=array.ctypes.data, data_len=array.nbytes)
        entry = {"dtype": dtype, "shape": shape}
        if dtype in ("F32", "F16", "BF16", "F64"):
            entry["float_bits"] = float_bits(dtype, array)
        else:
            entry["ints"] = [int(v) for v in array.reshape(-1)]
        expected[name] = entry
    path = os.path.join(OUT, "mixed.safetensors")
    # The reference writes `__metadata__` in hash-map order, which varies between runs; retry until
    # it comes out sorted, as our writer writes it, so the Swift test can demand identical bytes.
    for _ in range(100):
        safetensors.serialize_file(specs, path, metadata=METADATA)  # arrays stay alive via `table`
        with open(path, "rb") as f:
            content = f.read()
        (n,) = struct.unpack("<Q", content[:8])
        header = json.loads(content[8:8 + n])
        if list(header["__metadata__"]) == sorted(METADATA):
            break
    else:
        sys.exit("the reference never wrote the metadata keys in sorted order")

    # Cross-check with the reference reader, and record the data order.
    order = sorted((v["data_offsets"], k) for k, v in header.items() if k != "__metadata__")
    for name, info in safetensors.deserialize(content):
        assert info["dtype"] == expected[name]["dtype"] and list(info["shape"]) == expected[name]["shape"], name
        dtype, _, array = table[name]
        assert bytes(info["data"]) == np.ascontiguousarray(array).tobytes(), name
    with open(os.path.join(OUT, "mixed.expected.json"), "w") as f:
        json.dump({"metadata": METADATA, "order": [k for _, k in order], "tensors": expected},
                  f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {path} ({len(content)} bytes, header {n} bytes, {len(expected)} tensors)")


def check(path):
    """Loads `path` with the reference implementation; exits non-zero if it refuses the file."""
    with open(path, "rb") as f:
        content = f.read()
    try:
        loaded = safetensors.deserialize(content)
    except Exception as error:  # the reference's SafetensorError
        print(f"{path}: rejected by safetensors {safetensors.__version__}: {error}")
        sys.exit(1)
    (n,) = struct.unpack("<Q", content[:8])
    print(f"{path}: accepted by safetensors {safetensors.__version__}: header {n} bytes, {len(loaded)} tensors")
    with safetensors.safe_open(path, framework="numpy") as f:
        print("  metadata:", f.metadata())
    for name, info in loaded:
        print(f"  {name}: {info['dtype']} {list(info['shape'])} {len(info['data'])} bytes")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    elif len(sys.argv) == 1:
        write_fixture()
    else:
        print(__doc__)
        sys.exit(2)
