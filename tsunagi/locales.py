"""Shipped locales, each named in its own script for the language picker."""

LOCALES: dict[str, str] = {
    "ja": "日本語",
    "en": "English",
}
PROVIDER_LOCALE = "ja"
