"""Notes in, evidence out: the first steps of pattern discovery.

A *note* is what a person wrote about one record (an annotation critique, a calibration
note, an issue's explanation). Pattern discovery works on *evidence*: notes with a
non-empty text, one per id, at most ``max_items`` of them chosen deterministically, so the
same notes always give the same sample (and the same LLM prompt, which the judge cache
then answers for free).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..errors import ParameterError


@dataclass(frozen=True)
class Note:
    """One note: ``id`` (the record it is about), ``text``, free ``metadata`` (e.g. score)."""

    id: str
    text: str
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "metadata": dict(self.metadata)}


def as_notes(items: Iterable[Any]) -> list[Note]:
    """Accept Notes, dicts ``{id, text|notes|note, metadata?}`` or ``(id, text)`` pairs."""
    if isinstance(items, Mapping):
        raise ParameterError("notes must be a list of {id, text, metadata} objects, not one "
                             "object.", param="notes")
    out: list[Note] = []
    for i, item in enumerate(items):
        if isinstance(item, Note):
            out.append(item)
            continue
        if isinstance(item, Mapping):
            ident = item.get("id", item.get("record_id"))
            text = item.get("text", item.get("notes", item.get("note")))
            meta = item.get("metadata") or {}
        elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
            ident, text = item[0], item[1]
            meta = item[2] if len(item) == 3 else {}
        else:
            raise ParameterError(f"notes[{i}] must be an object with id and text.",
                                 param=f"notes[{i}]")
        if ident is None or (isinstance(ident, float) and ident != ident):
            raise ParameterError(f"notes[{i}] has no id.", param=f"notes[{i}].id")
        if not isinstance(meta, Mapping):
            raise ParameterError(f"notes[{i}].metadata must be an object.",
                                 param=f"notes[{i}].metadata")
        text = "" if text is None or (isinstance(text, float) and text != text) else str(text)
        out.append(Note(str(ident), text, dict(meta)))
    return out


def with_text(notes: list[Note]) -> list[Note]:
    """The notes that say something (whitespace-only text says nothing)."""
    return [n for n in notes if n.text.strip()]


def dedupe(notes: list[Note]) -> tuple[list[Note], int]:
    """One note per id (the first one; later ones are counted, not used) and the count of
    duplicates removed. Identical texts under different ids are kept: recurrence across
    records is exactly what the pipeline looks for."""
    seen: set[str] = set()
    out: list[Note] = []
    for n in notes:
        if n.id in seen:
            continue
        seen.add(n.id)
        out.append(n)
    return out, len(notes) - len(out)


def sha_key(ident: str) -> str:
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()


def sample(notes: list[Note], max_items: int | None = 50, seed: int | None = None) -> list[Note]:
    """At most ``max_items`` notes: the ones whose ids hash lowest under sha256 (the same
    sample whatever order the notes came in), or a ``seed``-ed random sample. ``None``
    keeps all. The result is ordered by the hash, so it is stable too."""
    ordered = sorted(notes, key=lambda n: sha_key(n.id))
    if max_items is None or len(ordered) <= max_items:
        return ordered
    if seed is None:
        return ordered[:max_items]
    picked = random.Random(seed).sample(range(len(ordered)), max_items)
    return [ordered[i] for i in sorted(picked)]


# Metadata keys that may identify a person: never summarised or sent to a model.
_PII_WORDS = ("email", "phone", "ssn", "passport", "address", "birth", "dob", "iban",
              "credit_card", "card_number")
_PII_KEYS = {"name", "first_name", "last_name", "full_name", "username", "user_name", "user",
             "user_id", "customer", "customer_id", "customer_name", "patient", "patient_id",
             "ip", "ip_addr", "author", "annotator"}


def is_pii_key(key: str) -> bool:
    k = str(key).strip().lower().replace("-", "_").replace(" ", "_")
    return k in _PII_KEYS or any(w in k for w in _PII_WORDS)


def metadata_summary(notes: list[Note], max_keys: int = 8, max_values: int = 4) -> str:
    """"score: 0 (80%), 1 (20%); source: chat (100%)" over the notes' metadata, scalar
    values only, PII-like keys left out."""
    counts: dict[str, dict[str, int]] = {}
    for n in notes:
        for k, v in n.metadata.items():
            if is_pii_key(k) or isinstance(v, (dict, list, tuple)) or v is None:
                continue
            counts.setdefault(str(k), {}).setdefault(str(v), 0)
            counts[str(k)][str(v)] += 1
    parts = []
    for k in sorted(counts)[:max_keys]:
        vals = sorted(counts[k].items(), key=lambda kv: (-kv[1], kv[0]))[:max_values]
        total = sum(counts[k].values())
        parts.append(f"{k}: " + ", ".join(f"{v} ({round(100 * c / total)}%)" for v, c in vals))
    return "; ".join(parts)
