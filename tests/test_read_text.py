"""The text reader on real snippets of each seed, and on whole documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.corpus import discover, ingest_file, ingest_paths
from ingest.errors import IngestError
from ingest.model import BlockKind
from ingest.normalise import clean_characters, fold, repair_ocr, strip_markup
from ingest.read.headings import heading_level
from ingest.read.text import text_to_blocks

NARROW = """Dès sa création en 2001, la Com-
munauté d’Agglomération de Valen-
ciennes Métropole s’est appuyée 
sur le Conseil Régional Nord - Pas-de-
Calais, pour la période 2007-
2013, contractualisé uniquement 
entre l’agglomération et l’Etat.
• �les nouveaux contours de la géo-

graphie prioritaire : 18 communes ;
> La DDTM s’engage à accompa-
gner les projets de renouvellements 
urbains.
"""


def texts(content) -> list[str]:
    return [b.text for b in content.blocks]


def test_narrow_columns_are_rejoined_and_real_hyphens_kept() -> None:
    blocks = text_to_blocks(NARROW).blocks
    first = blocks[0].text
    assert "Communauté d'Agglomération de Valenciennes Métropole" in first
    assert "Nord - Pas-de-Calais" in first
    assert "2007-2013" in first
    assert blocks[1].kind == BlockKind.LIST_ITEM
    assert blocks[1].text == "les nouveaux contours de la géographie prioritaire : 18 communes ;"
    assert blocks[2].text.startswith("La DDTM s'engage à accompagner les projets")
    assert (blocks[0].line_start, blocks[0].line_end) == (1, 7)


def test_bold_markup_spanning_lines_becomes_one_heading() -> None:
    content = text_to_blocks("Intro.\n\n**Le quartier du Village\nà Ferrière-la-Grande**\n\nTexte du quartier.\n")
    heading = [b for b in content.blocks if b.kind == BlockKind.HEADING]
    assert [h.text for h in heading] == ["Le quartier du Village à Ferrière-la-Grande"]


def test_tab_separated_rows_stay_rows_with_empty_first_cell() -> None:
    content = text_to_blocks("Commune\tQuartier\nLOUVROIL\tCentre\n\tLongs Prés – Prés du paradis\n")
    rows = [b.text for b in content.blocks if b.kind == BlockKind.TABLE_ROW]
    assert rows == ["Commune | Quartier", "LOUVROIL | Centre", "| Longs Prés – Prés du paradis"]


def test_objective_headings_get_levels() -> None:
    content = text_to_blocks(
        "QUARTIER APAISE\n\nObjectif stratégique 1 : Maintenir des moyens de médiation\n\n"
        "Objectifs opérationnels:\n\n- 1A Créer des tiers-lieux\n"
    )
    kinds = [(b.kind, b.level) for b in content.blocks]
    assert kinds == [(BlockKind.HEADING, 1), (BlockKind.HEADING, 3), (BlockKind.HEADING, 4),
                     (BlockKind.LIST_ITEM, None)]


def test_ocr_damage_is_repaired() -> None:
    ocr = ("Le Président a appelé a une mobilisation afin de garantir I’émancipation de I'ensemble "
           "des habitants et la mise en ceuvre de la politique de la ville dans les quartiers prioritaires. "
           "La premiere etape est la deuxieme reunion du comite de pilotage avec les elus.\n"
           "e Renforcer la coopération entre les partenaires\n")
    content = text_to_blocks(ocr * 12)  # the damage is judged on a page or more of text
    assert content.ocr_repaired
    text = " ".join(texts(content))
    assert "l'émancipation de l'ensemble" in text
    assert "mise en œuvre" in text
    assert "première étape" in text and "deuxième réunion" in text
    assert content.blocks[-1].kind == BlockKind.LIST_ITEM
    assert content.blocks[-1].text == "Renforcer la coopération entre les partenaires"


def test_clean_text_is_not_flagged_as_ocr() -> None:
    content = text_to_blocks(Path("corpus/arras_2024_contrat-de-ville.txt").read_text()[:20000])
    assert not content.ocr_repaired


@given(st.text())
def test_clean_characters_is_idempotent(s: str) -> None:
    once = clean_characters(s)
    assert clean_characters(once) == once
    assert "\u00ad" not in once and "\ufffd" not in once and "  " not in once


@given(st.text(alphabet=st.characters(categories=["L", "Zs", "P"]), max_size=200))
def test_fold_has_no_accents_and_is_idempotent(s: str) -> None:
    folded = fold(s)
    assert fold(folded) == folded
    assert not any(c in folded for c in "éèêàâçôûùœ")


@given(st.text(max_size=200))
def test_fold_is_the_accent_free_lowercase_of_the_canonical_decomposition(s: str) -> None:
    """`fold` folds a character at a time through a table: the same as the whole text decomposed."""
    import unicodedata

    lowered = s.lower().replace("œ", "oe").replace("æ", "ae")
    expected = "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))
    assert fold(s) == expected


@given(st.text(alphabet="abcdeéè *<u>/", max_size=60))
def test_strip_markup_removes_all_markers(s: str) -> None:
    out = strip_markup(s)
    assert "**" not in out and "<u>" not in out and "</u>" not in out


@given(st.from_regex(r"[a-zé ]{0,40}", fullmatch=True))
def test_repair_ocr_leaves_clean_lowercase_words_known(s: str) -> None:
    # Repairs only ever change a word into a French word; they never lengthen the text by much.
    assert len(repair_ocr(s)) <= len(s) + s.count(" ") + 1


@pytest.mark.slow  # every shipped contract: out of the fast loop
def test_whole_corpus_ingests(corpus_dir: Path) -> None:
    results = list(ingest_paths([corpus_dir]))
    assert all(not isinstance(r, IngestError) for r in results)
    by_id = {r.document.id: r for r in results}
    assert set(by_id) == {"maubeuge-val-de-sambre-2024", "arras-2024", "valenciennes-2015",
                          "valenciennes-2019"}
    for r in results:
        doc, passages = r.document, r.passages
        assert len(passages) > 300
        text = doc.text
        for p in passages[::37]:
            assert text[p.char_start:p.char_end] == p.text
        assert len({p.id for p in passages}) == len(passages)
    v2019 = by_id["valenciennes-2019"].document
    assert v2019.meta.amends == "valenciennes-2015"


def test_ids_are_stable_across_runs(corpus_dir: Path) -> None:
    a = ingest_file(corpus_dir / "arras_2024_contrat-de-ville.txt").passages
    b = ingest_file(corpus_dir / "arras_2024_contrat-de-ville.txt").passages
    assert [p.id for p in a] == [p.id for p in b]


def test_section_paths_follow_headings(corpus_dir: Path) -> None:
    passages = ingest_file(corpus_dir / "arras_2024_contrat-de-ville.txt").passages
    item = next(p for p in passages if p.text.startswith("1B Former les habitants"))
    assert any(h.startswith("Objectif stratégique 1") for h in item.section_path)


@pytest.mark.parametrize(
    "name,content,cause",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"   \n\n  ", "empty file"),
        ("binary.txt", bytes(range(256)) * 8, "binary"),
        ("notes.docx", b"PK\x03\x04 not a contract", "unsupported file type"),
    ],
)
def test_bad_text_inputs_get_one_clear_line(tmp_path: Path, name: str, content: bytes, cause: str) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.txt").write_text("Contrat de ville. La CAF s'engage à soutenir les familles.\n")
    results = [r for r in ingest_paths([tmp_path / name, tmp_path / "good.txt"])]
    errors = [r for r in results if isinstance(r, IngestError)]
    assert len(errors) == 1 and cause in str(errors[0]) and name in str(errors[0])
    assert "\n" not in str(errors[0])
    assert len(results) == 2


def test_latin1_text_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("La Région s'engage à développer la mobilité.\n".encode("cp1252"))
    (result,) = list(ingest_paths([path]))
    assert "Région" in result.passages[0].text
    assert any("Windows-1252" in w for w in result.document.warnings)


def test_symlink_loop_is_reported_not_followed_forever(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Un contrat de ville.\n")
    (tmp_path / "loop").symlink_to(tmp_path)
    files, errors = discover([tmp_path])
    assert [f.name for f in files] == ["a.txt"]
    assert any("loop" in str(e) for e in errors)


STRATEGY = """4. LES PRIORITÉS POUR 2024-2030
Priorité 1 : Faire réussir chaque enfant, de la crèche au lycée
   1.a Généraliser les dispositifs de soutien à la parentalité dans les écoles
   1.b Lutter contre le décrochage au collège
