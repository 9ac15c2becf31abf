"""Extraction of the strategy, commitments, indicators and themes, on snippets written the way
contracts write them (shapes taken from the corpus, names changed so no rule can lean on them)."""

from __future__ import annotations

from ingest.extract.commitment_language import is_binding, is_possibility
from ingest.extract.commitments import extract_commitments
from ingest.extract.indicators import extract_indicators
from ingest.extract.organisations import OrganisationResolver
from ingest.extract.strategy_index import StructureIndex, strategy_labels
from ingest.extract.structure import extract_orientations
from ingest.extract.themes import theme_ids, themes_of
from ingest.model import Document, DocumentMeta, Territory
from ingest.read.text import text_to_blocks
from ingest.segment import segment

TERRITORY = Territory("Communauté d'Agglomération du Val de Lys", "CAVL", "200000172")


def _document(text: str, doc_id: str = "test-doc"):
    blocks = text_to_blocks(text).blocks
    doc = Document(id=doc_id, path="<test>", sha256="0", source_format="text",
                   meta=DocumentMeta(territory=TERRITORY.name, territory_short="CAVL"), blocks=blocks)
    return doc, segment(doc)


def _extract(text: str):
    doc, passages = _document(text)
    resolver = OrganisationResolver(departments=("Nord",), epci=TERRITORY)
    orientations = extract_orientations(doc, passages)
    index = StructureIndex(orientations, passages)
    commitments = extract_commitments(doc, passages, resolver, index.locate,
                                      neighbourhood_names=("Les Tilleuls", "Haut-Champ"),
                                      commune_names=("Lysville",),
                                      strategy_labels=strategy_labels(orientations))
    indicators = extract_indicators(doc, passages, commitments, index.locate)
    return orientations, commitments, indicators


def test_numbered_orientations_merge_their_label_variants() -> None:
    text = ("ORIENTATION 1\n\nPour une meilleure santé des habitants\n\n"
            "Les objectifs du contrat de ville\n\n- Développer l'offre de soins de proximité\n"
            "- Lever les freins à l'accès aux droits\n\n"
            "ORIENTATION 2 Pour des parcours éducatifs égalitaires\n\n"
            "ORIENTATION 1 Pour une meilleure santé des habitants\n")
    orientations, _, _ = _extract(text)
    assert [o.number for o in orientations] == ["1", "2"]
    first = orientations[0]
    assert first.label == "Pour une meilleure santé des habitants"
    assert [o.label for o in first.objectives] == ["Développer l'offre de soins de proximité",
                                                    "Lever les freins à l'accès aux droits"]
    assert "health" in first.themes


def test_coded_objectives_hang_under_their_prefix_whatever_the_order() -> None:
    text = ("Orientation 3 : Accompagner le renouvellement urbain\n\n"
            "3.1.2 Renforcer la coordination des bailleurs.\n\n"
            "Objectif 3.1 : Améliorer l'habitat\n\n"
            "3.1.1 Repérer les ménages en difficulté.\n\n"
            "3.1.1.1 Former les gardiens au repérage.\n")
    orientations, _, _ = _extract(text)
    (o,) = orientations
    (top,) = o.objectives
    assert (top.code, top.level) == ("3.1", "strategic")
    assert [c.code for c in top.children] == ["3.1.1", "3.1.2"]
    assert top.children[0].children[0].code == "3.1.1.1"
    assert top.children[0].children[0].level == "other"


def test_unnumbered_orientation_is_the_heading_above_strategic_objectives() -> None:
    text = ("QUARTIER SOLIDAIRE\n\nObjectif stratégique 1 : Renforcer la médiation\n\n"
            "Objectifs opérationnels:\n\n- 1A Créer des lieux d'accueil\n- 1B Former des médiateurs\n\n"
            "Objectif stratégique 2 : Ouvrir le quartier\n")
    orientations, _, _ = _extract(text)
    (o,) = orientations
    assert o.label == "Quartier solidaire" and o.number is None
    assert [(ob.code, ob.level) for ob in o.objectives] == [("1", "strategic"), ("2", "strategic")]
    assert [c.code for c in o.objectives[0].children] == ["1A", "1B"]


def test_lead_in_subject_carries_down_to_each_bullet() -> None:
    text = ("Les engagements des partenaires\n\n"
            "La Caf du Nord s'engage à :\n\n- Soutenir les lieux d'accueil enfants-parents\n"
            "- Développer les places de crèche en quartier prioritaire\n\n"
            "La Région peut financer des études de faisabilité.\n")
    _, commitments, _ = _extract(text)
    assert [(c.partner.id, c.text) for c in commitments] == [
        ("caf-nord", "Soutenir les lieux d'accueil enfants-parents"),
        ("caf-nord", "Développer les places de crèche en quartier prioritaire"),
    ]
    assert "early_childhood_parenting" in commitments[1].themes


