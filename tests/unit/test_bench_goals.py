"""bench/host_build.py: each ratio is paired within a round, never best against best."""
import importlib.util
import pathlib

SPEC = importlib.util.spec_from_file_location(
    "host_build", pathlib.Path(__file__).resolve().parents[2] / "bench" / "host_build.py")
host_build = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(host_build)


def rounds(**values):
    return values


def test_a_ratio_pairs_the_runs_of_one_round():
    # Best against best would say 7 / 10 = 0.70x, met; each round alone is slower than that.
    row = rounds(ansible_fresh=[7.0, 9.0, 8.0], shell_fresh=[11.0, 12.0, 10.0], ansible_noop=[5.0, 6.0, 5.5],
                 ansible_bmc_tag=[3.0, 5.0, 3.5], ansible_teardown=[3.5, 4.5, 4.4])
    goals = dict((goal.split(" ", 1)[1], (measured, met)) for goal, measured, _target, met
                 in host_build.goals({20: row}, 20))
    measured, met = goals["fresh build / shell floor"]
    assert measured.startswith("0.75x (8.0 s / 11.0 s)") and not met
    measured, met = goals["teardown / its build"]
    assert measured.startswith("0.50x") and met
    assert goals["bmc on the built 20-node lab"] == ("3.5 s", True)


def test_the_per_node_cost_is_fitted_over_the_medians():
    rows = {5: rounds(ansible_fresh=[6.0, 60.0, 6.0]), 50: rounds(ansible_fresh=[10.5, 10.5, 1.0])}
    goals = host_build.goals(rows, 20)
    assert goals == [("per-node cost of a fresh build (fit over 5, 50 nodes)", "0.100 s", "<= 0.15 s", True)]
