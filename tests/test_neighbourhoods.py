"""Neighbourhood (QPV) extraction and reference linking, on snippets shaped like the corpus and on
the corpus itself. Snippets go through the real reader and segmenter."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from ingest.corpus import ingest_file
from ingest.extract.neighbourhoods.find import extract_neighbourhoods
from ingest.extract.neighbourhoods.reference_link import link_neighbourhoods
from ingest.model import Status, Territory
from ingest.read.document import read_document
from ingest.segment import segment

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference" / "qpv_2024_communes.csv"


def _extract(tmp_path: Path, text: str):
    path = tmp_path / "snippet.txt"
    path.write_text(text, encoding="utf-8")
    document = read_document(path, document_id="snippet")
    return extract_neighbourhoods(document, segment(document))


def _by_name(neighbourhoods, fragment: str):
    found = [n for n in neighbourhoods
             if any(fragment.lower() in s.lower() for s in (n.name, *n.aliases))]
    assert len(found) == 1, f"{fragment!r}: {[n.name for n in neighbourhoods]}"
    return found[0]


TABLE = """Les 5 quartiers politique de la ville sont désormais les suivants :

Commune concernée\tNom du quartier
FEIGNIES\tLes explorateurs – Place du 8 mai 1945 – Jean Jaurès
HAUTMONT\tBois du Quesnoy
\tQuartier intercommunal Sous-le-Bois, Montplaisir, rue d'Hautmont
LOUVROIL\tCentre
\tLongs Prés – Prés du paradis
\tQuartier intercommunal Sous-le-Bois, Montplaisir, rue d'Hautmont

**Le quartier Long Près - Près du Paradis
à Louvroil**

**Le quartier de Louvroil Centre
à Louvroil**

**Les explorateurs
à Feignies**

La ville de Louvroil a rénové la rue Jean Jaurès et la Maison de quartier.
"""


def test_table_rows_with_an_empty_first_cell_continue_the_commune_above(tmp_path):
    found = _extract(tmp_path, TABLE)
    assert len(found) == 5, [n.name for n in found]
    assert _by_name(found, "Longs Prés").communes == ("Louvroil",)
    assert _by_name(found, "Bois du Quesnoy").communes == ("Hautmont",)
    intercommunal = _by_name(found, "Sous-le-Bois")
    assert set(intercommunal.communes) == {"Hautmont", "Louvroil"}
    assert all(n.status == Status.PRIORITY for n in found)


def test_spelling_variants_and_captions_are_aliases_of_one_neighbourhood(tmp_path):
    found = _extract(tmp_path, TABLE)
    paradis = _by_name(found, "Longs Prés")
    assert paradis.name == "Longs Prés – Prés du paradis"
    assert "Long Près - Près du Paradis" in paradis.aliases
    assert "Louvroil Centre" in _by_name(found, "Centre").aliases
    assert "Les explorateurs" in _by_name(found, "explorateurs").aliases
    # provenance: the table row and the caption
    assert len(paradis.provenance) >= 2 and all(p.line for p in paradis.provenance)


def test_no_neighbourhood_from_communes_streets_or_facilities(tmp_path):
    found = _extract(tmp_path, TABLE)
    names = {s.lower() for n in found for s in (n.name, *n.aliases)}
    assert not {"louvroil", "rue jean jaurès", "maison de quartier"} & names


FLATTENED = """Ce sont désormais 4 quartiers répartis sur 4 communes, comme récapitulé dans le tableau ci-dessous.

COMMUNES QUARTIERS PRIORITAIRES

Anzin Verrerie - Square République (QP059020)

Condé sur l’Escaut Centre-ville (QP059023)

Fresnes-sur-Escaut Centre-ville (QP059025)

Onnaing, Vicq Quatre-Chasse - Poudrière - Faïencerie (QP059027)

> Les cartes détaillées des quartiers se trouvent en Annexe 1.

COMMUNES QUARTIERS DE VEILLE ACTIVE
Beuvrages Cité château mallet

Condé sur l’Escaut Le Gras Boeuf / Macou

> Les cartes détaillées des quartiers se trouvent en Annexe 1.

COMMUNE DE CONDÉ-SUR-L'ESCAUT