def test_possibility_is_never_a_commitment() -> None:
    assert is_possibility("La Région pourra financer des études")
    assert not is_binding("Le Département peut financer des actions de prévention.")
    assert is_binding("Le Département financera des actions de prévention.")
    _, commitments, _ = _extract("La CPAM peut accompagner les assurés.\n\nLa CPAM accompagnera les assurés vers le dépistage.\n")
    assert [c.text for c in commitments] == ["La CPAM accompagnera les assurés vers le dépistage."]


def test_partner_block_then_infinitive_bullets() -> None:
    text = ("Les contributions des partenaires pour le contrat de ville\n\n"
            "CPAM\n\n- Développer la présence sur le terrain des conseillers\n- Promouvoir le dépistage des cancers\n\n"
            "Bailleur social Partenord\n\n- Renforcer la présence des gardiens\n")
    _, commitments, _ = _extract(text)
    assert [c.partner.type for c in commitments] == ["cpam", "cpam", "social_landlord"]


def test_commune_chapter_and_neighbourhood_specific_commitments() -> None:
    text = ("Présentation de la commune et de ses QPV\n\n"
            "La commune de Lysville compte deux quartiers prioritaires et la ville de Lysville y porte ses projets.\n\n"
            "Les engagements de la commune pour les quartiers\n\nORIENTATION 2\n\n"
            "(Engagements communs pour tous les quartiers)\n\n- La commune s'engage à organiser un forum de l'emploi\n\n"
            "ENGAGEMENT SPÉCIFIQUE POUR LE QUARTIER DES TILLEULS\n\n- Créer un espace de vie sociale\n")
    _, commitments, _ = _extract(text)
    assert {c.partner.id for c in commitments} == {"commune-lysville"}
    assert commitments[0].neighbourhoods == ()
    assert commitments[1].neighbourhoods == ("Les Tilleuls",)


def test_table_with_an_operator_column() -> None:
    text = ("Objectifs stratégiques\tActions concrètes\tCalendrier\tOpérateur\n"
            "PROMOUVOIR L'ÉDUCATION\tDéployer deux cités éducatives\t2030\tDSDEN\n"
            "\tDédoubler les classes de grande section\t2030\t\n"
            "SANTÉ\tCouvrir 100 % des QPV par un médiateur santé\t2027\tARS\n")
    _, commitments, _ = _extract(text)
    assert [(c.partner.type, c.text) for c in commitments] == [
        ("state", "Déployer deux cités éducatives"),
        ("state", "Dédoubler les classes de grande section"),
        ("state", "Couvrir 100 % des QPV par un médiateur santé"),
    ]
    assert commitments[0].partner.id != commitments[2].partner.id  # DSDEN and ARS are two services


def test_annex_repeating_a_commitment_is_kept_once() -> None:
    text = "La Région mobilisera ses crédits pour la mobilité.\n\nANNEXE 1\n\nLa Région mobilisera ses crédits pour la mobilité.\n"
    _, commitments, _ = _extract(text)
    assert len(commitments) == 1


def test_indicators_inline_block_and_attached() -> None:
    text = ("La ville de Lysville présente ses quartiers.\n\nLes engagements de la commune pour les quartiers\n\n"
            "- Maintenir les modes de garde existants. Le suivi et l'évaluation de cet engagement se feront "
            "en s'appuyant sur le taux d'occupation de la crèche et le nombre de familles accueillies.\n\n"
            "Indicateurs de suivi :\n\n- Nombre d'ateliers réalisés\n- Taux de participation des habitants\n")
    _, commitments, indicators = _extract(text)
    texts = [i.text for i in indicators]
    assert "le taux d'occupation de la crèche" in texts and "le nombre de familles accueillies" in texts
    assert "Nombre d'ateliers réalisés" in texts
    attached = {i.text: i.commitment for i in indicators}
    assert attached["le taux d'occupation de la crèche"] == commitments[0].id
    assert attached["Nombre d'ateliers réalisés"] is None


def test_themes_come_from_the_shared_scheme() -> None:
    assert len(theme_ids()) >= 17
    assert themes_of("Lutter contre l'illettrisme et le décrochage scolaire") == ("education",)
    assert "safety" in themes_of("prévention de la délinquance et tranquillité publique")
    assert themes_of("") == ()


def test_a_column_header_naming_whose_objectives_is_no_objective() -> None:
    text = ("Orientation 2 : Favoriser la réussite éducative\n\n"
            "Objectifs opérationnels du schéma départemental retenus dans le cadre du contrat\n\n"
            "Objectif 2.1 : Réduire le décrochage scolaire\n")
    orientations, _, _ = _extract(text)
    (o,) = orientations
    assert [ob.label for ob in o.objectives] == ["Réduire le décrochage scolaire"]


