"""Babel extractor for form specs: every `label`, `title` and `paragraphs` entry is a msgid."""
from __future__ import annotations

import yaml

KEYS = {"label", "title"}


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
            yield n.start_mark.line + 1, None, n.value, []

    yield from walk(node)
