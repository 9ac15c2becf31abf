"""The official code tables (ingest.reference): typed rows, "NA" as missing, departments unpadded."""

from __future__ import annotations

from pathlib import Path

from ingest.reference import contract_rows, contract_table, qpv_rows, qpv_table

ROOT = Path(__file__).resolve().parent.parent


def test_qpv_table_of_the_project() -> None:
    rows = qpv_table(ROOT / "reference")
    assert len(rows) > 1000
    maubeuge = [r for r in rows if r.siren_epci == "200043396"]
    assert maubeuge and all(r.code.startswith("QN059") and r.department == "59" for r in maubeuge)
    assert all(r.code and r.name and r.insee for r in rows)


def test_contract_table_of_the_project() -> None:
    rows = {r.key: r for r in contract_table(ROOT / "reference")}
    assert rows["200043396"].code == "CN05903M"
    assert rows["200043396"].department == "59" and " - " not in rows["200043396"].name


def test_missing_values_and_padded_departments(tmp_path: Path) -> None:
    (tmp_path / "qpv.csv").write_text(
        "code_qp,lib_qp,insee_reg,lib_reg,insee_dep,lib_dep,insee_com,lib_com,siren_epci,lib_epci\n"
        'QN97101X,Quartier,01,Guadeloupe,971,Guadeloupe,97101,Abymes,NA,"Cap ""Excellence"""\n'
        "NA,skipped,,,,,,,,\n", encoding="utf-8")
    (row,) = qpv_rows(tmp_path / "qpv.csv")
    assert (row.siren_epci, row.epci, row.department) == ("", "Cap Excellence", "971")
    (tmp_path / "cv.csv").write_text("codgeo,code_cv,lib_cv,insee_dep,pop\n200040350,CN00101I,01 - CC Bugey Sud,001,5\n",
                                     encoding="utf-8")
    (contract,) = contract_rows(tmp_path / "cv.csv")
    assert (contract.name, contract.department) == ("CC Bugey Sud", "01")
    assert qpv_rows(tmp_path / "absent.csv") == ()


def test_epci_names_match_whatever_their_kind_words() -> None:
    from ingest.reference import epci_by_name, epci_key

    assert epci_key("Communauté d'Agglomération Maubeuge-Val de Sambre") == epci_key("CA Maubeuge Val de Sambre")
    rows = qpv_table(ROOT / "reference")
    candidates = {(r.siren_epci, r.epci) for r in rows if r.siren_epci}
    assert epci_by_name("Communauté d'agglomération Maubeuge Val de Sambre", candidates, 90) == "200043396"
    assert epci_by_name("Valenciennes Métropole", candidates, 90) == "245901160"
    assert epci_by_name("Communauté d'agglomération", candidates, 90) is None  # kind words only
    assert epci_by_name("Agglomération de Nulle-Part-sur-Mer", candidates, 90) is None
