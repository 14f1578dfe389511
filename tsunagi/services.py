"""Service codes (DOMAIN.md, "The routing targets") and their names as msgids.

| code     | provider (Japanese)                  |
|----------|--------------------------------------|
| houkatsu | 地域包括支援センター                 |
| shogai   | 障害者相談支援事業 / 基幹相談支援センター |
| kodomo   | 利用者支援事業 (こども家庭センター型 ほか) |
| jiritsu  | 自立相談支援事業                     |
| choson   | 福祉事務所未設置町村相談事業         |
| takikan  | 多機関協働事業                       |
"""


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is rendered."""
    return message


SERVICES: dict[str, str] = {
    "houkatsu": N_("community general support center (older people)"),
    "shogai": N_("disability consultation support"),
    "kodomo": N_("children and family center"),
    "jiritsu": N_("life and work consultation (self-reliance support)"),
    "choson": N_("town consultation desk (no welfare office)"),
    "takikan": N_("multi-agency team"),
}