def test_row_labels_of_a_table_with_an_axis_column_are_orientations() -> None:
    text = ("Le comité de pilotage a retenu six orientations.\n\n"
            "Axe\tCode\tOrientation 2020-2022\n"
            "Insertion\t1A\tAméliorer la qualification des jeunes des quartiers\n"
            "Insertion\t1B\tOuvrir les entreprises du bassin aux habitants\n"
            "Santé\t2A\tRapprocher les habitants des médecins généralistes\n\n"
            "Tableau de suivi\n\n"
            "Orientation\tIndicateur\tFréquence\n"
            "1A\tNombre de jeunes entrés en formation\tannuelle\n")
    orientations, _, _ = _extract(text)
    assert [o.label for o in orientations] == ["Insertion", "Santé"]
    assert [(ob.code, ob.label) for ob in orientations[0].objectives] == [
        ("1A", "Améliorer la qualification des jeunes des quartiers"),
        ("1B", "Ouvrir les entreprises du bassin aux habitants")]


def test_row_labels_of_a_table_read_flat_by_ocr_are_orientations() -> None:
    # A scanned table loses its columns: its row labels stand alone between the other cells.
    text = ("Engagements du Département pour le protocole\n\n"
            "THÉMATIQUES - Enjeux, mesures, actions envisagées\n\n"
            "Conseil départemental\n\n"
            "- Schéma départemental d'insertion et plan de lutte contre la pauvreté\n\n"
            "Insertion, emploi, formation\n\n"
            "- Ouverture de deux plateformes de l'emploi dans les quartiers\n\n"
            "Actualisation des orientations du programme de réussite éducative\n\n"
            "Habitat, cadre de vie\n\n"
            "- Aide aux ménages pour la rénovation énergétique des logements\n\n"
            "AUTRES THÉMATIQUES - Enjeux, mesures ou actions envisagées\n\n"
            "Égalité femmes-hommes Précisions sur la démarche engagée — voir la note annexée\n\n"
            "Ce tableau sera décliné avec les partenaires dans les prochains mois.\n\n"
            "PLAN D'ACTIONS DE L'AGGLOMÉRATION\n\n"
            "Logement et cadre de vie des familles\n")
    orientations, _, _ = _extract(text)
    assert [o.label for o in orientations] == ["Insertion, emploi, formation", "Habitat, cadre de vie",
                                               "Égalité femmes-hommes"]


def test_lettered_rows_of_a_strategy_table_carry_their_objectives_down() -> None:
    # A row whose other cells are empty is read as a paragraph; the rows below it continue it.
    text = ("Les objectifs retenus\n\n"
            "Orientation stratégique\tObjectifs opérationnels\n"
            "A. Améliorer la santé des familles\t\n"
            "\tA1. Ouvrir une maison de santé dans le quartier\n"
            "\tA2. Développer la prévention auprès des collégiens\n"
            "B. Rompre l'isolement des personnes âgées\t\n"
            "\tB1. Repérer les personnes âgées isolées\n")
    orientations, _, _ = _extract(text)
    assert [(o.number, o.label) for o in orientations] == [("A", "Améliorer la santé des familles"),
                                                           ("B", "Rompre l'isolement des personnes âgées")]
    assert [ob.code for ob in orientations[0].objectives] == ["A1", "A2"]


def test_a_numbered_tree_under_a_strategy_heading_has_its_tops_as_orientations() -> None:
    text = ("3. Méthode de travail\n\n3.1 Les ateliers\n\nTrois ateliers ont réuni les partenaires.\n\n"
            "CHAPITRE 2 – LE CADRE STRATÉGIQUE\n\n"
            "1. SANTÉ : RAPPROCHER LES SOINS DES HABITANTS\n"
            "1.1 Ouvrir une maison de santé pluriprofessionnelle\n"
            "1.2 Prévenir les addictions chez les jeunes\n"
            "2. EMPLOI : OUVRIR LES ENTREPRISES AUX QUARTIERS\n"
            "2.1 Développer les clauses d'insertion\n")
    orientations, _, _ = _extract(text)
    assert [(o.number, o.label) for o in orientations] == [
        ("1", "SANTÉ : RAPPROCHER LES SOINS DES HABITANTS"), ("2", "EMPLOI : OUVRIR LES ENTREPRISES AUX QUARTIERS")]
    assert [ob.code for ob in orientations[0].objectives] == ["1.1", "1.2"]


