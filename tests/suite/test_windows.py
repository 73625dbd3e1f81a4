"""Runs where analysts work: Windows code pages, no symbolic links, no make, paths with spaces, accents
and apostrophes. What can be reproduced on Linux is reproduced here."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from amo_analysis.paths import SAMPLE_PORTFOLIO
from amo_analysis.suite import cli as cli_mod
from amo_analysis.suite import runner
from amo_analysis.synth import make_portfolio

WINDOWS_DOC = Path(__file__).resolve().parents[2] / "docs" / "windows.md"


def cli(*args, encoding=None, cwd=None):
    env = dict(os.environ)
    if encoding:
        env["PYTHONIOENCODING"] = encoding  # what Windows uses when output goes to a file or a pipe
    return subprocess.run(
        [sys.executable, "-m", "amo_analysis", *map(str, args)], capture_output=True, env=env, cwd=cwd, timeout=600
    )


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_every_message_reaches_a_console_in_the_system_code_page(encoding):
    result = cli("validate", SAMPLE_PORTFOLIO, encoding=encoding)
    assert result.returncode == 0, result.stderr.decode(encoding, "replace")
    out = result.stdout.decode(encoding)  # what the console shows, decodable in its own encoding
    assert "projects can be analysed" in out
    assert "-> budget_planned" in out  # "→" has no place in cp1252 or ASCII: a look-alike, not a crash
    if encoding == "cp1252":
        assert "Budget prévu" in out  # accented letters the code page has are kept
    else:
        assert "Budget prevu" in out


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_an_input_error_in_a_narrow_code_page_is_still_exit_2_and_one_sentence(tmp_path, encoding):
    missing = tmp_path / "données → 2025.csv"
    result = cli("validate", missing, encoding=encoding)
    err = result.stderr.decode(encoding)
    assert result.returncode == 2, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_console_fallback_maps_characters_to_look_alikes():
    assert "a → b «c» 12\u202f000 ≤ 5".encode("ascii", "amo_analysis.console") == b'a -> b "c" 12 000 <= 5'
    assert "é ∑".encode("cp1252", "amo_analysis.console") == "é ?".encode("cp1252")


def test_latest_falls_back_to_redirect_pages_when_links_cannot_be_made(tmp_path, monkeypatch):
    run_dir = tmp_path / "20261129-101010-abcdef12"
    run_dir.mkdir()
    for page in ("index.html", "01_portfolio_overview.html"):
        (run_dir / page).write_text("<p>report</p>", encoding="utf-8")

    def refuse(*_args, **_kwargs):
        raise OSError(1, "A required privilege is not held by the client")  # Windows without developer mode

    monkeypatch.setattr(Path, "symlink_to", refuse)
    runner._point_latest(tmp_path, run_dir)
    latest = tmp_path / "latest"
    assert latest.is_dir() and not latest.is_symlink()
    index = (latest / "index.html").read_text(encoding="utf-8")
    assert 'http-equiv="refresh"' in index and "../20261129-101010-abcdef12/index.html" in index
    assert (latest / "01_portfolio_overview.html").exists()
    assert (tmp_path / "latest.txt").read_text(encoding="utf-8").strip() == run_dir.name
    # a later run replaces the redirects; where links work again, the folder becomes a link
    second = tmp_path / "20261129-111111-abcdef12"
    second.mkdir()
    (second / "index.html").write_text("<p>newer</p>", encoding="utf-8")
    runner._point_latest(tmp_path, second)
    assert "../20261129-111111-abcdef12/index.html" in (latest / "index.html").read_text(encoding="utf-8")
    monkeypatch.undo()
    runner._point_latest(tmp_path, second)
    assert latest.is_symlink() and latest.resolve() == second.resolve()


def test_a_run_succeeds_when_symbolic_links_cannot_be_created(tmp_path, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "symlink", refuse)
    out = tmp_path / "Mes rapports (v2)"
    outcome = runner.run_suite(SAMPLE_PORTFOLIO, out=out, only=["01"])
    assert outcome.index.exists()
    redirect = (out / "latest" / "index.html").read_text(encoding="utf-8")
    assert f"../{outcome.run_dir.name}/index.html" in redirect
    assert (out / "latest.txt").read_text(encoding="utf-8").strip() == outcome.run_dir.name


def test_lab_opens_jupyterlab_on_the_notebooks_with_this_python(capsys):
    assert cli_mod.main(["lab", "--print-command", "--no-browser", "--port", "8899"]) == 0
    command = capsys.readouterr().out
    assert f"{sys.executable} -m jupyter lab --notebook-dir=" in command
    assert "notebooks" in command and "--port=8899" in command and "--no-browser" in command


def test_lab_on_a_folder_that_does_not_exist_is_an_input_error(tmp_path, capsys):
    assert cli_mod.main(["lab", "--notebooks", str(tmp_path / "nowhere"), "--print-command"]) == 2
    assert "is not a folder of notebooks" in capsys.readouterr().err


def test_the_windows_page_gives_commands_that_exist():
    section = WINDOWS_DOC.read_text(encoding="utf-8")
    assert "py -m venv .venv" in section and "make" not in section.split("```")[1]
    verbs = set(re.findall(r"amo-analysis (\w+)", section))
    assert {"run", "lab"} <= verbs
    known = set(cli_mod.build_parser()._subparsers._group_actions[0].choices)
    assert verbs <= known, verbs - known


@pytest.fixture
def awkward_folder(tmp_path):
    folder = tmp_path / "Mes documents" / "Élodie's files"
    folder.mkdir(parents=True)
    return folder


def test_paths_with_spaces_accents_and_apostrophes(awkward_folder):
    workbook = awkward_folder / "Portefeuille 2025 (v2).xlsx"
    frame = make_portfolio(30, 4)
    frame.to_excel(workbook, index=False, sheet_name="Projets")
    mapping = awkward_folder / "Élodie's mapping (v2).toml"
    mapping.write_text('[columns]\n"project_id" = "project_id"\n', encoding="utf-8")
    result = cli("validate", workbook, "--mapping", mapping)
    assert result.returncode == 0, result.stderr.decode()
    assert "30 projects can be analysed" in result.stdout.decode()
    out = awkward_folder / "Rapports d'Élodie (copie)"
    result = cli("run", "--data", workbook, "--mapping", mapping, "--out", out, "--only", "01")
    assert result.returncode == 0, result.stderr.decode()
    assert (out / "latest" / "index.html").exists()


@pytest.mark.parametrize("variant", ["crlf", "utf-8-bom", "cp1252"])
def test_mapping_files_as_notepad_saves_them(tmp_path, variant):
    # a French header with accents and the practice column renamed: all three must read the same
    frame = make_portfolio(20, 5).rename(columns={"budget_planned": "Budget prévu", "amo": "Assistance MOA"})
    data = tmp_path / "export.csv"
    frame.to_csv(data, index=False)
    text = (
        'practice = { column = "Assistance MOA", name = "AMO", yes = ["True"], no = ["False"] }\n'
        '[columns]\n"Budget prévu" = "budget_planned"\n'
    )
    mapping = tmp_path / "mapping.toml"
    if variant == "crlf":
        mapping.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    elif variant == "utf-8-bom":
        mapping.write_bytes(text.encode("utf-8-sig"))
    else:
        mapping.write_bytes(text.encode("cp1252"))
    result = cli("validate", data, "--mapping", mapping)
    assert result.returncode == 0, result.stderr.decode()
    assert "'Budget prévu' -> budget_planned" in result.stdout.decode("utf-8").replace("→", "->")


def test_the_lock_file_of_an_open_workbook_is_not_taken_for_a_portfolio(tmp_path):
    lock = tmp_path / "~$Portefeuille.xlsx"  # what Excel writes beside a workbook it has open
    lock.write_bytes(b"\x0bElodie" + b"\x00" * 40)
    result = cli("validate", lock)
    err = result.stderr.decode()
    assert result.returncode == 2 and "lock file Excel keeps beside a workbook that is open" in err
    assert "Portefeuille.xlsx" in err and len(err.strip().splitlines()) == 1
