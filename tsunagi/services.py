"""Service codes and their Japanese names (DOMAIN.md, "The routing targets")."""

SERVICES: dict[str, str] = {
    "houkatsu": "地域包括支援センター",
    "shogai": "障害者相談支援",
    "kodomo": "こども家庭センター・利用者支援",
    "jiritsu": "自立相談支援",
    "choson": "福祉事務所未設置町村相談",
    "takikan": "多機関協働",
}