Hameau de Macou (quartier en veille active)

Annexe : liste des quartiers vécus

Anzin QP059020 Verrerie – Square République
"""


def test_flattened_commune_quartier_table_veille_and_codes(tmp_path):
    found = _extract(tmp_path, FLATTENED)
    priority = [n for n in found if n.status == Status.PRIORITY]
    veille = [n for n in found if n.status == Status.VEILLE]
    assert len(priority) == 4, [n.name for n in priority]
    verrerie = _by_name(priority, "Verrerie")
    assert verrerie.communes == ("Anzin",)
    assert verrerie.code == "QP059020"  # the 2015 list's code shape
    assert [p.line for p in verrerie.provenance] == [5, 28]  # grouped through the code
    centres = [n for n in priority if n.name == "Centre-ville"]
    assert len(centres) == 2 and {n.communes for n in centres} == {
        ("Condé sur l'Escaut",), ("Fresnes-sur-Escaut",)}
    assert _by_name(priority, "Quatre-Chasse").communes == ("Onnaing", "Vicq")
    assert {n.name for n in veille} == {"Cité château mallet", "Le Gras Boeuf / Macou"}
    # "Hameau de Macou (quartier en veille active)" in the commune's chapter is the same one
    assert _by_name(veille, "Macou").aliases == ("Hameau de Macou",)
    assert _by_name(veille, "château mallet").communes == ("Beuvrages",)


LISTS = """Les quartiers prioritaires de l'agglomération sont les suivants :

- Les Hauts de Sainte-Croix (Sainte-Croix)
- Le Moulin à Villeneuve
- Gare (QN01001I)

Les territoires de vulnérabilité retenus sont les suivants :

- Cité des Jardins (Villeneuve)

Les habitants des quartiers prioritaires bénéficient de :

- Des permanences de la CAF
"""


def test_lists_after_a_lead_in_with_communes_codes_and_status(tmp_path):
    found = _extract(tmp_path, LISTS)
    names = {n.name: n for n in found}
    assert "Des permanences de la CAF" not in names
    gare = names["Gare"]
    assert gare.code == "QN01001I" and gare.status == Status.PRIORITY
    assert names["Le Moulin"].communes == ("Villeneuve",)
    jardins = names["Cité des Jardins"]
    assert jardins.status == Status.VULNERABILITE


def test_code_lines_in_several_orders(tmp_path):
    text = "Les quartiers du contrat de la ville de Liévin et de ses voisines.\n\nQN06299A – Saint-Jean (Lens)\n\nQN06298B : Les Prés à Liévin\n\n" \
           "La Gare – QN06297C – Lens\n"
    assert {(n.name, n.communes, n.code) for n in _extract(tmp_path, text)} == {
        ("Saint-Jean", ("Lens",), "QN06299A"), ("Les Prés", ("Liévin",), "QN06298B"),
        ("La Gare", ("Lens",), "QN06297C")}


def test_a_written_qpv_code_of_the_official_shape_is_kept(tmp_path):
    found = _extract(tmp_path, "COMMUNES QUARTIERS PRIORITAIRES\n\nTroyes Bords De Seine (QN01002M)\n")
    assert [(n.name, n.communes, n.code) for n in found] == [("Bords De Seine", ("Troyes",), "QN01002M")]


INLINE = """Le territoire compte 3 quartiers prioritaires : Les Hauts Bois (Villeneuve), Gare Sud et Croix-Blanche à Saint-Paul.

Les quartiers de veille active sont : Cité Mozart, Le Marais.

Les habitants des quartiers prioritaires bénéficient de permanences : la CAF, la CPAM et France Travail.

Le quartier prioritaire Gare Sud (QN01010M) accueille une nouvelle école.

QPV Croix-Blanche

Le nouveau programme de renouvellement urbain, engagé avec l'ensemble des bailleurs sociaux et des communes depuis la signature du protocole de préfiguration, concerne principalement la Résidence Les Bleuets (QN01011M), où 200 logements seront réhabilités.