Priorité 2 : Réduire de moitié l'écart de taux d'emploi avec l'agglomération
   2.a Aller au-devant des jeunes qui ne sont suivis par aucune structure
Les actions de la commune visent le 2e trimestre de chaque année et le comité
se réunit le 1er lundi du mois pour les examiner et les compléter.

Indicateur | Valeur 2018 | Cible 2022
Taux d'emploi des 15-64 ans dans les quartiers | 45 % | 51 %
| Action | Pilote |
Le tableau ci-dessus est clair | parfois un trait vertical lu par l'OCR
"""


def test_coded_items_bar_tables_and_numbered_headings_are_their_own_blocks() -> None:
    blocks = text_to_blocks(STRATEGY).blocks
    kinds = {b.text: b.kind for b in blocks}
    # A coded item is an item of its own, with its code; the next priority is not glued to it.
    assert kinds["1.a Généraliser les dispositifs de soutien à la parentalité dans les écoles"] == BlockKind.LIST_ITEM
    assert kinds["1.b Lutter contre le décrochage au collège"] == BlockKind.LIST_ITEM
    assert kinds["Priorité 2 : Réduire de moitié l'écart de taux d'emploi avec l'agglomération"] == BlockKind.HEADING
    # Ordinals are not codes: the sentence stays whole.
    assert any(b.kind == BlockKind.PARAGRAPH and "2e trimestre" in b.text and "1er lundi" in b.text for b in blocks)
    # Rows between bars are table rows, cells joined as tab-separated ones are; a lone bar is not.
    assert kinds["Indicateur | Valeur 2018 | Cible 2022"] == BlockKind.TABLE_ROW
    assert kinds["Taux d'emploi des 15-64 ans dans les quartiers | 45 % | 51 %"] == BlockKind.TABLE_ROW
    assert kinds["Action | Pilote"] == BlockKind.TABLE_ROW
    assert all(b.kind != BlockKind.TABLE_ROW for b in blocks if "trait vertical" in b.text)


def test_a_code_read_inside_a_sentence_stays_in_it() -> None:
    # A wrapped layout (ten lines or more tell the reader the width of the column).
    text = ("L'évaluation à mi-parcours a relevé plusieurs points forts du contrat dans\n"
            "les trois quartiers, que les partenaires ont confirmés en comité technique.\n" * 5
            + "Le maillage des partenaires locaux est clair et\n"
            "R7 renforce le pilotage local, selon les acteurs interrogés par le cabinet.\n")
    blocks = text_to_blocks(text).blocks
    assert any(b.kind == BlockKind.PARAGRAPH and "clair et R7 renforce le pilotage local" in b.text for b in blocks)


SPACED = """\
3. LE SUIVI DU CONTRAT

