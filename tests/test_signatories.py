"""Signatories: signature blocks and signatory sentences, never attendance lists or a national
circular's generic list. Snippets are shaped like the corpus and go through the real reader and
segmenter; the corpus tests check each contract's signatories."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from ingest.corpus import ingest_file
from ingest.extract.organisations import OrganisationResolver, departments_of
from ingest.extract.signatories import extract_signatories
from ingest.extract.territory import extract_territory
from ingest.model import PARTNER_TYPES, Organisation, Territory
from ingest.read.document import read_document
from ingest.segment import segment

ROOT = Path(__file__).resolve().parent.parent
CAMVS = Territory("Communauté d'Agglomération Maubeuge-Val de Sambre", "CAMVS", "200043396", "CN05903M")


def _signatories(tmp_path: Path, text: str):
    path = tmp_path / "snippet.txt"
    path.write_text(text, encoding="utf-8")
    document = read_document(path, document_id="snippet")
    resolver = OrganisationResolver(departments=("Nord",), epci=CAMVS)
    return extract_signatories(document, segment(document), resolver)


SIGNATURE_PAGE = """\
Le présent contrat est conclu pour la période 2024-2030.

SIGNATAIRES du Contrat de Ville

**Madame la Préfète Déléguée
pour l'Égalité des Chances
PREFECTURE DU NORD**

Virginie LASSERRE

**Monsieur le Maire de
FEIGNIES**

Patrick LEDUC

*Pour le Maire et par délégation, Madame Martine LEMOINE, Adjointe au
maire affaires sociales*

**Monsieur le Président de
SAMBRE MOBILITÉS**

Benoît COURTIN

**Madame la Directrice Départementale de la
CAF DU NORD**

Audrey MATHON-DEBETENCOURT
"""


def test_signature_block_gives_body_person_and_role(tmp_path):
    found = {s.organisation.id: s for s in _signatories(tmp_path, SIGNATURE_PAGE)}
    assert list(found) == ["etat-nord", "commune-feignies", "sambre-mobilites", "caf-nord"]
    assert found["etat-nord"].person == "Virginie LASSERRE"
    # The delegate does not replace the mayor who signs.
    assert (found["commune-feignies"].person, found["commune-feignies"].role) == ("Patrick LEDUC", "Maire")
    assert found["caf-nord"].person == "Audrey MATHON-DEBETENCOURT"
    # A body the gazetteer does not know is named from its signature block.
    assert found["sambre-mobilites"].organisation.name == "Sambre Mobilités"
    assert all(s.provenance and s.provenance[0].line for s in found.values())


def test_one_signatory_per_body_and_the_head_signs(tmp_path):
    text = """\
Signataires

Madame la Vice-présidente santé, prévention et politique de la ville
COMMUNAUTÉ D'AGGLOMÉRATION MAUBEUGE-VAL DE SAMBRE

Nadia TERKI

Monsieur le Président de la
COMMUNAUTÉ D'AGGLOMÉRATION MAUBEUGE-VAL DE SAMBRE

Bernard BAUDOUX
"""
    found = _signatories(tmp_path, text)
    assert [(s.organisation.type, s.person) for s in found] == [("epci", "Bernard BAUDOUX")]


def test_attendance_lists_and_committee_compositions_are_not_signatories(tmp_path):
    text = """\
Comité de pilotage du 12 mars 2024

Étaient présents :

Monsieur le Maire de JEUMONT

Pascal ORI

Madame la Directrice de la CPAM DU HAINAUT

Ghislaine LIEKENS

Composition : État Sous-Préfecture, Valenciennes Métropole, Département, Région.
"""
    assert _signatories(tmp_path, text) == []


def test_a_national_circulars_list_of_signatories_is_not_used(tmp_path):
    text = """\
I. Les signataires des contrats de ville

Les signataires obligatoires, qu'il vous appartient de mobiliser, sont : l'Etat, ses établissements publics, les communes, les départements et les régions, la Caisse d'allocations familiales.

