"""What the machine's CPU can do: the figures of a bench run only compare on the same kind of CPU.

The 2-core machines this project runs on are not all alike. On an AMD EPYC with AVX-512 and VNNI (2.6 GHz)
the int8 encoder and reader run about 4x the float32 rate; on one with AVX2 only (2.0 GHz) int8 is no faster
than float32 and one 128-token read of the reader costs ~47 ms instead of ~7.5 ms. The bench names the CPU in
its table and computes each peak from the instructions this CPU has, not from constants of another machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.index.onnx_encoder import usable_cores

CPUINFO = Path("/proc/cpuinfo")


@dataclass(frozen=True)
class CpuInfo:
    """The CPU model, usable cores, clock (GHz, 0 when unknown) and the vector instruction sets the bench names."""

    model: str
    cores: int
    ghz: float
    flags: frozenset[str]

    @property
    def isa(self) -> str:
        """The widest float32 vector set and the int8 dot-product instructions, as a reader would name them."""
        vector = "AVX-512" if "avx512f" in self.flags else "AVX2" if "avx2" in self.flags else "SSE"
        if "avx512_vnni" in self.flags:
            return f"{vector} with VNNI"
        if "avx_vnni" in self.flags:
            return f"{vector} with AVX-VNNI"
        return f"{vector}, no VNNI (int8 runs no faster than float32)"

    @property
    def peak_gops(self) -> dict[str, float]:
        """Multiply-add peak (x2, GOP/s) for float32 and, with VNNI, int8: 2 FMA pipes a core assumed."""
        lanes = 16 if "avx512f" in self.flags else 8 if "avx2" in self.flags else 4
        peaks = {"float32": self.cores * self.ghz * 2 * lanes * 2}
        if "avx512_vnni" in self.flags or "avx_vnni" in self.flags:  # VPDPBUSD: 4 int8 MACs a 32-bit lane
            peaks["int8"] = peaks["float32"] * 4
        return peaks if self.ghz > 0 else {}

    def describe(self) -> str:
        clock = f", {self.ghz:.1f} GHz" if self.ghz > 0 else ""
        return f"{self.model}, {self.cores} cores{clock}, {self.isa}"


@lru_cache(maxsize=4)  # the table is rewritten after every row, and names the CPU each time
def cpu_info(cpuinfo: Path = CPUINFO) -> CpuInfo:
    """This machine's CPU, read from /proc/cpuinfo (Linux); "unknown" fields elsewhere."""
    cores = usable_cores()  # the cores this process may run on, as the encoder counts them
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return CpuInfo("unknown CPU", cores, 0.0, frozenset())
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:  # the first processor's fields
            fields[key.strip()] = value.strip()
    try:
        ghz = float(fields.get("cpu MHz", "0")) / 1000
    except ValueError:
        ghz = 0.0
    return CpuInfo(fields.get("model name", "unknown CPU"), cores, ghz, frozenset(fields.get("flags", "").split()))