Dans le quartier des Grands Prés, la rue Victor Hugo sera rénovée.
"""


def test_enumerations_inside_a_paragraph_codes_in_text_and_headings(tmp_path):
    found = _extract(tmp_path, INLINE)
    names = {n.name: n for n in found}
    assert set(names) == {"Les Hauts Bois", "Gare Sud", "Croix-Blanche", "Cité Mozart", "Le Marais",
                          "Résidence Les Bleuets"}
    assert names["Résidence Les Bleuets"].code == "QN01011M"
    assert names["Les Hauts Bois"].communes == ("Villeneuve",)
    assert names["Croix-Blanche"].communes == ("Saint-Paul",)
    assert len(names["Croix-Blanche"].provenance) == 2  # the list and the "QPV ..." heading
    assert names["Gare Sud"].code == "QN01010M"
    assert {n.status for n in found if n.name in ("Cité Mozart", "Le Marais")} == {Status.VEILLE}


VULNERABILITY = """Le contrat identifie également des territoires de vulnérabilité : la Résidence Les Tilleuls à Beaurains, Cité Blanche.

Les actions en faveur des QPV :

- Soutenir les associations locales
- Développer la médiation

Quartiers de veille active	Commune
Les Hauts	Beaurains
"""


def test_vulnerability_territories_and_veille_tables_are_kept_apart(tmp_path):
    found = {n.name: n for n in _extract(tmp_path, VULNERABILITY)}
    assert set(found) == {"Résidence Les Tilleuls", "Cité Blanche", "Les Hauts"}
    assert found["Résidence Les Tilleuls"].status == Status.VULNERABILITE
    assert found["Résidence Les Tilleuls"].communes == ("Beaurains",)
    assert found["Les Hauts"].status == Status.VEILLE


FIGURES = """Cette stratégie vise à réduire les écarts entre le taux d'emploi du territoire et celui des quartiers prioritaires (cf tableau ci-dessous).

France 64,3%
Agglomération 53,8% Les Tilleuls (Beaurains) 45,4%

Zone Intercommunale des Prés

Cité Blanche (Anzin, Marly) 39,2%

Centre-Ville (Beaurains) 44,6%

Les Tilleuls (Beaurains) 12 logements

Taux d'emploi : nombre de personnes de 15 à 64 ans ayant un emploi / nombre total de personnes de 15 à 64 ans, rapporté à la population totale du quartier.
"""


def test_figures_table_flattened_by_ocr(tmp_path):
    found = {n.name: n for n in _extract(tmp_path, FIGURES)}
    assert set(found) == {"Les Tilleuls", "Zone Intercommunale des Prés", "Cité Blanche", "Centre-Ville"}
    assert found["Cité Blanche"].communes == ("Anzin", "Marly")
    assert found["Les Tilleuls"].communes == ("Beaurains",)


STATISTICS = """La ville de Beaurains et la ville d'Anzin portent le projet.

Quartier\tPopulation\tTaux de pauvreté
Les Tilleuls\t3 200\t45 %
Cité Blanche\t1 800\t39 %
Ensemble des QPV\t5 000\t42 %
Beaurains\t12 000\t18 %
Total\t17 000\t25 %

QPV : chiffres clés

Territoire\tTaux de chômage
Agglomération\t12 %
France\t8 %
"""


def test_statistics_tables_give_names_but_not_their_totals_or_communes(tmp_path):
    assert {n.name for n in _extract(tmp_path, STATISTICS)} == {"Les Tilleuls", "Cité Blanche"}


PROSE_ONLY = """La ville de Beaurains porte un projet dans le QPV Cité Blanche avec les habitants des QPV du Nord.

Le quartier prioritaire des Hauts de la commune de Beaurains accueille un centre social.

Les habitants du quartier Saint-Jean sont invités à la fête de la rue Victor Hugo.
"""


def test_a_contract_without_table_or_list_keeps_the_qpv_its_text_names(tmp_path):
    found = {n.name: n for n in _extract(tmp_path, PROSE_ONLY)}
    assert set(found) == {"Les Hauts"}  # named as a QPV with its commune
    assert found["Les Hauts"].communes == ("Beaurains",)
    # "le QPV Cité Blanche" counts only when the text names no QPV more plainly
    alone = _extract(tmp_path, PROSE_ONLY.split("\n\n")[0] + "\n")
    assert [n.name for n in alone] == ["Cité Blanche"]


STATUS_COLUMNS = """Quartiers prioritaires\tQuartiers de veille\tCommune
Les Hauts\tLe Marais\tBeaurains
Cité Blanche\t\tAnzin

