"""Organisation resolution through the gazetteer (ingest/data/organisations.yaml): aliases and
acronyms, one id per real-world body, departments and territories. Snippets are phrases copied
from the corpus (Maubeuge 2024, Valenciennes 2015 and 2019)."""

from __future__ import annotations

import time
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from ingest.corpus import ingest_file
from ingest.extract.organisations import OrganisationResolver, departments_of
from ingest.extract.territory import extract_territory
from ingest.model import PARTNER_TYPES, DocumentMeta, Territory

ROOT = Path(__file__).resolve().parent.parent
CAMVS = Territory("Communauté d'Agglomération Maubeuge-Val de Sambre", "CAMVS", "200043396", "CN05903M")
CAVM = Territory("Valenciennes Métropole", "CAVM", "245901160")


@pytest.fixture
def nord() -> OrganisationResolver:
    return OrganisationResolver(departments=("Nord",), epci=CAMVS)


def _id(resolver: OrganisationResolver, phrase: str) -> str | None:
    org = resolver.resolve(phrase)
    return org.id if org else None


@pytest.mark.parametrize("phrase", [
    "la Caf", "La CAF", "CAF du Nord", "la Caf du Nord", "Caisse d'Allocations Familiales",
    "Caisse d’Allocations Familiales", "Madame la Directrice Départementale de la CAF DU NORD",
])
def test_caf_aliases_resolve_to_the_caf_of_the_contracts_department(nord, phrase):
    assert _id(nord, phrase) == "caf-nord"


def test_caf_du_nord_and_caf_du_pas_de_calais_are_two_bodies(nord):
    nord_caf, pdc_caf = nord.resolve("CAF du Nord"), nord.resolve("la CAF du Pas-de-Calais")
    assert (nord_caf.id, pdc_caf.id) == ("caf-nord", "caf-pas-de-calais")
    assert pdc_caf.name == "CAF du Pas-de-Calais" and pdc_caf.type == "caf"
    # A Pas-de-Calais contract's bare "la Caf" is its own CAF.
    pas_de_calais = OrganisationResolver(departments=("Pas-de-Calais",), epci=CAMVS)
    assert _id(pas_de_calais, "la Caf") == "caf-pas-de-calais"


@pytest.mark.parametrize("phrase", [
    "Pôle emploi", "le Pôle Emploi", "Pôle-emploi", "France Travail", "France Travail (ex-Pôle emploi)",
    "Madame la Directrice départementale de FRANCE TRAVAIL",
])
def test_pole_emploi_is_france_travail(nord, phrase):
    org = nord.resolve(phrase)
    assert (org.id, org.type, org.name) == ("france-travail", "france_travail", "France Travail")


@pytest.mark.parametrize(("phrase", "org_id", "name"), [
    ("Monsieur le Maire de\nFEIGNIES", "commune-feignies", "Feignies"),
    ("Monsieur le Maire d' AULNOYE-AYMERIES", "commune-aulnoye-aymeries", "Aulnoye-Aymeries"),
    ("Monsieur le Maire de FERRIÈRE-LA-GRANDE", "commune-ferriere-la-grande", "Ferrière-la-Grande"),
    ("la Ville de Maubeuge", "commune-maubeuge", "Maubeuge"),
    ("COMMUNE DE CONDÉ-SUR-L'ESCAUT", "commune-conde-sur-l-escaut", "Condé-sur-l'Escaut"),
    ("Ville de St Saulve", "commune-saint-saulve", "Saint-Saulve"),
    ("COMMUNE DE PETITE FORET", "commune-petite-foret", "Petite Foret"),
    ("la Ville du Quesnoy", "commune-le-quesnoy", "Le Quesnoy"),
])
def test_communes_get_their_name_in_proper_case(nord, phrase, org_id, name):
    org = nord.resolve(phrase)
    assert (org.id, org.name, org.type) == (org_id, name, "commune")


def test_headings_in_capitals_do_not_run_into_the_commune_name(nord):
    assert _id(nord, "COMMUNE DE MARLY ATOUTS POINTS DE VIGILANCE") == "commune-marly"
    assert _id(nord, "le contrat de ville de Maubeuge") is None  # a title, not the commune


