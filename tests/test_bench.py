"""make bench's own checks: it needs the whole tool installed (make bench installs [test])."""
import pytest

from helpers import assert_one_line_error


def test_make_bench_gpu_refuses_in_one_line_on_a_machine_without_a_gpu(capsys, tmp_path):
    import bench  # tools/bench.py: importing it checks its parts are all defined

    assert set(bench.LOCAL_PARTS) <= set(bench.PARTS) and "gpu" in bench.PARTS
    if bench.run_worker("gpus")["gpus"]:
        pytest.skip("this machine has a GPU: make bench-gpu would measure it")
    output = tmp_path / "BENCHMARKS.md"
    status = bench.main(["--parts", "gpu", "--output", str(output)])
    assert_one_line_error(status, capsys.readouterr().err, "no GPU", "make bench-gpu")
    assert not output.exists()