- L'Etat, ses établissements publics et les groupements d'intérêt public dont l'Etat est membre ;
- Les départements et les régions.
"""
    assert _signatories(tmp_path, text) == []


def test_a_sentence_listing_the_signatories(tmp_path):
    text = (
        "L'ensemble des signataires suivants se sont engagés dans l'élaboration et la mise en œuvre "
        "du Contrat de Ville : l'Etat, la Région, le Département, la Caisse d'Allocations Familiales, "
        "la Caisse des Dépôts et Consignations et le Pôle Emploi. Le présent document comprend :\n"
    )
    ids = [s.organisation.id for s in _signatories(tmp_path, text)]
    assert ids == ["etat-nord", "region-hauts-de-france", "departement-nord", "caf-nord",
                   "caisse-des-depots", "france-travail"]


@cache
def _corpus_signatories(name: str):
    x = ingest_file(ROOT / "corpus" / name)
    territory = extract_territory(x.document, x.passages)
    resolver = OrganisationResolver(departments_of(territory, x.passages), territory)
    return x, extract_signatories(x.document, x.passages, resolver)


def test_maubeuge_signature_pages():
    _, found = _corpus_signatories("maubeuge-val-de-sambre_2024_contrat-de-ville.txt")
    by_id = {s.organisation.id: s for s in found}
    assert len(found) == 28
    for org_id, person in [
        ("etat-nord", "Virginie LASSERRE"), ("departement-nord", "Christian POIRET"),
        ("epci-200043396", "Bernard BAUDOUX"), ("region-hauts-de-france", "Xavier BERTRAND"),
        ("commune-neuf-mesnil", "Daniel LEFERME"), ("caf-nord", "Audrey MATHON-DEBETENCOURT"),
        ("cpam-hainaut", "Ghislaine LIEKENS"), ("france-travail", "Gaétane BERNARD"),
        ("dsden-nord", "Olivier COTTET"), ("bpifrance", "Yannick DA COSTA"),
        ("bailleur-partenord-habitat", "Marc ALESSIO"), ("justice-avesnes-sur-helpe", "Laurent DUMAINE"),
    ]:
        assert by_id[org_id].person == person
    assert sum(s.organisation.type == "commune" for s in found) == 8
    # Nothing from the national instruction in annex 8 (its list of mandatory signatories).
    assert all(s.provenance[0].line > 2900 for s in found)


@pytest.mark.slow  # reads the whole 2015 contract, the longest: out of the fast loop
def test_valenciennes_2015_list_of_signatories():
    _, found = _corpus_signatories("valenciennes_2015_contrat-de-ville.txt")
    ids = [s.organisation.id for s in found]
    for org_id in ("etat-nord", "region-hauts-de-france", "departement-nord", "epci-245901160", "caf-nord",
                   "caisse-des-depots", "ars-hauts-de-france", "france-travail", "commune-valenciennes",
                   "commune-conde-sur-l-escaut", "commune-saint-saulve", "cci-grand-hainaut",
                   "cma-hauts-de-france"):
        assert org_id in ids
    # "les communes concernées" stands for the communes the contract names, each once.
    communes = [i for i in ids if i.startswith("commune-")]
    assert 15 <= len(communes) <= 20 and len(set(communes)) == len(communes)
    assert all(s.person is None for s in found)  # no names are written


def test_valenciennes_2019_protocol_signatories():
    _, found = _corpus_signatories("valenciennes_2019_protocole-engagements.txt")
    assert [s.organisation.id for s in found] == [
        "etat-nord", "epci-245901160", "region-hauts-de-france", "departement-nord"]


@pytest.mark.parametrize("path", [
    # The 2015 contract is the longest to read: its case is out of the fast loop.
    pytest.param(p, marks=pytest.mark.slow) if p.name.startswith("valenciennes_2015") else p
    for p in sorted((ROOT / "corpus").glob("*.txt"))], ids=lambda p: p.stem)
def test_every_contract_has_well_formed_signatories(path):
    x, found = _corpus_signatories(path.name)
    ids = [s.organisation.id for s in found]
    assert len(ids) == len(set(ids))
    for s in found:
        assert s.organisation.type in PARTNER_TYPES
        passage = next(p for p in x.passages if p.id == s.provenance[0].passage_id)
        assert " vous " not in f" {passage.text.lower()} "  # never the circular addressed to prefects
        assert s.person is None or s.person.split()[-1].isupper()


def test_a_table_of_signatures_pairs_names_with_roles_by_column(tmp_path):
    text = (
        "Fait à Maubeuge, le 28 mars 2024\n\n"
        "Le Préfet du Nord\tLe Président de la Communauté d'Agglomération\tLe Maire de Jeumont\n\n"
        "Georges DUPONT\tBernard BAUDOUX\tPascal ORI\n\n"
        "Pour la Caf du Nord, la Directrice\tPour France Travail, le Directeur territorial\n\n"
        "Audrey MARTIN\tJean DURAND\n"
    )
    found = [(s.organisation.id, s.person) for s in _signatories(tmp_path, text)]
    assert found == [("etat-nord", "Georges DUPONT"), ("epci-200043396", "Bernard BAUDOUX"),
                     ("commune-jeumont", "Pascal ORI"), ("caf-nord", "Audrey MARTIN"),
                     ("france-travail", "Jean DURAND")]


def test_a_body_line_then_a_role_line_then_the_name(tmp_path):
    text = (
        "Fait à Maubeuge, le 28 mars 2024\n\n"
        "Pour l'État,\n\nle Préfet du Nord\n\nGeorges DUPONT\n\n"
        "Pour la Ville de Maubeuge\n\nLe Maire\n\nArnaud DECAGNY\n"
    )
    found = [(s.organisation.id, s.person, s.role) for s in _signatories(tmp_path, text)]
    assert found == [("etat-nord", "Georges DUPONT", "Préfet"), ("commune-maubeuge", "Arnaud DECAGNY", "Maire")]


def test_a_name_on_the_role_line(tmp_path):
    text = "Signataires\n\nLe Préfet du Nord, Georges DUPONT\n\nLe Maire de Jeumont – Pascal ORI\n"
    found = [(s.organisation.id, s.person) for s in _signatories(tmp_path, text)]
    assert found == [("etat-nord", "Georges DUPONT"), ("commune-jeumont", "Pascal ORI")]


def test_parties_represented_by_their_heads_in_a_preamble(tmp_path):
    text = (
        "Entre les soussignés :\n\n"
        "L'État, représenté par le Préfet du Nord, Monsieur Georges DUPONT,\n\n"
        "La Caisse d'Allocations Familiales du Nord, représentée par sa Directrice, Madame Audrey MARTIN,\n\n"
        "Il est convenu ce qui suit.\n"
    )
    found = [(s.organisation.id, s.person) for s in _signatories(tmp_path, text)]
    assert found == [("etat-nord", "Georges DUPONT"), ("caf-nord", "Audrey MARTIN")]


def test_the_signatories_of_another_convention_are_not_the_contracts(tmp_path):
    text = ("Signature entre plusieurs bailleurs de la région d'une convention pour la mutualisation des "
            "heures d'insertion - signataires : Partenord Habitat, SIA Habitat, Maisons & Cités.\n")
    assert _signatories(tmp_path, text) == []


# --- preambles and lists of parties (contracts of other regions) -----------------------------
# Invented texts in the shapes other territories use; names of people are made up.
GIRONDE = Territory("Communauté d'agglomération du Bassin Imaginaire", "CABI", None, None)


def _other(tmp_path: Path, text: str, department: str = "Gironde", epci: Territory = GIRONDE):
    path = tmp_path / "opening.txt"
    path.write_text(text, encoding="utf-8")
    document = read_document(path, document_id="opening")
    resolver = OrganisationResolver(departments=(department,), epci=epci)
    return extract_signatories(document, segment(document), resolver)


def _by_type(found) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in found:
        out.setdefault(s.organisation.type, []).append(s.organisation.name)
    return out


def test_entre_d_une_part_d_autre_part(tmp_path):
    found = _other(tmp_path, """\