Quartier\tCommune\tStatut
Gare Sud\tLens\tQPV
Les Prés\tLens\tQuartier de veille active
"""


def test_status_from_a_column_title_or_a_status_column(tmp_path):
    found = {n.name: (n.communes, n.status) for n in _extract(tmp_path, STATUS_COLUMNS)}
    assert found == {
        "Les Hauts": (("Beaurains",), Status.PRIORITY), "Le Marais": (("Beaurains",), Status.VEILLE),
        "Cité Blanche": (("Anzin",), Status.PRIORITY), "Gare Sud": (("Lens",), Status.PRIORITY),
        "Les Prés": (("Lens",), Status.VEILLE),
    }


MORE_LISTS = """Les quartiers prioritaires de l'agglomération :

- Beaurains : Les Hauts, Cité Blanche et Le Moulin
- Saint-Jean – Lens (1 500 habitants)

La ville de Lens est voisine.

Les quartiers de veille active de l'agglomération sont Le Marais, Les Prés et La Gare.

Les habitants des quartiers prioritaires sont nombreux, jeunes et mobiles.

Le contrat accompagne le quartier prioritaire « Les Fleurs » dans son renouvellement.

Quartiers Politique de la Ville :

- 18 communes, 14 quartiers prioritaires, 20 quartiers de veille
"""


def test_lists_by_commune_enumerations_without_colon_and_quoted_names(tmp_path):
    found = {n.name: (n.communes, n.status) for n in _extract(tmp_path, MORE_LISTS)}
    assert found == {
        "Les Hauts": (("Beaurains",), Status.PRIORITY), "Cité Blanche": (("Beaurains",), Status.PRIORITY),
        "Le Moulin": (("Beaurains",), Status.PRIORITY), "Saint-Jean": (("Lens",), Status.PRIORITY),
        "Le Marais": ((), Status.VEILLE), "Les Prés": ((), Status.VEILLE), "La Gare": ((), Status.VEILLE),
        "Les Fleurs": ((), Status.PRIORITY),
    }


TITLED_LISTS = """Les territoires de vulnérabilité

- Les Hauts (Beaurains)
- Cité Blanche

Les quartiers prioritaires

