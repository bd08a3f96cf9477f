"""Every catalogued mistake, planted in a course-style learner file, is flagged on exactly the
gradients it corrupts and named; hand-written mistakes in the two-layer style are named too, layer
by layer; a mistake the catalogue does not hold is reported honestly, without a name."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from verification.architectures import HIDDEN_ACTIVATIONS, Architecture, make_problem
from verification.catalogue import (
    MISTAKE_IDS,
    MISTAKES,
    WHERE,
    MistakeRaisedError,
    get_mistake,
    learner_source,
    reference_backward,
)
from verification.check import architectures_for, check_implementation
from verification.mistakes_command import (
    MistakeOutcome,
    alike_on_some_gradients,
    indistinguishable_pairs,
    invisible_under,
    run_catalogue,
    write_gallery,
)
from verification.oracle import reference_gradients
from verification.tolerances import tolerance_for

HERE = Path(__file__).parent / "learner_code"
REQUIRED_IDS = {
    "missing_divide_by_m",
    "db_sum_wrong_axis",
    "db_missing_keepdims",
    "derivative_at_A_not_Z",
    "missing_activation_derivative",
    "dW_transposed",
    "elementwise_instead_of_matmul",
    "output_sign_flipped",
    "cache_off_by_one",
    "wrong_activation_derivative",
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MistakeOutcome]:
    folder = tmp_path_factory.mktemp("mistakes")
    return {o.mistake.id: o for o in run_catalogue(folder)}


def _corrupted_by(mistake_id: str, hidden: str) -> set[str] | None:
    """Gradients the mistake changes on the architectures `check` uses (None: it raises)."""
    where = get_mistake(mistake_id).template_where
    corrupted: set[str] = set()
    for index, arch in enumerate(architectures_for("l_layer", hidden)):
        parameters, X, Y = make_problem(arch, np.random.default_rng([0, index]))
        right = reference_backward(parameters, X, Y, hidden)
        try:
            wrong = reference_backward(parameters, X, Y, hidden, mistake_id, where)
        except MistakeRaisedError:
            return None
        for name in right:
            if wrong[name].shape != right[name].shape or not np.allclose(
                wrong[name], right[name], 1e-9, 1e-12
            ):
                corrupted.add(name)
    return corrupted


def test_catalogue_holds_the_contract_ids_with_their_parts() -> None:
    assert REQUIRED_IDS <= set(MISTAKE_IDS)
    assert len(MISTAKE_IDS) == len(set(MISTAKE_IDS)) >= 15
    for mistake in MISTAKES:
        assert mistake.explanation and mistake.wrong and mistake.right and mistake.corrupts
        assert mistake.template, mistake.id
        assert learner_source(mistake.id) != learner_source(None)


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_unmistaken_reference_backward_agrees_with_the_oracle(hidden: str) -> None:
    arch = Architecture((5, 4, 3, 2), 7, hidden)
    parameters, X, Y = make_problem(arch, 3)
    mine, oracle = reference_backward(parameters, X, Y, hidden), reference_gradients(parameters, X, Y, hidden)
    tolerance = tolerance_for("float64", "reverse")
    for name, expected in oracle.items():
        np.testing.assert_allclose(mine[name], expected, rtol=tolerance.rtol, atol=tolerance.atol)


@pytest.mark.parametrize("mistake_id", MISTAKE_IDS)
def test_each_mistake_is_flagged_exactly_where_it_corrupts_and_named(
    mistake_id: str, outcomes: dict[str, MistakeOutcome]
) -> None:
    outcome = outcomes[mistake_id]
    result = outcome.result
    assert outcome.caught and outcome.named, str(result)
    expected = _corrupted_by(mistake_id, outcome.hidden)
    if expected is None:  # a shape error: the check is an error, named from the error message
        assert get_mistake(mistake_id).raises
        assert result.verdict == "error" and result.exit_code == 2
        assert result.error_diagnosis == [mistake_id]
        return
    assert result.verdict == "incorrect" and result.exit_code == 1
    assert set(result.not_ok()) == expected
    for name, gradient in result.not_ok().items():
        assert gradient.diagnosis == [mistake_id], (name, gradient.diagnosis)
    assert all(not g.diagnosis for g in result.gradients.values() if g.status == "ok")
    assert result.mistakes == [mistake_id]


@pytest.mark.parametrize(
    ("name", "flagged", "mistake_id", "where"),
    [
        ("two_layer_dW1_missing_m.py", {"dW1"}, "missing_divide_by_m", "hidden"),
        ("two_layer_tanh_of_A.py", {"dW1", "db1"}, "derivative_at_A_not_Z", "hidden"),
        (
            "two_layer_sigmoid_derivative.py",
            {"dW1", "db1"},
            "derivative_formula_of_other_activation",
            "hidden",
        ),
    ],
)
def test_hand_written_two_layer_mistakes_are_named_per_layer(
    name: str, flagged: set[str], mistake_id: str, where: str
) -> None:
    result = check_implementation(HERE / name)
    assert set(result.not_ok()) == flagged
    for gradient in result.not_ok().values():
        assert gradient.diagnosis == [mistake_id]
        assert gradient.where[mistake_id] == where
    assert mistake_id in str(result) and get_mistake(mistake_id).code("two_layer")[1] in str(result)


def test_two_mistakes_at_once_are_named_together() -> None:
    result = check_implementation(HERE / "two_layer_two_mistakes.py")
    assert set(result.not_ok()) == {"dW1", "db1", "dW2", "db2"}
    for name in ("dW1", "dW2"):  # no single mistake gives -m times the right dW
        gradient = result.gradients[name]
        assert gradient.combined and gradient.diagnosis == ["missing_divide_by_m", "output_sign_flipped"]
    for name in ("db1", "db2"):
        assert result.gradients[name].diagnosis == ["output_sign_flipped"]
    assert result.to_json()["gradients"]["dW2"]["combined"] is True
    assert "fix `dW2 = (1 / m) * np.dot(dZ2, A1.T)` together with output_sign_flipped" in str(result)


def test_an_unknown_mistake_is_not_given_a_name() -> None:
    result = check_implementation(HERE / "two_layer_unknown_bug.py")
    assert set(result.not_ok()) == {"dW2"}
    gradient = result.gradients["dW2"]
    assert gradient.status == "wrong" and gradient.diagnosis == []
    assert "yours is 2 × the right value" in gradient.detail
    assert "no catalogued mistake reproduces" in str(result)


def test_invisibility_is_reported_honestly() -> None:
    # relu'(A) = relu'(Z) exactly, so in the hidden layers this mistake cannot be seen under ReLU
    arch = Architecture((5, 4, 3, 2), 7, "relu")
    parameters, X, Y = make_problem(arch, 0)
    right = reference_backward(parameters, X, Y, "relu")
    hidden_only = reference_backward(parameters, X, Y, "relu", "derivative_at_A_not_Z", "hidden")
    for name in right:
        np.testing.assert_array_equal(hidden_only[name], right[name])
    # made in every layer it shows at the sigmoid output; in the hidden layers only, ReLU-like and
    # linear activations hide it (A > 0 exactly where Z > 0; g' = 1)
    assert invisible_under(get_mistake("derivative_at_A_not_Z")) == []
    assert invisible_under(get_mistake("derivative_at_A_not_Z"), "hidden") == ["relu", "leaky_relu", "linear"]
    assert invisible_under(get_mistake("missing_activation_derivative"), "hidden") == ["linear"]
    assert invisible_under(get_mistake("wrong_activation_derivative")) == []
    assert "missing_activation_derivative" not in [m for m in MISTAKE_IDS if invisible_under(get_mistake(m))]
    assert indistinguishable_pairs("tanh") == []
    # the only look-alikes on some gradients: both multiply db by m (dW tells them apart)
    assert alike_on_some_gradients("relu") == [
        ("missing_divide_by_m", "db_not_divided_by_m", ["db1", "db2", "db3", "db4"])
    ]


def test_every_variant_changes_something_except_output_mistakes_in_hidden_layers() -> None:
    arch = Architecture((5, 4, 3, 2), 7, "tanh")
    parameters, X, Y = make_problem(arch, 1)
    right = reference_backward(parameters, X, Y, "tanh")
    unchanged = []
    for mistake in MISTAKES:
        for where in WHERE:
            try:
                wrong = reference_backward(parameters, X, Y, "tanh", mistake.id, where)
            except MistakeRaisedError:
                continue
            changed = [
                n for n in right if wrong[n].shape != right[n].shape or not np.allclose(wrong[n], right[n])
            ]
            if not changed:
                unchanged.append((mistake.id, where))
    assert unchanged == [("output_sign_flipped", "hidden"), ("dAL_second_term_sign", "hidden")]


def test_mistakes_command_and_gallery(
    outcomes: dict[str, MistakeOutcome],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from verification import mistakes_command

    monkeypatch.setattr(mistakes_command, "run_catalogue", lambda **_: list(outcomes.values()))
    assert mistakes_command.run(argparse.Namespace(out=tmp_path)) == 0
    text = capsys.readouterr().out
    total = len(MISTAKE_IDS)
    assert f"{total} mistakes: {total} caught, {total} caught and named" in text
    page = (tmp_path / "mistakes.html").read_text()
    assert all(f'id="{m}"' in page for m in MISTAKE_IDS)
    assert "data:image/png;base64," in page
    assert f"{total} caught, {total} caught and named" in (tmp_path / "mistakes.md").read_text()
    write_gallery(list(outcomes.values())[:2], tmp_path / "two")
    assert (tmp_path / "two" / "mistakes.html").exists()


def test_check_report_has_a_heat_map(outcomes: dict[str, MistakeOutcome], tmp_path: Path) -> None:
    from verification.check import write_reports

    paths = write_reports(outcomes["missing_divide_by_m"].result, tmp_path)
    html = paths[1].read_text()
    assert "INCORRECT" in html and "missing_divide_by_m" in html and "data:image/png;base64," in html
    assert "| `dW1` | wrong |" in paths[0].read_text()
