"""Shipped locales, each named in its own script for the language picker.

`ja@easy` is やさしい日本語 (easy Japanese, the register municipalities use for everyone):
CLDR has no code for it, so it is Japanese with the modifier `easy`; its pages carry
`lang="ja"`.
"""

LOCALES: dict[str, str] = {
    "ja": "日本語",
    "ja@easy": "やさしい にほんご",
    "en": "English",
    "zh_Hans": "中文（简体）",
    "zh_Hant": "中文（繁體）",
    "ko": "한국어",
    "vi": "Tiếng Việt",
    "fil": "Filipino",
    "pt_BR": "Português (Brasil)",
    "es": "Español",
    "ne": "नेपाली",
    "id": "Bahasa Indonesia",
    "th": "ภาษาไทย",
    "my": "မြန်မာဘာသာ",
}
PROVIDER_LOCALE = "ja"
