"""Readable, stable URIs for every node of the graph, under https://w3id.org/contrats-kg/.

Official identifiers come first, so that the graph joins with INSEE and ANCT data:
EPCI by SIREN (`epci/200043396`), commune by INSEE code (`commune/59392`), QPV by its code
(`qpv/QN05903M`), contract by its ANCT code (`contract/CN05903M`). Without one, a deterministic
slug of the name is used, scoped where names are not unique (a neighbourhood without a code is
scoped by its territory, an objective by its document). The same input always gives the same
URI, so one real-world body is one node across documents and builds.

| node          | path                                             |
|---------------|--------------------------------------------------|
| territory     | epci/<SIREN>                  else epci/<slug>   |
| commune       | commune/<INSEE>               else commune/<slug>|
| neighbourhood | qpv/<QN…>                     else neighbourhood/<territory key>/<slug> |
| contract      | contract/<CN…>                else contract/<document id> |
| document      | document/<document id>                           |
| passage       | passage/<document id>/<passage hash>             |
| organisation  | organisation/<Organisation.id>                   |
| orientation   | orientation/<document id>/<slug>                 |
| objective     | objective/<document id>/<code->-<slug>           |
| commitment    | commitment/<document id>/c<n>                    |
| indicator     | indicator/<document id>/i<n>                     |
| signature     | signature/<document id>/<organisation id>        |
| designation   | designation/<document id>/<neighbourhood key>    |
| theme         | theme/<theme id>       (scheme: themes)          |
| partner type  | partner-type/<type id> (scheme: partner-types)   |
| status        | status/<priority|veille|vulnerabilite>           |
| build         | build/<build id>                                 |
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from rdflib import Namespace, URIRef

from ingest.manifest import slugify

BASE = "https://w3id.org/contrats-kg/"
ONTOLOGY = BASE + "ontology#"
CKG = Namespace(ONTOLOGY)  # classes and properties (ontology/contrats.ttl)
RES = Namespace(BASE)  # instances

# Slugs longer than this are cut and given a short hash of the whole text, so that two long
# labels sharing a beginning stay distinct while URIs stay readable.
MAX_SLUG = 60


def slug(text: str) -> str:
    """Lowercase ASCII words joined by '-': "Sous-le-Bois (Maubeuge)" -> "sous-le-bois-maubeuge";
    ingest.manifest.slugify, with a hash for empty and overlong results."""
    # The slug of document ids and gazetteer ids, so their keys compare; NFKC first splits
    # ligatures ("ﬁ") and other compatibility characters.
    words = slugify(unicodedata.normalize("NFKC", text))
    if not words:
        return "x" + hashlib.sha256(text.encode()).hexdigest()[:8]
    if len(words) > MAX_SLUG:
        digest = hashlib.sha256(words.encode()).hexdigest()[:6]
        words = words[:MAX_SLUG].rstrip("-") + "-" + digest
    return words


def _safe(identifier: str) -> str:
    """An identifier we mint ourselves (document id, organisation id) kept as is when URI-safe."""
    return identifier if re.fullmatch(r"[A-Za-z0-9._~-]+", identifier) else slug(identifier)


def territory_key(siren: str | None, name: str) -> str:
    """What scopes names inside a territory: its SIREN, else the slug of its name."""
    return siren or slug(name)


def territory_uri(siren: str | None, name: str) -> URIRef:
    return RES[f"epci/{territory_key(siren, name)}"]


def commune_uri(insee: str | None, name: str | None = None) -> URIRef:
    if insee:
        return RES[f"commune/{insee}"]
    if not name:
        raise ValueError("a commune needs an INSEE code or a name")
    return RES[f"commune/{slug(name)}"]


def neighbourhood_key(code: str | None, name: str, territory: str) -> str:
    """The QPV code, else '<territory key>/<slug of the name>'."""
    return code if code else f"{territory}/{slug(name)}"


def neighbourhood_uri(code: str | None, name: str, territory: str) -> URIRef:
    """A QPV by its code; otherwise a neighbourhood named in a territory (`territory_key`)."""
    if code:
        return RES[f"qpv/{code}"]
    return RES[f"neighbourhood/{territory}/{slug(name)}"]


def contract_uri(contract_code: str | None, document_id: str) -> URIRef:
    return RES[f"contract/{contract_code}"] if contract_code else RES[f"contract/{_safe(document_id)}"]


def document_uri(document_id: str) -> URIRef:
    return RES[f"document/{_safe(document_id)}"]


def passage_uri(passage_id: str) -> URIRef:
    """From a passage id '<document id>#<hash>[-n]'."""
    document_id, _, local = passage_id.partition("#")
    if not local:
        return RES[f"passage/{slug(passage_id)}"]
    return RES[f"passage/{_safe(document_id)}/{_safe(local)}"]


def organisation_uri(organisation_id: str) -> URIRef:
    return RES[f"organisation/{_safe(organisation_id)}"]


def scheme_uri(document_id: str) -> URIRef:
    """The concept scheme of one contract's orientations and objectives."""
    return RES[f"scheme/{_safe(document_id)}"]