Indicateur                                              Source            Valeur 2014
Part des demandeurs d'emploi de moins de 26 ans         Pôle emploi       24 %
Nombre de jeunes accompagnés par la Mission locale      Mission locale    410

Contrat de ville 2015-2020 – Agglomération                                        page 4

Agglomération d'Exemple                         Protocole d'engagements renforcés
Avenant n°1 au contrat de ville 2015-2022                                 Page 8 sur 24

Le comité se réunit deux fois par an. Il examine les indicateurs   et   les bilans.
"""


def test_a_table_laid_out_with_spaces_is_read_as_rows_of_cells() -> None:
    # A PDF exported with its layout (pdftotext -layout) keeps a table's columns as runs of spaces.
    blocks = text_to_blocks(SPACED).blocks
    kinds = {b.text: b.kind for b in blocks}
    assert kinds["Indicateur | Source | Valeur 2014"] == BlockKind.TABLE_ROW
    assert kinds["Nombre de jeunes accompagnés par la Mission locale | Mission locale | 410"] == BlockKind.TABLE_ROW
    # A footer alone, a two-line running header whose columns do not line up, a sentence with a
    # wide gap: not tables.
    assert not any(b.kind == BlockKind.TABLE_ROW and ("page 4" in b.text or "Avenant" in b.text
                                                      or "comité" in b.text) for b in blocks)


MARKDOWN = """\
## Les signataires

| Signataire | Représenté par | Qualité |
|---|:---:|---|
| État | M. Alain DURAND | Préfet |
| Caisse d'allocations familiales de la | Mme Laure MARTIN | Directrice |
| Vienne | | |

Le texte continue ici.
"""


def test_a_markdown_export_reads_headings_and_framed_rows() -> None:
    # Converters of PDFs to Markdown write "## " headings and tables framed by bars.
    blocks = text_to_blocks(MARKDOWN).blocks
    kinds = {b.text: b.kind for b in blocks}
    assert kinds["Les signataires"] == BlockKind.HEADING
    assert kinds["Signataire | Représenté par | Qualité"] == BlockKind.TABLE_ROW
    assert kinds["État | M. Alain DURAND | Préfet"] == BlockKind.TABLE_ROW
    assert not any("---" in b.text for b in blocks)  # the rule under the header is layout
    assert kinds["Le texte continue ici."] == BlockKind.PARAGRAPH


def test_a_long_title_in_capitals_is_a_heading_a_long_row_of_figures_is_not() -> None:
    # A section's whole title set in capitals runs past 100 characters; a table row that lost its
    # cells is capitals and figures.
    title = "QUARTIER DES TILLEULS PROPOSITIONS DE PISTES D'ACTIONS CONCRÈTES ISSUES DES ATELIERS DE CONCERTATION 2024"
    row = "COLLEGE JEAN MOULIN 20151 39217 11008 5,04 % 3,29 % 8,32 % 10,91 % 5,32 % 16,23 % 6,89 % 5,56 % 12,45 %"
    assert len(title) > 100 and len(row) > 100
    content = text_to_blocks(f"{title}\n\n- Créer un jardin partagé\n\n{row}\n", "t.txt")
    kinds = {b.text: b.kind for b in content.blocks}
    assert kinds[title] == BlockKind.HEADING
    assert kinds[row] != BlockKind.HEADING


def test_a_plural_or_a_complement_after_a_structural_word_is_no_numbering() -> None:
    # Matched without case, "Priorités d'intervention" once read as "Priorité D" and
    # "Orientations de l'État" as "Orientation S": both are words of a sentence or a column.
    assert heading_level("Priorités d'intervention du contrat de ville") is None
    assert heading_level("Orientations de l'État pour les quartiers") is None
    assert heading_level("Enjeux d'observation") is None
    assert heading_level("Axe B – Emploi et insertion") == 2
    assert heading_level("PILIER II : CADRE DE VIE") == 2
    assert heading_level("Thématique transversale Lutter contre les discriminations") == 2