@pytest.mark.parametrize(("phrase", "org_id"), [
    ("l'Etat", "etat-nord"), ("l'État", "etat-nord"), ("Préfecture du Nord", "etat-nord"),
    ("Madame la Préfète Déléguée pour l'Égalité des Chances PREFECTURE DU NORD", "etat-nord"),
    ("la DDETS", "ddets-nord"),
    ("Direction Départementale de l'Emploi, du Travail et des Solidarités (DDETS)", "ddets-nord"),
    ("L'Éducation nationale", "dsden-nord"),
    ("Monsieur le Directeur académique des services de l' ÉDUCATION NATIONALE DU NORD", "dsden-nord"),
    ("l'ARS", "ars-hauts-de-france"), ("Agence Régionale de Santé Hauts-de-France", "ars-hauts-de-france"),
    ("La Direction régionale des affaires culturelles (DRAC)", "drac-hauts-de-france"),
    ("La Protection judiciaire de la jeunesse (PJJ)", "pjj-nord"),
    ("la police nationale", "police-nord"), ("DDTM", "ddtm-nord"),
    ("Monsieur le Procureur de la République d'AVESNES-SUR-HELPE", "justice-avesnes-sur-helpe"),
])
def test_state_services_are_distinct_bodies_of_type_state(nord, phrase, org_id):
    org = nord.resolve(phrase)
    assert (org.id, org.type) == (org_id, "state")


def test_letat_as_a_common_noun_is_not_the_state(nord):
    assert nord.resolve("l'état des lieux") is None
    assert nord.resolve("dans la région") is None


@pytest.mark.parametrize(("phrase", "org_id", "type_"), [
    ("Monsieur le Président du CONSEIL DÉPARTEMENTAL DU NORD", "departement-nord", "department"),
    ("le Conseil Général du Nord", "departement-nord", "department"),
    ("La Région", "region-hauts-de-france", "region"),
    ("Conseil Régional Nord - Pas-de-Calais", "region-hauts-de-france", "region"),  # the former region
    ("l'Agglomération", "epci-200043396", "epci"), ("la CAMVS", "epci-200043396", "epci"),
    ("COMMUNAUTÉ D'AGGLOMÉRATION MAUBEUGE-VAL DE SAMBRE", "epci-200043396", "epci"),
    ("la Banque des Territoires", "caisse-des-depots", "caisse_des_depots"),
    ("Caisse des Dépôts et Consignations", "caisse-des-depots", "caisse_des_depots"),
    ("Monsieur le Directeur Régional BPI FRANCE", "bpifrance", "bpifrance"),
    ("CHAMBRE DE COMMERCE ET D'INDUSTRIE DU GRAND-HAINAUT", "cci-grand-hainaut", "chamber"),
    ("CHAMBRE DE METIERS ET DE L'ARTISANAT des Hauts-de-France", "cma-hauts-de-france", "chamber"),
    ("Madame la Directrice de la CPAM DU HAINAUT", "cpam-hainaut", "cpam"),
    ("PARTENORD HABITAT", "bailleur-partenord-habitat", "social_landlord"),
    ("PROMOCIL - GROUPE SAMBRE-AVESNOIS IMMOBILIER", "bailleur-promocil", "social_landlord"),
    ("SOGINORPA", "bailleur-maisons-et-cites", "social_landlord"),
    ("les bailleurs sociaux", "bailleurs-sociaux-maubeuge-val-de-sambre", "social_landlord"),
    ("Chambres Consulaires", "chambres-consulaires-maubeuge-val-de-sambre", "chamber"),
    ("la Mission Locale Sambre Avesnois", "mission-locale-sambre-avesnois", "mission_locale"),
])
def test_partner_kinds(nord, phrase, org_id, type_):
    org = nord.resolve(phrase)
    assert (org.id, org.type) == (org_id, type_)
    assert org.type in PARTNER_TYPES


def test_another_epci_is_not_the_contracts(nord):
    org = nord.resolve("la Communauté d'Agglomération de la Porte du Hainaut")
    assert org.type == "epci" and org.id != "epci-200043396"


