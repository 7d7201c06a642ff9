"""Writes python/*.safetensors with the Python safetensors package, for test_safetensors to
check that save_safetensors writes the same bytes (the tests need no Python).

Made with safetensors 0.7.0 and torch 2.11.0. To remake them (from the repository root; the
package's save_file also needs numpy):

    .venv/bin/pip install safetensors==0.7.0 numpy
    .venv/bin/python tests/io/data/make_python_golden.py

Tensor data follows a pattern the test rebuilds: byte i of a tensor is (37 * i + 11) % 256,
and element i of a BOOL tensor is i % 3 == 0. Metadata has at most one key, because the
package writes several keys in a random order.
"""
import pathlib

import torch
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).parent / "python"

DTYPES = {
    "f64": torch.float64, "f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16,
    "i64": torch.int64, "i32": torch.int32, "i16": torch.int16, "i8": torch.int8,
    "u8": torch.uint8, "bool": torch.bool, "f8e4m3": torch.float8_e4m3fn,
    "f8e5m2": torch.float8_e5m2, "f8e8m0": torch.float8_e8m0fnu, "c64": torch.complex64,
    "u64": torch.uint64, "u32": torch.uint32, "u16": torch.uint16,
}
SHAPES = [(), (0,), (3,), (2, 3), (2, 0, 3), (1, 2, 1, 3)]


def pattern(dtype, shape):
    numel = 1
    for d in shape:
        numel *= d
    if dtype == torch.bool:
        return (torch.arange(numel) % 3 == 0).reshape(shape)
    nbytes = numel * torch.empty((), dtype=dtype).element_size()
    raw = ((torch.arange(nbytes, dtype=torch.int64) * 37 + 11) % 256).to(torch.uint8)
    return raw.view(dtype).reshape(shape)


def main():
    OUT.mkdir(exist_ok=True)
    # Names sort differently from dtypes, so the file shows the package's order.
    every = {f"s{i}.{name}": pattern(dt, shape) for name, dt in DTYPES.items() for i, shape in enumerate(SHAPES)}
    save_file(every, OUT / "all_dtypes.safetensors", metadata={"format": "pt"})
    save_file({k: v for k, v in every.items() if k.startswith("s3.")}, OUT / "no_metadata.safetensors")
    save_file({}, OUT / "no_tensors.safetensors")
    save_file({}, OUT / "metadata_only.safetensors", metadata={"format": "pt"})
    odd = ["", "a\"b", "back\\slash", "new\nline\ttab", "ctl\x01\x1f\x7f", "é ü", "中文", "🙂", "a/b.c-d_e"]
    save_file({n: pattern(torch.float32, (i,)) for i, n in enumerate(odd)}, OUT / "odd_names.safetensors",
              metadata={"k\"e\ny": "välue\\"})
    # One extra header byte at a time: every amount of padding, 0 to 7 spaces.
    for pad in range(8):
        save_file({"x" * (pad + 1): pattern(torch.int8, (2,))}, OUT / f"padding_{pad}.safetensors")


if __name__ == "__main__":
    main()