CONTRAT DE VILLE 2015-2020

Entre

L'État, représenté par M. Albert DUPLESSIS, Préfet de la Gironde,

La Ville de Libourne, représentée par Mme Claire VANNIER, Maire,

d'une part,

Et

Le Département de la Gironde, représenté par M. Henri ROUSSEAU, Président du Conseil départemental,

La Caisse d'Allocations Familiales de la Gironde, représentée par Mme Lucie PERRIN, Directrice,

d'autre part,

Il est convenu ce qui suit.

Article 1 – Objet

Le contrat fixe le cadre d'intervention des partenaires dans les quartiers prioritaires.
""")
    ids = [s.organisation.id for s in found]
    assert ids == ["etat-gironde", "commune-libourne", "departement-gironde", "caf-gironde"]
    assert [s.person for s in found] == ["Albert DUPLESSIS", "Claire VANNIER", "Henri ROUSSEAU", "Lucie PERRIN"]
    assert all(s.confidence and s.confidence >= 0.85 for s in found)


def test_numbered_parties_and_overseas_bodies(tmp_path):
    found = _other(tmp_path, """\
Le présent contrat de ville est conclu entre :

1) L'État, représenté par le Préfet de la Martinique ;
2) La Ville de Schoelcher, représentée par son Maire ;
3) La Collectivité territoriale de Martinique ;
4) La Caisse générale de sécurité sociale de la Martinique ;
5) La Société immobilière de la Martinique (SIMAR) ;
6) Les conseils citoyens des quartiers prioritaires.