def test_a_label_opening_with_des_after_a_dash_is_a_label_not_a_complement() -> None:
    text = ("Ambition A – Des quartiers où chacun trouve un emploi\n\n"
            "Le projet s'inscrit dans l'axe 2 du schéma régional.\n\n"
            "Axe 2 du schéma régional de cohésion\n\n"
            "Ambition B – Grandir et apprendre dans son quartier\n")
    orientations, _, _ = _extract(text)
    assert [(o.number, o.label) for o in orientations] == [
        ("A", "Des quartiers où chacun trouve un emploi"), ("B", "Grandir et apprendre dans son quartier")]


def test_an_orientation_heading_may_open_with_its_section_number() -> None:
    text = ("4.2 ENJEU N°2 – L'ÉMANCIPATION PAR L'ÉDUCATION\n\n"
            "OS3 – Garantir à chaque enfant un parcours éducatif sans rupture\n"
            "   OO 3.1 Étendre le programme de réussite éducative\n")
    orientations, _, _ = _extract(text)
    (o,) = orientations
    assert o.number == "2" and o.label.startswith("L'ÉMANCIPATION")
    assert [ob.code for ob in o.objectives] == ["OS3"]


def test_sub_headings_in_sequence_under_an_announcement_are_transversal_axes() -> None:
    text = ("Orientation 1 : Favoriser l'accès à l'emploi\n\n"
            "3. Les axes transversaux du contrat de ville\n\n"
            "3.1. La jeunesse\n\n"
            "Les partenaires ont convenu d'un calendrier de travail :\n\n"
            "1. Établir un diagnostic partagé\n\n"
            "2. Clarifier les priorités\n\n"
            "3.2. L'égalité femmes/hommes\n\n"
            "3.4. Une section hors de la suite\n\n"
            "Axe transversal : Jeunesse\n")
    orientations, _, _ = _extract(text)
    assert orientations[0].label == "Favoriser l'accès à l'emploi"
    assert sorted(o.label for o in orientations[1:]) == ["L'égalité femmes/hommes", "La jeunesse"]


def test_the_chapter_of_a_table_orientation_gives_it_its_objectives() -> None:
    text = ("Axe\tEngagements du Département\n"
            "Santé, accès aux soins\tSchéma départemental de santé\n"
            "Logement social, cadre de vie\tAide à la rénovation des logements\n\n"
            "PLAN POUR LE LOGEMENT SOCIAL DES QUARTIERS\n\n"
            "Ce plan a pour objectifs de :\n\n"
            "- Rénover les logements les plus énergivores ;\n"
            "- Requalifier les espaces publics des cités.\n\n"
            "Cette stratégie se décline à travers 2 axes d'intervention :\n\n"
            "1. Accompagner les copropriétés fragiles dans leurs\n"
            "travaux de rénovation\n\n"
            "2. Reconquérir les espaces publics délaissés\n\n"
            "AUTRE CHAPITRE\n\n"
            "1. Établir un état des lieux\n")
    orientations, _, _ = _extract(text)
    habitat = next(o for o in orientations if o.label == "Logement social, cadre de vie")
    assert [(ob.code, ob.label) for ob in habitat.objectives] == [
        ("1", "Accompagner les copropriétés fragiles dans leurs travaux de rénovation"),
        ("2", "Reconquérir les espaces publics délaissés"),
        (None, "Rénover les logements les plus énergivores"),
        (None, "Requalifier les espaces publics des cités")]


def test_a_list_of_aims_right_under_an_orientation_heading_is_its_objectives() -> None:
    text = ("PILIER 2 – CADRE DE VIE ET RENOUVELLEMENT URBAIN\n"
            "– Achever la transformation urbaine du quartier des Tilleuls\n"
            "– améliorer la gestion urbaine de proximité\n\n"
            "PILIER 3 – EMPLOI\n"
            "– Le centre social est ouvert le samedi. Il accueille les familles.\n"
            "– Favoriser l'accès à l'emploi des jeunes\n\n"
            "La Commune de Lysville\n\n"
            "PILIER 2 – CADRE DE VIE ET RENOUVELLEMENT URBAIN\n"
            "– Rénover l'éclairage public des Tilleuls\n")
    orientations, _, _ = _extract(text)
    assert [ob.label for ob in orientations[0].objectives] == [
        "Achever la transformation urbaine du quartier des Tilleuls", "améliorer la gestion urbaine de proximité"]
    assert orientations[1].objectives == ()


def test_a_short_title_the_reader_left_as_text_names_the_orientation_above_strategic_objectives() -> None:
    text = ("- Un manque d'équipements pour les adolescents\n\n"
            "Enjeux et objectifs retenus pour le quartier\n"
            "Objectif stratégique 1 : Ouvrir le quartier sur la ville\n"
            "Objectif stratégique 2 : Accompagner les jeunes vers l'autonomie\n")
    orientations, _, _ = _extract(text)
    (o,) = orientations
    assert o.label == "Enjeux et objectifs retenus pour le quartier"
    assert [ob.code for ob in o.objectives] == ["1", "2"]