def test_a_qualified_form_seen_once_names_the_bare_form_later(nord):
    assert _id(nord, "Caisse Primaire d'Assurance Maladie du Hainaut") == "cpam-hainaut"
    assert _id(nord, "la CPAM") == "cpam-hainaut"
    assert _id(nord, "Centre hospitalier de Maubeuge (CHM) et") == "centre-hospitalier-maubeuge"
    assert _id(nord, "le CHM") == "centre-hospitalier-maubeuge"


def test_find_gives_every_mention_with_offsets(nord):
    text = "L'État, à travers la DDETS, et la Caf du Nord mobiliseront Pôle emploi."
    found = nord.find(text)
    assert [o.id for _, _, o in found] == ["etat-nord", "ddets-nord", "caf-nord", "france-travail"]
    for start, end, org in found:
        assert text[start:end] == org.aliases[0]


@pytest.mark.parametrize(("text", "org_id"), [
    ("La CAF du Nord s'engage à :", "caf-nord"),
    ("L'État, à travers la DDETS, mobilisera", "etat-nord"),
    ("Engagements de la Région", "region-hauts-de-france"),
    ("I • Priorités et cadre d'intervention de l'État", "etat-nord"),
    ("Pour France Travail :", "france-travail"),
    ("Il est rappelé que la CAF finance", None),
])
def test_subject_is_the_body_a_sentence_starts_with(nord, text, org_id):
    org = nord.subject(text)
    assert (org.id if org else None) == org_id


@cache
def _ingested(name: str):
    return ingest_file(ROOT / "corpus" / name)


def test_departments_from_contract_code_siren_or_text():
    assert departments_of(CAMVS, [])[0] == "Nord"  # CN059…
    assert departments_of(CAVM, [])[0] == "Nord"  # SIREN 24 59 …
    unknown = Territory("Communauté d'Agglomération Exemple")
    x = _ingested("valenciennes_2019_protocole-engagements.txt")
    assert departments_of(unknown, x.passages)[0] == "Nord"  # the department the text names most


def test_territory_from_the_manifest_then_the_text():
    x = _ingested("maubeuge-val-de-sambre_2024_contrat-de-ville.txt")
    t = extract_territory(x.document, x.passages)
    assert (t.siren, t.contract_code, t.short_name) == ("200043396", "CN05903M", "CAMVS")
    # Without a manifest the intercommunality, its acronym, SIREN and code come from text + reference.
    bare = replace(x.document, meta=DocumentMeta(generation="2024"))
    guessed = extract_territory(bare, x.passages)
    assert (guessed.siren, guessed.contract_code, guessed.short_name) == ("200043396", "CN05903M", "CAMVS")
    assert "Maubeuge" in guessed.name


@pytest.mark.slow  # reads the whole 2015 contract, the longest: out of the fast loop
def test_territory_of_a_2015_contract_gets_no_2024_contract_code():
    x = _ingested("valenciennes_2015_contrat-de-ville.txt")
    bare = replace(x.document, meta=DocumentMeta(generation="2015"))
    t = extract_territory(bare, x.passages)
    assert t.siren == "245901160" and t.contract_code is None


@pytest.mark.slow  # reads the whole 2015 contract, the longest: out of the fast loop
def test_resolver_is_fast_on_the_longest_document():
    x = _ingested("valenciennes_2015_contrat-de-ville.txt")
    resolver = OrganisationResolver(departments=("Nord",), epci=CAVM)
    started = time.perf_counter()
    mentions = sum(len(resolver.find(p.text)) for p in x.passages)
    assert mentions > 500
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("phrase", ["Etat des lieux", "État de santé des habitants", "tranquillité et sécurité publique"])
def test_common_phrases_are_not_bodies(nord, phrase):
    assert nord.resolve(phrase) is None


@pytest.mark.parametrize(("text", "org_id"), [
    ("3.2 Engagements spécifiques de la Ville de Maubeuge", "commune-maubeuge"),
    ("En tant que signataire, la CAF s'engage", "caf-nord"),
    ("Avec la CAF, la Région soutiendra", "region-hauts-de-france"),
    ("Bailleur social – Partenord", "bailleur-partenord-habitat"),
    ("Fiche partenaire : CAF du Nord", "caf-nord"),
    ("La Direction Prévention - Tranquillité Publique de la CAF, s'appuie sur", "caf-nord"),
    ("Le pôle cohésion sociale de la Région pilotera", "region-hauts-de-france"),
    ("Les actions financées par la CAF sont", None),
    ("La mission de la CAF est d'aider", "caf-nord"),
])
def test_subject_after_numbering_framing_clause_or_label(nord, text, org_id):
    org = nord.subject(text)
    assert (org.id if org else None) == org_id