Article 2 – Les quartiers
""", department="Martinique")
    types = _by_type(found)
    assert types["cpam"] == ["CGSS de la Martinique"]
    assert types["region"] == ["Collectivité territoriale de Martinique"]
    assert types["social_landlord"] == ["Société immobilière de la Martinique (SIMAR)"]
    assert "other" in types and "commune" in types and "state" in types
    assert len(found) == 6


def test_bullets_of_bare_names_and_a_line_of_landlords(tmp_path):
    found = _other(tmp_path, """\
Les parties au présent contrat sont :
• l'État, représenté par la Préfète de la Gironde ;
• la Région Nouvelle-Aquitaine ;
• la Mission locale des Graves ;
• Aquitanis, Mésolia et Clairsienne.

Les deux premiers signataires financent le contrat.
""")
    types = _by_type(found)
    assert types["social_landlord"] == ["Aquitanis", "Mésolia", "Clairsienne"]
    assert types["region"] == ["Région Nouvelle-Aquitaine"]
    assert "mission_locale" in types
    bare = next(s for s in found if s.organisation.type == "region")
    represented = next(s for s in found if s.organisation.type == "state")
    assert bare.confidence < represented.confidence


def test_one_sentence_naming_parties_with_collective_communes(tmp_path):
    found = _other(tmp_path, """\
Le présent protocole est signé par l'État, la Communauté d'agglomération du Bassin Imaginaire, les communes
de Cenon, de Floirac et du Bouscat, la Caisse d'allocations familiales de la Gironde, les bailleurs
Domofrance, Gironde Habitat et Nouvel Horizon, ainsi que la Banque des Territoires.

1 – Les quartiers concernés
""")
    names = [s.organisation.name for s in found]
    assert {"Cenon", "Floirac", "Le Bouscat"} <= set(names)
    assert {"Domofrance", "Gironde Habitat", "Nouvel Horizon"} <= set(names)
    assert not any(s.organisation.id.startswith(("communes-", "bailleurs-sociaux-")) for s in found)
    assert "caisse-des-depots" in [s.organisation.id for s in found]


def test_table_of_signatories_with_acronyms(tmp_path):
    found = _other(tmp_path, """\
TABLEAU DES SIGNATAIRES

Institution\tReprésentée par
ÉTAT\tLe Préfet de La Réunion
CAF\tLe Directeur de la Caisse d'allocations familiales de La Réunion
CGSS\tLe Directeur général
SIDR\tLe Directeur général

Sigles utilisés : SIDR (Société immobilière du département de La Réunion).
""", department="La Réunion")
    assert [s.organisation.type for s in found] == ["state", "caf", "cpam", "social_landlord"]


def test_title_line_then_name_line_in_a_paragraph(tmp_path):
    found = _other(tmp_path, """\
LES SIGNATAIRES

Le Maire de Blanquefort
Jeanne MOREAU

Le Directeur général de Gironde Habitat
Paul LEROY
""")
    assert [s.organisation.name for s in found] == ["Blanquefort", "Gironde Habitat"]
    assert [s.person for s in found] == ["Jeanne MOREAU", "Paul LEROY"]
    assert found[0].confidence == 0.95


def test_circular_and_governance_lists_are_not_parties(tmp_path):
    found = _other(tmp_path, """\
