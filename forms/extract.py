"""Babel extractor for form specs: every `label`, `title` and `paragraphs` entry is a msgid.

A form spec asks questions of fact (is that person pregnant? is anyone in danger?): its
"Yes" and "No" are extracted with the msgctxt FACT, and looked up with it
(`spec_context`; forms.builder and tsunagi.web.i18n). Permission is asked by the consent
form only (forms.builder.ConsentForm), whose answers have the msgctxt PERMISSION.
"""
from __future__ import annotations

import yaml

KEYS = {"label", "title"}
# The msgctxt of a "Yes"/"No" that states a fact ("yes, it is") and of one that gives
# permission ("yes, I agree"): th, ne, my and zh say them differently. The source code
# writes the same strings literally in its pgettext calls (extraction needs literals).
FACT = "answer to a question of fact"
PERMISSION = "answer giving or refusing permission"
FACT_ANSWERS = frozenset({"Yes", "No"})
COMMENT = "TRANSLATORS: the answer to a question of fact (\"yes, it is\" / \"no, it is not\"), not a permission."


def spec_context(text: str) -> str | None:
    """The msgctxt of a form-spec text: FACT for Yes and No, else none."""
    return FACT if text in FACT_ANSWERS else None


def extract_yaml(fileobj, keywords, comment_tags, options):
    node = yaml.compose(fileobj.read().decode("utf-8"), Loader=yaml.SafeLoader)

    def walk(n, key=None):
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                yield from walk(v, k.value)
        elif isinstance(n, yaml.SequenceNode):
            for item in n.value:
                yield from walk(item, key)
        elif isinstance(n, yaml.ScalarNode) and key in KEYS | {"paragraphs"} and n.value:
            context = spec_context(n.value) if key == "label" else None
            if context:
                yield n.start_mark.line + 1, "pgettext", (context, n.value), [COMMENT]
            else:
                yield n.start_mark.line + 1, None, n.value, []

    yield from walk(node)
