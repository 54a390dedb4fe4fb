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


def test_the_no_op_is_set_against_its_ansible_floor_without_a_verdict():
    row = rounds(ansible_fresh=[7.0, 7.0, 7.0], shell_fresh=[10.0, 12.0, 11.0], ansible_noop=[6.0, 6.6, 6.6],
                 ansible_floor=[4.0, 6.0, 5.0])
    goals = dict((goal, (measured, target, met)) for goal, measured, target, met in host_build.goals({20: row}, 20))
    # Paired: 4/10, 6/12, 5/11; and 6/4, 6.6/6, 6.6/5.
    assert goals["Ansible floor of the no-op's shape / shell floor"] == ("0.45x (5.0 s)", "-", None)
    assert goals["20-node no-op re-run / its Ansible floor"] == ("1.32x", "-", None)


def test_the_recap_shape_is_read_from_the_play_recap():
    recap = "localhost                  : ok=30   changed=0    unreachable=0    failed=0    skipped=21   rescued=0 "
    assert host_build.recap_shape("PLAY RECAP ***\n" + recap) == (30, 21)
    assert host_build.recap_shape("no recap") is None


def test_the_teardown_is_set_against_its_ansible_floor_without_a_verdict():
    row = rounds(ansible_fresh=[8.0, 6.0, 7.0], ansible_bmc_tag=[3.0, 3.0, 3.0], ansible_teardown=[5.0, 4.0, 4.5],
                 teardown_floor=[4.0, 3.6, 4.2])
    goals = dict((goal, (measured, target, met)) for goal, measured, target, met in host_build.goals({20: row}, 20))
    # Paired: 4/8, 3.6/6, 4.2/7 (not 3.6 / 8, best against best).
    assert goals["Ansible floor of the teardown's shape / the build"] == ("0.60x (4.0 s)", "-", None)