Le comité de pilotage réunit l'État, la Région Nouvelle-Aquitaine et le Département de la Gironde.
Il vous appartient de réunir les signataires suivants : l'État, la Région, le Département.
""")
    assert found == []


# --- the learned reader (ingest/extract/signatory_reader.py, ingest/data/signatory_model.json) ----

def _learned(tmp_path: Path, text: str):
    from ingest.extract.signatory_reader import extract_signatories_learned, shipped_signatory_model

    model = shipped_signatory_model()
    assert model is not None, "ingest/data/signatory_model.json is shipped (`contrats train --no-units`)"
    path = tmp_path / "snippet.txt"
    path.write_text(text, encoding="utf-8")
    document = read_document(path, document_id="snippet")
    resolver = OrganisationResolver(departments=("Nord",), epci=CAMVS)
    return extract_signatories_learned(document, segment(document), resolver, model)


def test_the_signatory_model_loads_and_is_made_of_genre_features():
    from ingest.extract.gazetteer import reference_folder
    from ingest.extract.signatory_reader import SHIPPED_SIGNATORY_MODEL, SignatoryModel
    from ingest.training.extraction import place_words

    model = SignatoryModel.load(SHIPPED_SIGNATORY_MODEL)
    assert model.classifier.classes == ("0", "1")
    assert 0.0 <= model.rule_threshold <= 1.0 and 0.0 < model.threshold < 1.0
    assert len(model.meta["documents"]) >= 20 and model.meta["positives"] > 300
    # Never trained on a test opening.
    from ingest.training.extraction import openings_split
    test = {s for s, split in openings_split(ROOT / "tests/gold/openings").items() if split == "test"}
    assert test and not test & set(model.meta["documents"])
    # No bag of place names: the words around a mention are never a word of the training
    # documents' territories (commune and intercommunality names of the reference tables).
    places = place_words(str(reference_folder()))
    generic = {"metropole", "agglo", "agglomeration", "pays", "grand", "val", "saint", "sur", "de", "du", "la",
               "le", "les", "en", "ville", "port", "terre", "centre", "ouest", "excellence", "coeur",
               "communaute"}
    territory_words = {w for doc in model.meta["documents"] for w in re.split(r"[-\d]+", doc)
                       if len(w) > 2} & places - generic
    words = {k.split("=", 1)[1] for k in model.classifier.weights if re.match(r"^[lr]\d=", k)}
    assert not words & territory_words, sorted(words & territory_words)
    assert not any(k.startswith("rule_") for k in model.classifier.weights)


UNSEEN_SHAPE = """\
Contrat de ville 2024-2030

Préambule

Le présent contrat a été signé le 4 juillet 2024 en mairie par les partenaires suivants :

◦ la Ville de Feignies, représentée par son maire, M. Patrick LEDUC ;
◦ la Caisse d'allocations familiales du Nord, représentée par sa directrice, Mme Audrey MARTIN ;
◦ Partenord Habitat, représenté par son directeur général, M. Paul LEROY ;
◦ la Région Hauts-de-France, représentée par son président.

Il est convenu ce qui suit.

Article 3 - Gouvernance

Le comité de pilotage, présidé par le sous-préfet, réunit chaque année la CPAM du Hainaut,
France Travail et la Mission locale, qui présentent le bilan de leurs actions dans les quartiers
et proposent les priorités de l'année suivante aux membres du comité.
"""


def test_the_learned_reader_on_an_unseen_shape(tmp_path):
    found = {s.organisation.type: s for s in _learned(tmp_path, UNSEEN_SHAPE)}
    # The parties of the bulleted list with open circles, whatever their order…
    assert {"commune", "caf", "social_landlord", "region"} <= set(found)
    assert found["caf"].person == "Audrey MARTIN"
    assert all(s.provenance and s.provenance[0].line for s in found.values())
    # …and not the bodies a governance article names.
    assert not {"cpam", "france_travail", "mission_locale"} & set(found)


def test_without_a_model_the_rules_read_the_signatories(tmp_path, monkeypatch):
    from ingest.extract import signatory_reader

    monkeypatch.setattr(signatory_reader, "shipped_signatory_model", lambda: None)
    path = tmp_path / "snippet.txt"
    path.write_text(SIGNATURE_PAGE, encoding="utf-8")
    document = read_document(path, document_id="snippet")
    resolver = OrganisationResolver(departments=("Nord",), epci=CAMVS)
    got = signatory_reader.extract_signatories_learned(document, segment(document), resolver)
    assert [s.organisation.id for s in got] == ["etat-nord", "commune-feignies", "sambre-mobilites", "caf-nord"]


ATTENDANCE_THEN_PARTIES = """\
Contrat de ville 2024-2030

Méthode d'élaboration

Les institutions suivantes étaient représentées lors des ateliers d'écriture :

- la CPAM du Hainaut ;
- France Travail ;
- la Mission locale.

Entre :

la Ville de Feignies, représentée par son maire, M. Patrick LEDUC,

la Caisse d'allocations familiales du Nord, représentée par sa directrice, Mme Audrey MARTIN,

la Région Hauts-de-France, représentée par son président,