- Des logements sociaux anciens
- Une population jeune
"""


def test_a_status_title_above_a_list_of_names(tmp_path):
    found = {n.name: (n.communes, n.status) for n in _extract(tmp_path, TITLED_LISTS)}
    assert found == {"Les Hauts": (("Beaurains",), Status.VULNERABILITE),
                     "Cité Blanche": ((), Status.VULNERABILITE)}


# --- reference linking -----------------------------------------------------------------------

REFERENCE_ROWS = """code_qp,lib_qp,insee_reg,lib_reg,insee_dep,lib_dep,insee_com,lib_com,siren_epci,lib_epci\r
QN05914M,Long Prés - Prés Du Paradis,32,Hauts-de-France,59,Nord,59365,Louvroil,200043396,Communauté d'agglomération Maubeuge Val de Sambre\r
QN05912M,Bois Du Quesnoy,32,Hauts-de-France,59,Nord,59291,Hautmont,200043396,Communauté d'agglomération Maubeuge Val de Sambre\r
QN05999M,Centre,32,Hauts-de-France,59,Nord,59324,Jeumont,200043396,Communauté d'agglomération Maubeuge Val de Sambre\r
QN06201M,Centre,32,Hauts-de-France,62,Pas-de-Calais,62041,Arras,200033579,Communauté urbaine d'Arras\r
"""


def test_linking_fills_codes_within_the_epci_and_reports_the_rest(tmp_path):
    csv_path = tmp_path / "qpv.csv"
    csv_path.write_text(REFERENCE_ROWS, encoding="utf-8")
    found = _extract(tmp_path, TABLE)
    territory = Territory("Communauté d'Agglomération Maubeuge-Val de Sambre", "CAMVS", "200043396")
    linked, report = link_neighbourhoods(found, territory, csv_path)
    paradis = _by_name(linked, "Longs Prés")
    assert (paradis.code, paradis.insee_codes) == ("QN05914M", ("59365",))
    assert paradis.official_name == "Long Prés - Prés Du Paradis"
    assert _by_name(linked, "Bois du Quesnoy").code == "QN05912M"
    # "Centre" of Louvroil is neither Jeumont's "Centre" nor Arras's
    assert _by_name(linked, "Louvroil Centre").code is None
    assert any("'Centre'" in line and "not found" in line for line in report)
    assert any("QN05999M" in line and "not mentioned" in line for line in report)


def test_linking_by_epci_name_when_no_siren(tmp_path):
    csv_path = tmp_path / "qpv.csv"
    csv_path.write_text(REFERENCE_ROWS, encoding="utf-8")
    found = _extract(tmp_path, TABLE)
    linked, _ = link_neighbourhoods(found, Territory("Maubeuge Val-de-Sambre"), csv_path)
    assert _by_name(linked, "Longs Prés").code == "QN05914M"
    unknown, report = link_neighbourhoods(found, Territory("Métropole de Nulle Part"), csv_path)
    assert all(n.code is None for n in unknown) and "no reference QPV" in report[0]


# --- other territories' QPV names in the layouts contracts use --------------------------------

LAYOUTS = {
    "table": lambda rows: "Les quartiers prioritaires du contrat sont les suivants :\n\nCommune\tQuartier\n"
    + "\n".join(f"{r.commune.upper()}\t{r.name}" for r in rows),
    "table with codes": lambda rows: "Nom du QPV\tCode\tCommune\n"
    + "\n".join(f"{r.name}\t{r.code}\t{r.commune}" for r in rows),
    "list (commune)": lambda rows: "Le contrat concerne les quartiers prioritaires suivants :\n\n"
    + "\n".join(f"- {r.name} ({r.commune})" for r in rows),
    "list à commune": lambda rows: "Les QPV du territoire sont les suivants :\n\n"
    + "\n".join(f"- {r.name} à {r.commune}" for r in rows),
    "captions": lambda rows: "\n\n".join(
        f"**Le quartier {r.name}\nà {r.commune}**\n\nLe quartier compte 3 000 habitants." for r in rows),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_official_names_of_other_territories_are_found_in_each_layout(tmp_path, layout):
    """Names from the national QPV list (other EPCIs than the corpus's) written in the layouts
    of the genre: the rules must not depend on the corpus's own names."""
    from collections import defaultdict

    from ingest.extract.neighbourhoods.reference_link import load_reference
    from ingest.training.evaluate import name_similarity

    by_epci = defaultdict(list)
    for row in load_reference(REFERENCE):
        if row.siren_epci and row.siren_epci not in {"200043396", "245901160", "200033579"}:
            by_epci[row.siren_epci].append(row)
    epcis = sorted(e for e, rows in by_epci.items() if len(rows) >= 3)[::6]
    found_names = found_communes = total = 0
    for epci in epcis:
        rows = by_epci[epci][:10]
        text = "Introduction.\n\n" + LAYOUTS[layout](rows) + "\n\nLa suite décrit les orientations.\n"
        found = _extract(tmp_path, text)
        assert len(found) <= len(rows)
        for row in rows:
            total += 1
            best = max(found, key=lambda n: name_similarity([n.name, *n.aliases], [row.name]), default=None)
            if best and name_similarity([best.name, *best.aliases], [row.name]) >= 0.85:
                found_names += 1
                found_communes += row.commune.lower() in {c.lower() for c in best.communes}
    assert total > 100
    assert found_names / total >= 0.97
    assert found_communes / total >= 0.9


# --- whole documents -------------------------------------------------------------------------

DEVELOPMENT = {  # document -> plausible number of priority neighbourhoods
    "maubeuge-val-de-sambre_2024_contrat-de-ville.txt": (10, 13),
    "valenciennes_2015_contrat-de-ville.txt": (13, 16),
    "valenciennes_2019_protocole-engagements.txt": (10, 16),  # figures table of the 14 QPV (OCR)
}
TERRITORY = {
    "maubeuge": Territory("Communauté d'Agglomération Maubeuge-Val de Sambre", "CAMVS", "200043396"),
    "valenciennes": Territory("Valenciennes Métropole", "CAVM", "245901160"),
}


@cache
def _corpus_neighbourhoods(name: str):
    ingested = ingest_file(ROOT / "corpus" / name)
    return extract_neighbourhoods(ingested.document, ingested.passages)


def _slow_2015(name: str):
    """The 2015 contract is the longest to read: its cases are out of the fast loop."""
    return pytest.param(name, marks=pytest.mark.slow) if name.startswith("valenciennes_2015") else name


@pytest.mark.parametrize("name", [_slow_2015(n) for n in sorted(DEVELOPMENT)])
def test_corpus_counts_are_plausible(name):
    found = _corpus_neighbourhoods(name)
    low, high = DEVELOPMENT[name]
    priority = [n for n in found if n.status == Status.PRIORITY]
    assert low <= len(priority) <= high, [n.name for n in priority]
    for n in found:
        assert n.provenance and n.name.strip() == n.name and len(n.name) < 120


@pytest.mark.slow  # the whole 2015 contract
def test_valenciennes_2015_keeps_veille_apart():
    found = _corpus_neighbourhoods("valenciennes_2015_contrat-de-ville.txt")
    veille = [n for n in found if n.status == Status.VEILLE]
    assert 15 <= len(veille) <= 25


def test_every_reference_qpv_of_maubeuge_is_linked():
    found = _corpus_neighbourhoods("maubeuge-val-de-sambre_2024_contrat-de-ville.txt")
    linked, report = link_neighbourhoods(found, TERRITORY["maubeuge"], REFERENCE)
    assert not [line for line in report if "not mentioned" in line], report
    codes = [n.code for n in linked if n.code]
    assert len(codes) == len(set(codes)) == 9


@pytest.mark.parametrize("name,minimum", [
    ("maubeuge-val-de-sambre_2024_contrat-de-ville.txt", 0.8),
    pytest.param("valenciennes_2015_contrat-de-ville.txt", 0.4, marks=pytest.mark.slow),  # redrawn in 2024
    ("valenciennes_2019_protocole-engagements.txt", 0.4),
])
def test_linking_rate_per_document(name, minimum):
    found = _corpus_neighbourhoods(name)
    linked, _ = link_neighbourhoods(found, TERRITORY[name.split("_")[0].split("-")[0]], REFERENCE)
    priority = [n for n in linked if n.status == Status.PRIORITY]
    rate = sum(1 for n in priority if n.official_name) / len(priority)
    assert rate >= minimum
    assert all(n.code is None for n in linked if n.status != Status.PRIORITY)


@pytest.mark.slow  # the whole 2015 contract
def test_a_2015_contract_links_conservatively_within_the_commune():
    found = _corpus_neighbourhoods("valenciennes_2015_contrat-de-ville.txt")
    linked, report = link_neighbourhoods(found, TERRITORY["valenciennes"], REFERENCE)
    # The 2015 code written in the text stays; the 2024 official name is linked beside it.
    jard = next(n for n in linked if n.name == "Cité Le Jard")
    assert jard.communes == ("Vieux-Condé",) and jard.official_name and jard.code.startswith("QP059")
    # names of 2015 QPVs absent from the 2024 list stay unlinked, and are reported
    verrerie = _by_name(linked, "Square République")
    assert verrerie.code == "QP059020" and verrerie.official_name is None
    assert any("Verrerie" in line and "not found" in line for line in report)


def test_commune_spellings_of_texts_and_tables_meet():
    from ingest.extract.neighbourhoods.reference_link import commune_key

    assert commune_key("St-Saulve") == commune_key("Saint-Saulve")
    assert commune_key("Condé-sur-Escaut") == commune_key("Condé-sur-l'Escaut")
    assert commune_key("Saint-Denis") != commune_key("Saint-Genis")


def test_official_names_written_in_the_text_are_found(tmp_path):
    """A 2024 contract that names its QPV only in running text: the reference list of its EPCI
    tells which names to look for; a common name counts only beside its commune."""
    from ingest.extract.neighbourhoods.reference_link import official_names_in_text

    csv_path = tmp_path / "qpv.csv"
    csv_path.write_text(REFERENCE_ROWS, encoding="utf-8")
    text = ("Les habitants du secteur des Longs Prés-Prés du Paradis se mobilisent.\n\n"
            "Le centre social du Bois du Quesnoy ouvre en 2025.\n\n"
            "Le Centre accueille les services municipaux.\n\n"
            "À Jeumont, le Centre bénéficie du NPNRU.\n")
    path = tmp_path / "prose.txt"
    path.write_text(text, encoding="utf-8")
    document = read_document(path, document_id="prose")
    hits = official_names_in_text(segment(document), "200043396", None, csv_path)
    found = {(row.code, spelled) for row, _, spelled in hits}
    assert found == {("QN05914M", "Longs Prés-Prés du Paradis"), ("QN05912M", "Bois du Quesnoy"),
                     ("QN05999M", "Centre")}


def test_one_part_of_a_composite_official_name_counts_beside_its_commune(tmp_path):
    from ingest.extract.neighbourhoods.reference_link import official_names_in_text

    csv_path = tmp_path / "qpv.csv"
    csv_path.write_text(REFERENCE_ROWS.splitlines()[0] + "\r\n" + (
        "QN05910M,Les Explorateurs - Place Du 8 Mai 1945 - La Flamenne,32,Hauts-de-France,59,Nord,"
        "59225,Feignies,200043396,Communauté d'agglomération Maubeuge Val de Sambre\r\n"), encoding="utf-8")
    path = tmp_path / "parts.txt"
    path.write_text("À Feignies, le secteur de La Flamenne sera rénové.\n\n"
                    "La Flamenne est aussi le nom d'une association.\n", encoding="utf-8")
    document = read_document(path, document_id="parts")
    hits = official_names_in_text(segment(document), "200043396", None, csv_path)
    assert [(row.code, p.line_start, spelled) for row, p, spelled in hits] == [("QN05910M", 1, None)]


# --- unseen territories: one row per QPV, 2015 codes, reference communes (issue 11) ---------

FULL_REFERENCE = ROOT / "reference" / "qpv_2024_communes_full.csv"


def _extract_linked(tmp_path: Path, text: str, territory: Territory | None = None):
    from ingest.extract.neighbourhoods.reference_link import generation_of
    from ingest.extract.territory import extract_territory

    path = tmp_path / "snippet.txt"
    path.write_text(text, encoding="utf-8")
    document = read_document(path, document_id="snippet")
    passages = segment(document)
    territory = territory or extract_territory(document, passages)
    found = extract_neighbourhoods(document, passages, territory, FULL_REFERENCE)
    linked, _ = link_neighbourhoods(found, territory, FULL_REFERENCE, generation_of(document))
    return territory, linked


BOURG_2024 = """Contrat de ville Engagements Quartiers 2030, 2024-2030

Article 1. Les quartiers prioritaires

À Bourg-en-Bresse :
- la Croix Blanche (nouveau périmètre) ;
- « Grande Reyssouze
Terre des Fleurs ».

La Croix Blanche accueillera un nouvel équipement sportif en 2026.
"""


def test_territory_guessed_from_the_reference_and_one_row_per_qpv(tmp_path):
    territory, linked = _extract_linked(tmp_path, BOURG_2024)
    assert territory.siren == "200071751"
    croix = _by_name(linked, "Croix Blanche")
    assert croix.name == "Croix Blanche"  # no article, no parenthesis
    assert (croix.code, croix.communes, croix.code_2015) == ("QN00102M", ("Bourg-en-Bresse",), ("QP001002",))
    assert croix.confidence is not None and croix.confidence >= 0.75
    reyssouze = _by_name(linked, "Reyssouze")
    assert "«" not in reyssouze.name and reyssouze.code == "QN00101M"
    assert len(linked) == 2


BOURG_2015 = """Contrat de ville 2015-2020

Les quartiers prioritaires retenus sont les suivants :
- Croix Blanche (Bourg-en-Bresse) ;
- Grande Reyssouze Terre des Fleurs (Bourg-en-Bresse).

Le quartier de la Croix Blanche fera l'objet d'une attention particulière.
"""


def test_a_2015_contract_gets_the_2015_codes(tmp_path):
    _, linked = _extract_linked(tmp_path, BOURG_2015,
                                Territory("CA du Bassin de Bourg-en-Bresse", siren="200071751"))
    assert {n.code for n in linked} == {"QP001001", "QP001002"}
    assert all(n.communes == ("Bourg-en-Bresse",) for n in linked)


def test_split_communes_and_tidy_names():
    from ingest.extract.neighbourhoods.find import tidy
    from ingest.extract.neighbourhoods.text import split_communes
    from ingest.model import Neighbourhood

    assert split_communes("Villeneuve / Les Prés") == ["Villeneuve", "Les Prés"]
    assert split_communes("Aulnay, Bondy") == ["Aulnay", "Bondy"]
    assert split_communes("Saint-Jean-de-la-Ruelle") == ["Saint-Jean-de-la-Ruelle"]
    found = tidy([Neighbourhood("« Les Tilleuls » (résidences A et B)", communes=("Villeneuve",)),
                  Neighbourhood("Le Moulin – Villeneuve", communes=("Villeneuve",)),
                  Neighbourhood("Parc des Sources (Nord", communes=("Bondy, Aulnay",)),
                  Neighbourhood("Gare (secteur ancien)", communes=("Villeneuve",)),
                  Neighbourhood("Gare (secteur neuf)", communes=("Villeneuve",))])
    assert [n.name for n in found] == ["Les Tilleuls", "Le Moulin", "Parc des Sources Nord",
                                       "Gare secteur ancien", "Gare secteur neuf"]
    assert found[2].communes == ("Bondy", "Aulnay")


def test_mentions_of_one_code_are_merged_and_fragments_dropped():
    from ingest.extract.neighbourhoods.reference_link import _without_fragments, merge_by_code
    from ingest.model import Neighbourhood

    merged = merge_by_code([Neighbourhood("Les Tilleuls", code="QN99901M", communes=("Villeneuve",)),
                            Neighbourhood("Tilleuls", code="QN99901M", communes=("Les Prés",))])
    assert len(merged) == 1 and merged[0].aliases == ("Tilleuls",)
    assert merged[0].communes == ("Villeneuve", "Les Prés")
    kept = _without_fragments([
        Neighbourhood("1er et 2e Secteur", code="QN99902M", official_name="1er et 2e Secteur"),
        Neighbourhood("1er"), Neighbourhood("Les Aulnes")])
    assert [n.name for n in kept] == ["1er et 2e Secteur", "Les Aulnes"]


# A listing without a header, code first, then the name, then the communes (a pdftotext -layout
# export of a decree's table): the columns are told by what the cells hold, so the code is never
# read as a commune, and each QPV comes out once with its code.
CODE_FIRST = """Le décret fixe trois quartiers prioritaires dans l'agglomération :

  QN04901M   Les Hauts-de-Loire                      Angers
  QN04902M   Verneau – Capucins                      Angers, Avrillé
  QN04903M   Grand Bellevue                          Trélazé

Ces trois quartiers regroupent environ 21 000 habitants.
"""

NAME_FIRST = """La ville d'Angers et la commune de Trélazé comptent deux quartiers prioritaires :

Les Hauts-de-Loire\tAngers
Grand Bellevue\tTrélazé

Ils regroupent environ 15 000 habitants.
"""


def test_a_code_first_listing_without_header_gives_one_qpv_each_with_its_code_and_communes(tmp_path):
    found = _extract(tmp_path, CODE_FIRST)
    assert len(found) == 3, [(n.name, n.code, n.communes) for n in found]
    assert _by_name(found, "Hauts-de-Loire").code == "QN04901M"
    assert _by_name(found, "Hauts-de-Loire").communes == ("Angers",)
    assert set(_by_name(found, "Capucins").communes) == {"Angers", "Avrillé"}
    assert _by_name(found, "Bellevue").communes == ("Trélazé",)
    assert not any(c.upper().startswith("QN") for n in found for c in n.communes)


def test_a_name_first_table_without_header_reads_the_commune_column(tmp_path):
    found = _extract(tmp_path, NAME_FIRST)
    assert len(found) == 2, [(n.name, n.communes) for n in found]
    assert _by_name(found, "Hauts-de-Loire").communes == ("Angers",)
    assert _by_name(found, "Bellevue").communes == ("Trélazé",)