def orientation_uri(document_id: str, label: str) -> URIRef:
    return RES[f"orientation/{_safe(document_id)}/{slug(label)}"]


def objective_uri(document_id: str, label: str, code: str | None = None) -> URIRef:
    local = f"{slug(code)}-{slug(label)}" if code else slug(label)
    return RES[f"objective/{_safe(document_id)}/{local}"]


def commitment_uri(document_id: str, commitment_id: str) -> URIRef:
    """From a commitment id '<document id>/c<n>' (or just 'c<n>')."""
    local = commitment_id.removeprefix(document_id + "/")
    return RES[f"commitment/{_safe(document_id)}/{_safe(local) if '/' not in local else slug(local)}"]


def indicator_uri(document_id: str, index: int | str) -> URIRef:
    """The n-th indicator of a document (its position in the machine's extraction; "3-r" for its
    correction, "r<id>" for one restored from a correction)."""
    return RES[f"indicator/{_safe(document_id)}/i{_safe(str(index))}"]


def signature_uri(document_id: str, organisation_id: str) -> URIRef:
    return RES[f"signature/{_safe(document_id)}/{_safe(organisation_id)}"]


def designation_uri(document_id: str, neighbourhood: str) -> URIRef:
    """The listing of one neighbourhood (by `neighbourhood_key`) in one contract, with its status."""
    return RES[f"designation/{_safe(document_id)}/{neighbourhood.replace('/', '-')}"]


def role_uri(role: str) -> URIRef:
    return RES[f"role/{slug(role)}"]


def theme_uri(theme_id: str) -> URIRef:
    return RES[f"theme/{_safe(theme_id)}"]


THEME_SCHEME = RES["themes"]
PARTNER_TYPE_SCHEME = RES["partner-types"]
STATUS_SCHEME = RES["statuses"]
COMMITMENT_KIND_SCHEME = RES["commitment-kinds"]


def partner_type_uri(type_id: str) -> URIRef:
    return RES[f"partner-type/{_safe(type_id)}"]


def status_uri(status: str) -> URIRef:
    return RES[f"status/{_safe(status)}"]


def commitment_kind_uri(kind: str) -> URIRef:
    return RES[f"commitment-kind/{_safe(kind)}"]


def review_status_uri(status: str) -> URIRef:
    return RES[f"review-status/{_safe(status)}"]


def reviewer_uri(name: str) -> URIRef:
    """A reviewer, by the name typed in the app or given to `contrats review`."""
    return RES[f"reviewer/{slug(name)}"]


def correction_uri(correction_id: str) -> URIRef:
    return RES[f"correction/{_safe(correction_id)}"]


REJECTED_GRAPH = BASE + "graph/rejected"  # the audit named graph of rejected and superseded facts
AUDIT_FILE = "rejected.nt"  # that graph in a build folder, loaded as REJECTED_GRAPH


def build_uri(build_id: str) -> URIRef:
    return RES[f"build/{_safe(build_id)}"]


def software_uri(version: str) -> URIRef:
    return RES[f"software/contrats-kg/{_safe(version)}"]
