"""The teaching experiments: each measured outcome on its quick configuration, and the command."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments import (
    run_adversarial,
    run_all,
    run_initialization,
    run_real_data,
    run_saturation,
    run_symmetry,
)
from experiments.adversarial import fgsm
from experiments.symmetry import EQUAL_ROWS_TOLERANCE

SEED = 0


@pytest.fixture(scope="module")
def symmetry():
    return run_symmetry(seed=SEED, quick=True)


@pytest.fixture(scope="module")
def saturation():
    return run_saturation(seed=SEED, quick=True)


@pytest.fixture(scope="module")
def initialization():
    return run_initialization(seed=SEED, quick=True)


@pytest.fixture(scope="module")
def real_data():
    pytest.importorskip("sklearn")
    return run_real_data(seed=SEED, quick=True)


@pytest.fixture(scope="module")
def adversarial(real_data):
    return run_adversarial(seed=SEED, quick=True, network=real_data.cancer)


# --- 1. symmetry ---------------------------------------------------------------------------------


def test_zero_and_constant_init_keep_rows_of_W1_equal_for_all_of_training(symmetry):
    for arm in symmetry.symmetric_arms:
        history = arm.W1_history
        assert history.shape == (symmetry.iterations, symmetry.layer_dims[1], symmetry.layer_dims[0])
        assert np.abs(history - history[:, :1, :]).max() <= EQUAL_ROWS_TOLERANCE, arm.name
    constant = symmetry.arms[1]
    assert np.abs(constant.W1_history[-1] - constant.W1_history[0]).max() > 0.1  # moved, but together


def test_small_random_init_gives_distinct_units_and_a_lower_cost(symmetry):
    random = symmetry.random_arm
    assert random.final_min_row_distance > 1e-3
    assert all(random.costs[-1] < arm.costs[-1] for arm in symmetry.symmetric_arms)
    assert symmetry.supported
    assert symmetry.verdict.startswith("Supported.")


def test_symmetry_verdict_follows_the_numbers(symmetry):
    # break the symmetry of the zero-init run by hand: the verdict must turn
    zeros = symmetry.arms[0]
    broken_history = zeros.W1_history.copy()
    broken_history[-1, 1, 0] += 1e-6
    broken = dataclasses.replace(zeros, W1_history=broken_history)
    result = dataclasses.replace(symmetry, arms=(broken, *symmetry.arms[1:]))
    assert not result.supported
    assert result.verdict.startswith("Not supported.")
    assert "1e-06 (zeros)" in result.verdict


# --- 2. saturation -------------------------------------------------------------------------------


def test_large_weights_saturate_units_and_learn_slower(saturation):
    for activation in ("sigmoid", "tanh"):
        small, large = saturation.arm(activation, 0.01), saturation.arm(activation, 10.0)
        assert large.saturated_fraction > 0.5 > small.saturated_fraction
        assert large.mean_slope < 0.1 < small.mean_slope
        assert large.relative_gradient_norms[0] < small.relative_gradient_norms[0]
        assert large.costs[-1] > small.costs[-1]
        assert large.train_accuracy < small.train_accuracy
    assert saturation.supported


# --- 3. initialisation ---------------------------------------------------------------------------


def test_he_beats_zeros_and_small_random_in_a_deep_relu_network(initialization):
    zeros = initialization.arm("relu", "zeros")
    small = initialization.arm("relu", "small_random")
    he = initialization.arm("relu", "he")
    assert np.all(zeros.gradient_norms[:-1] == 0)  # every hidden weight gets exactly no gradient
    assert he.gradient_norms[0] > 1e-3
    assert small.gradient_norms[0] < 1e-6 * he.gradient_norms[0]
    assert he.layer_spread < 100
    assert he.learned and not zeros.learned and not small.learned


def test_xavier_trains_a_deep_tanh_network(initialization):
    xavier = initialization.arm("tanh", "xavier")
    assert xavier.learned
    assert initialization.arm("tanh", "small_random").gradient_norms[0] < 1e-6 * xavier.gradient_norms[0]
    assert initialization.supported


# --- 4. real data --------------------------------------------------------------------------------


def test_breast_cancer_accuracy_and_agreement_with_sklearn(real_data):
    cancer = real_data.cancer
    assert cancer.test_accuracy > 0.9
    assert abs(cancer.test_accuracy - cancer.sklearn_test_accuracy) <= 0.05
    for comparison in real_data.comparisons:
        assert comparison.cost_gap <= 0.05
        assert len(comparison.costs) == len(comparison.sklearn_costs) == comparison.iterations
    assert real_data.supported


def test_sklearn_is_configured_as_plain_full_batch_gradient_descent(real_data):
    for comparison in real_data.comparisons:
        model = comparison.sklearn_model
        assert model.solver == "sgd" and model.momentum == 0 and model.alpha == 0
        assert model.batch_size == comparison.split.X_train.shape[1]
        assert model.n_iter_ == comparison.iterations  # no early stop
        assert model.hidden_layer_sizes == comparison.layer_dims[1:-1]


def test_split_is_standardised_on_the_training_part(real_data):
    split = real_data.cancer.split
    assert split.X_train.shape[0] == 30 and split.X_train.shape[1] + split.X_test.shape[1] == 569
    np.testing.assert_allclose(split.X_train.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(split.X_train.std(axis=1), 1, atol=1e-12)


# --- 5. adversarial ------------------------------------------------------------------------------


def test_fgsm_lowers_accuracy_more_than_random_noise(adversarial):
    clean = adversarial.clean_accuracy
    attacked = adversarial.fgsm_accuracy[1:]
    assert np.all(attacked < clean)
    assert np.all(np.diff(adversarial.fgsm_accuracy) <= 0.02)  # non-increasing in ε, roughly
    assert adversarial.fgsm_accuracy[-1] < adversarial.random_accuracy[-1] - 0.3
    assert np.all(np.diff(adversarial.fgsm_cost) > 0)
    assert adversarial.supported


def test_fgsm_fools_the_digits_network_with_small_pixel_changes(adversarial):
    digits = adversarial.digits
    k = digits.shown_index
    assert digits.fgsm_accuracy[0] > 0.95
    assert digits.fgsm_accuracy[k] < 0.5 < digits.random_accuracy[k]
    assert digits.adversarial_images.min() >= 0 and digits.adversarial_images.max() <= 1
    changed = np.abs(digits.adversarial_images - digits.clean_images)
    assert changed.max() <= digits.shown_epsilon + 1e-12
    assert np.all((digits.clean_probability > 0.5) == (digits.labels == digits.classes[1]))


def test_dA0_is_m_times_the_input_gradient(adversarial):
    assert adversarial.gradient_check_error < 1e-6


def test_fgsm_moves_every_feature_by_epsilon(real_data):
    net = real_data.cancer
    X, Y = net.split.X_test, net.split.Y_test
    X_adv = fgsm(X, Y, net.parameters, net.hidden_activation, 0.25)
    moved = np.abs(X_adv - X)
    assert np.all((np.isclose(moved, 0.25)) | (moved == 0))
    assert np.mean(moved > 0) > 0.9


# --- the command ---------------------------------------------------------------------------------


def _run_command(out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from experiments.command import run

    code = run(argparse.Namespace(out=out, seed=SEED, quick=True))
    return code, capsys.readouterr().out


def test_command_writes_reports_with_the_same_bytes_for_the_same_seed(tmp_path, capsys):
    pytest.importorskip("sklearn")
    first, second = tmp_path / "a", tmp_path / "b"
    code, printed = _run_command(first, capsys)
    assert code == 0
    assert _run_command(second, capsys)[0] == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert Path("experiments.md") in files and Path("experiments.html") in files
    assert len([f for f in files if f.suffix == ".png"]) == 7
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    html = (first / "experiments.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 7
    md = (first / "experiments.md").read_text(encoding="utf-8")
    for link in [line.split("](")[1].rstrip(")") for line in md.splitlines() if line.startswith("![")]:
        assert (first / link).is_file()
    assert printed.count("supported") == 5  # one headline line per experiment


def test_without_sklearn_the_numpy_experiments_still_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` raise ImportError
    outcomes = list(run_all(seed=SEED, quick=True))
    assert [type(o).__name__ for o in outcomes[:3]] == [
        "SymmetryResult",
        "SaturationResult",
        "InitializationResult",
    ]
    assert all(isinstance(o, tuple) and "pip install" in o[1] for o in outcomes[3:])
    code, printed = _run_command(tmp_path, capsys)
    assert code == 2
    assert "SKIPPED" in printed
    assert "skipped" in (tmp_path / "experiments.html").read_text(encoding="utf-8")


def test_import_experiments_needs_neither_sklearn_nor_matplotlib():
    code = "import sys, experiments; assert 'sklearn' not in sys.modules and 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_notebook_can_render_chosen_results(symmetry, saturation):
    from experiments.report import build_sections, render_html, render_markdown

    sections = build_sections([symmetry, saturation])
    markdown = render_markdown(sections, seed=SEED, quick=True)
    html = render_html(sections, seed=SEED, quick=True)
    for result in (symmetry, saturation):
        assert result.claim in markdown and result.headline in markdown
        assert result.title in html
    assert "Not supported" not in markdown
