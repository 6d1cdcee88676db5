"""The bench names the CPU it ran on and computes peaks from that CPU's instructions, not another machine's."""

from __future__ import annotations

from bench.cpu import CpuInfo, cpu_info

ZEN5 = """processor\t: 0
model name\t: AMD EPYC 9R45
cpu MHz\t\t: 2600.000
flags\t\t: fpu sse sse2 avx avx2 fma avx512f avx512bw avx512_vnni

processor\t: 1
model name\t: AMD EPYC 9R45
cpu MHz\t\t: 2599.000
flags\t\t: fpu sse sse2 avx avx2 fma avx512f avx512bw avx512_vnni
"""
AVX2 = "model name\t: AMD EPYC\ncpu MHz\t\t: 1996.249\nflags\t\t: fpu sse sse2 avx fma avx2\n"


def test_an_avx512_vnni_cpu_has_an_int8_peak_four_times_its_float32_peak(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(ZEN5, encoding="utf-8")
    info = cpu_info(path)
    assert info.model == "AMD EPYC 9R45" and info.ghz == 2.6
    assert info.isa == "AVX-512 with VNNI"
    per_core = info.peak_gops["float32"] / info.cores
    assert per_core == 2.6 * 64  # 2 FMA pipes x 16 float32 lanes x 2 operations a cycle
    assert info.peak_gops["int8"] == 4 * info.peak_gops["float32"]


def test_an_avx2_cpu_without_vnni_is_named_so_and_has_no_int8_peak(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(AVX2, encoding="utf-8")
    info = cpu_info(path)
    assert "AVX2" in info.isa and "no VNNI" in info.isa
    assert set(info.peak_gops) == {"float32"}
    assert info.peak_gops["float32"] / info.cores == 1.996249 * 32
    assert info.describe().startswith("AMD EPYC, ")


def test_an_unreadable_cpuinfo_gives_an_unknown_cpu_and_no_peaks(tmp_path):
    info = cpu_info(tmp_path / "missing")
    assert info.model == "unknown CPU" and info.peak_gops == {}
    assert info.cores >= 1


def test_this_machine_is_described():
    assert isinstance(cpu_info(), CpuInfo)
    assert "cores" in cpu_info().describe()