il est convenu ce qui suit.
"""


def test_an_attendance_list_is_described_as_one(tmp_path):
    """The items under a lead-in that says who took part carry that cue; the parties do not."""
    from ingest.extract.signatory_reader import candidates

    path = tmp_path / "snippet.txt"
    path.write_text(ATTENDANCE_THEN_PARTIES, encoding="utf-8")
    document = read_document(path, document_id="snippet")
    resolver = OrganisationResolver(departments=("Nord",), epci=CAMVS)
    by_type = {c.organisation.type: c.features for c in candidates(document, segment(document), resolver)}
    assert by_type["cpam"].get("lead_attend") and by_type["france_travail"].get("lead_attend")
    assert not by_type["caf"].get("lead_attend") and not by_type["caf"].get("colon_attend")


def test_the_learned_reader_leaves_out_who_only_attended(tmp_path):
    found = {s.organisation.type for s in _learned(tmp_path, ATTENDANCE_THEN_PARTIES)}
    assert {"commune", "caf", "region"} <= found
    assert not {"cpam", "france_travail", "mission_locale"} & found


def test_a_group_stands_for_its_members_unless_they_sign_beside_it(tmp_path):
    """"les communes concernées" in the list of parties gives the communes the contract names; one
    of them read as a signatory a hundred passages away does not cancel the group."""
    from ingest.extract.linear_model import LinearClassifier
    from ingest.extract.signatory_reader import (
        NEAR_PASSAGES,
        SignatoryCandidate,
        SignatoryModel,
        read_signatories,
    )

    filler = "\n\n".join(f"Le diagnostic du quartier décrit la situation numéro {k}." for k in range(NEAR_PASSAGES + 20))
    text = ("Signataires : l'État, les communes concernées et la CAF du Nord.\n\n"
            "La commune de Feignies et la ville de Jeumont comptent chacune un quartier prioritaire.\n\n"
            f"{filler}\n\nCOMMUNE DE JEUMONT\n")
    path = tmp_path / "snippet.txt"
    path.write_text(text, encoding="utf-8")
    document = read_document(path, document_id="snippet")
    passages = segment(document)
    resolver = OrganisationResolver(departments=("Nord",), epci=CAMVS)
    group = Organisation(id="communes-concernees", name="Communes concernées", type="commune")
    jeumont = next(o for _, _, o in resolver.find("COMMUNE DE JEUMONT"))
    far = SignatoryCandidate(jeumont, passages[-1], 0)
    cands = [SignatoryCandidate(group, passages[0], text.index("les communes")), far]
    model = SignatoryModel(LinearClassifier(("0", "1"), {}, (0.0,)), threshold=0.5, rule_threshold=0.5)
    got = {s.organisation.name for s in read_signatories(document, passages, resolver, model, cands, [0.9, 0.9])}
    assert {"Feignies", "Jeumont"} <= got
    # The same commune signing in the group's own list: the group is its collective line.
    near = SignatoryCandidate(jeumont, passages[0], text.index("CAF"))
    got = {s.organisation.name for s in read_signatories(document, passages, resolver, model, [cands[0], near],
                                                           [0.9, 0.9])}
    assert got == {"Jeumont"}


def test_in_a_whole_contract_a_body_named_once_mid_document_is_not_a_signatory(tmp_path):
    """Signatories of a long contract sit in its first or last pages; a body that a chapter in the
    middle names once, alone on its line, is a subject of the text (as in an opening it might not be).
    A guard: the reader before position was read apart in whole contracts passes it too."""
    chapters = []
    for k in range(1, 260):
        chapters.append(f"Chapitre {k}\n\nLe diagnostic partagé décrit la situation du quartier au point {k}, "
                        "les besoins des habitants et les actions déjà conduites dans ce domaine.")
        if k == 130:
            chapters.append("COMMUNE DE JEUMONT")
    text = ("Contrat de ville 2024-2030\n\nEntre :\n\nla Ville de Feignies, représentée par son maire, "
            "M. Patrick LEDUC,\n\nla Caisse d'allocations familiales du Nord, représentée par sa directrice, "
            "Mme Audrey MARTIN,\n\nil est convenu ce qui suit.\n\n" + "\n\n".join(chapters) + "\n")
    found = {s.organisation.name for s in _learned(tmp_path, text)}
    assert {"Feignies", "CAF du Nord"} <= found
    assert "Jeumont" not in found