@pytest.mark.parametrize(("phrase", "org_id", "name", "type_"), [
    ("la Métropole Européenne de Lille", "epci-200093201", "Métropole Européenne de Lille", "epci"),
    ("la Porte du Hainaut", "epci-200042190", "Communauté d'agglomération de la Porte du Hainaut", "epci"),
    ("l'Université d'Artois", "universite-artois", "Université d'Artois", "other_public"),
    ("l'association « Les Restos du Cœur »", "association-les-restos-du-coeur",
     "Association Les Restos du Cœur", "association"),
    ("le centre social Jean Ferrat", "centre-social-jean-ferrat", "Centre social Jean Ferrat", "association"),
])
def test_bodies_named_by_the_reference_table_or_a_cue_word(nord, phrase, org_id, name, type_):
    org = nord.resolve(phrase)
    assert (org.id, org.name, org.type) == (org_id, name, type_)


def test_a_commune_named_like_its_intercommunality_is_still_the_commune():
    arras = Territory("Communauté Urbaine d'Arras", "CUA", "200033579", "CN06209I")
    resolver = OrganisationResolver(departments=("Pas-de-Calais",), epci=arras)
    assert _id(resolver, "la Ville d'Arras") == "commune-arras"
    assert _id(resolver, "la Communauté Urbaine") == "epci-200033579"
    assert _id(resolver, "la Caf") == "caf-pas-de-calais"


def test_every_2024_contract_code_gives_its_department():
    import csv

    from ingest.extract.gazetteer import gazetteer

    by_code = gazetteer().departments_by_code
    with (ROOT / "reference" / "contrats_de_ville_2024.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            dep = row["insee_dep"]
            dep = dep[1:] if len(dep) == 3 and dep[0] == "0" else dep
            if dep in by_code:  # one row has no department
                assert departments_of(Territory("x", contract_code=row["code_cv"]), [])[0] == by_code[dep].name


@pytest.mark.parametrize(("phrase", "org_id"), [
    ("C.A.V.M", "epci-245901160"), ("la Drac", "drac-hauts-de-france"), ("DDETS et Pôle emploi", "ddets-nord"),
    ("la CMAR", "cma-hauts-de-france"), ("PACT du Hainaut", "bailleur-pact-du-hainaut"),
])
def test_written_variants(phrase, org_id):
    resolver = OrganisationResolver(departments=("Nord",), epci=CAVM)
    assert _id(resolver, phrase) == org_id


def test_a_commune_named_alone_once_the_contract_has_named_it():
    resolver = OrganisationResolver(departments=("Nord",), epci=CAVM)
    assert resolver.resolve("CRESPIN") is None
    resolver.find("COMMUNE DE CRESPIN")
    assert _id(resolver, "CRESPIN") == "commune-crespin"


def test_a_learnt_resolver_answers_the_same_whatever_was_asked_before() -> None:
    """Resolvers are pure once they have read the contract (issue 13.3): no order effects."""
    ingested = ingest_file(ROOT / "corpus" / "maubeuge-val-de-sambre_2024_contrat-de-ville.txt")
    territory = extract_territory(ingested.document, ingested.passages)
    probes = ["La CPAM du Hainaut et la CAF mobiliseront leurs équipes.",
              "Monsieur le Maire de Jeumont", "La Caisse d'allocations familiales du Nord (CAFNQ) agira.",
              "la CAFNQ", "la commune de Louvroil", "CPAM", "Bailleur social Promocil"]

    def answers(order: list[str]) -> dict[str, list[tuple[int, int, str]]]:
        resolver = OrganisationResolver(departments=departments_of(territory, ingested.passages), epci=territory)
        resolver.learn(ingested.passages)
        return {text: [(s, e, o.id) for s, e, o in resolver.find(text)] for text in order}

    forward, backward = answers(probes), answers(list(reversed(probes)))
    assert forward == backward
    assert any(forward[text] for text in probes)
