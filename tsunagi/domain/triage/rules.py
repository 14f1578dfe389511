"""Triage rules as data: load, validate and compile a rules file into a `Policy`.

A rules file is checked once, at start-up, for what a municipality can get wrong: an
unknown answer key or choice, an unknown service or reason, a reference to a signal that
is not defined, a rule that can never fire and a fallback that can never be reached. The
last two are proven by evaluating the rules on every combination of the answer values they
mention (values they do not mention cannot change the outcome). Errors name the file, the
rule and the line.
"""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Union

import yaml
from pydantic import ConfigDict, Discriminator, Field, Tag, model_validator

from tsunagi.domain.datafile import DataFileError, Problem, Strict, dotted, line_of, load_model
from tsunagi.domain.triage.answers import MULTI, SINGLE, Answers, Questions, so_far
from tsunagi.domain.triage.reasons import REASON_TEXTS
from tsunagi.domain.vocabulary import MULTI_AGENCY, SERVICES

DEFAULT_FILE = Path(__file__).resolve().parent / "default.yaml"

class AnswerIn(Strict):
    answer: str
    in_: list[str] = Field(alias="in", min_length=1)


class AnswerHas(Strict):
    answer: str
    has: str


class AnswerHasAny(Strict):
    answer: str
    has_any: list[str] = Field(min_length=1)


class All(Strict):
    all: list["Condition"] = Field(min_length=1)


class Any_(Strict):
    any: list["Condition"] = Field(min_length=1)


class Not(Strict):
    not_: "Condition" = Field(alias="not")


class SignalRef(Strict):
    signal: str


class DomainsAtLeast(Strict):
    domains_at_least: int = Field(ge=0)


class DomainsExactly(Strict):
    domains_exactly: int = Field(ge=0)


_TAGS = (("in", "in"), ("has_any", "has_any"), ("has", "has"), ("all", "all"), ("any", "any"),
         ("not", "not"), ("signal", "signal"), ("domains_at_least", "domains_at_least"),
         ("domains_exactly", "domains_exactly"))


def _condition_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((tag for key, tag in _TAGS if key in value), None)
    return {AnswerIn: "in", AnswerHas: "has", AnswerHasAny: "has_any", All: "all", Any_: "any",
            Not: "not", SignalRef: "signal", DomainsAtLeast: "domains_at_least",
            DomainsExactly: "domains_exactly"}.get(type(value))


Condition = Annotated[
    Union[
        Annotated[AnswerIn, Tag("in")], Annotated[AnswerHas, Tag("has")],
        Annotated[AnswerHasAny, Tag("has_any")], Annotated[All, Tag("all")],
        Annotated[Any_, Tag("any")], Annotated[Not, Tag("not")], Annotated[SignalRef, Tag("signal")],
        Annotated[DomainsAtLeast, Tag("domains_at_least")],
        Annotated[DomainsExactly, Tag("domains_exactly")],
    ],
    Discriminator(
        _condition_kind, custom_error_type="invalid_condition",
        custom_error_message="a condition needs one of: in, has, has_any, all, any, not, signal, "
                             "domains_at_least, domains_exactly",
    ),
]
for _model in (All, Any_, Not):
    _model.model_rebuild()


class DomainWhen(Strict):
    """One way a domain holds, with the reason it gives."""

    model_config = ConfigDict(populate_by_name=True)
    answer: str
    in_: list[str] | None = Field(default=None, alias="in")
    has: str | None = None
    has_any: list[str] | None = None
    reason: str

    @model_validator(mode="after")
    def _one_test(self) -> "DomainWhen":
        given = [k for k in ("in_", "has", "has_any") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'in', 'has', 'has_any'")
        return self

    def condition(self) -> Condition:
        if self.in_ is not None:
            return AnswerIn(answer=self.answer, **{"in": self.in_})
        if self.has is not None:
            return AnswerHas(answer=self.answer, has=self.has)
        return AnswerHasAny(answer=self.answer, has_any=self.has_any)


class DomainSpec(Strict):
    service: str
    service_without_welfare_office: str | None = None
    when: list[DomainWhen] = Field(min_length=1)


class SignalSpec(Strict):
    when: Condition
    reason: str | None = None


class FirstContactSpec(Strict):
    """One choice of the first-contact office for when the multi-agency team is not
    consented (DOMAIN.md, "First contact when the team is not consented"): a service, or
    the first of some domains the intake has; only `when` the condition holds."""

    model_config = ConfigDict(populate_by_name=True)
    when: Condition | None = None
    service: str | None = None
    present: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_choice(self) -> "FirstContactSpec":
        if (self.service is None) == (self.present is None):
            raise ValueError("give exactly one of 'service', 'present'")
        return self


class RuleSpec(Strict):
    id: str
    when: Condition
    service: str
    reason: str
    first_contact: list[FirstContactSpec] = []


class FallbackSpec(Strict):
    id: str
    service: str
    reason: str
    first_contact: list[FirstContactSpec] = []


class UrgentSpec(Strict):
    when: Condition
    signal: str
    reason: str


class ReasonText(Strict):
    """A municipality's own reason: its text per locale (Japanese required)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    ja: str


class RulesFile(Strict):
    version: str = Field(min_length=1)
    extends: Literal["default"] | None = None
    reasons: dict[str, ReasonText] = {}
    domains: dict[str, DomainSpec] = {}
    signals: dict[str, SignalSpec] = {}
    rules: list[RuleSpec] = []
    fallback: FallbackSpec | None = None
    # The first contact for every intake of the team whose rule names none (or none with an
    # office), e.g. when the one service of an intake has no office.
    first_contact: list[FirstContactSpec] = []
    urgent: list[UrgentSpec] = []


# --- compiled form -------------------------------------------------------------------

Facts = tuple  # (answers, domain names, signal names)
Test = Callable[[Any, tuple, frozenset], bool]


@dataclass(frozen=True)
class Domain:
    name: str
    service: str
    service_without_welfare_office: str | None
    tests: tuple[tuple[Test, str], ...]  # (test on answers, reason code)


@dataclass(frozen=True)
class FirstContact:
    test: Test | None
    service: str | None
    present: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    test: Test | None  # None: the fallback
    service: str
    reason: str
    first_contact: tuple[FirstContact, ...] = ()


@dataclass(frozen=True)
class Policy:
    version: str
    domains: tuple[Domain, ...]
    signals: tuple[tuple[str, Test, str | None], ...]
    rules: tuple[Rule, ...]  # the fallback last
    urgent: tuple[tuple[Test, str, str], ...]
    reason_texts: dict[str, dict[str, str]]  # the municipality's own reasons
    first_contact: tuple[FirstContact, ...]  # after the rule's own
    source: str  # the rules as written, kept with the intakes they decided
    # The conditions of the domains, signals and urgent rules as data, for a browser that
    # must answer "is this urgent?" offline exactly as the policy does (the outreach app).
    urgency_data: dict[str, Any]
    # The municipality's own questions the rules were checked against (its data file).
    questions: Questions = ()

    def urgent_signals(self, a: Answers, domains: tuple, held: frozenset) -> list[tuple[str, str]]:
        """The urgent rules that hold, as (signal, reason code), in the file's order."""
        return [(signal, reason) for test, signal, reason in self.urgent if test(a, domains, held)]

    def first_contact_services(self, rule: Rule, a: Answers, domains: tuple, held: frozenset,
                               has_welfare_office: bool = True) -> list[str]:
        """The services that may take the first contact when the multi-agency team is not
        consented, best first: the rule's own choices, then the file's."""
        by_name = {d.name: d for d in self.domains}
        local = {d.service: d.service_without_welfare_office for d in self.domains
                 if d.service_without_welfare_office}
        services: list[str] = []
        for choice in rule.first_contact + self.first_contact:
            if choice.test is not None and not choice.test(a, domains, held):
                continue
            if choice.service is not None:
                found = [choice.service]
            else:
                found = [by_name[name].service for name in choice.present if name in domains]
            for service in found:
                if not has_welfare_office and local.get(service):
                    service = local[service]
                if service not in services:
                    services.append(service)
        return services

    def urgency(self, answers: Any) -> list[tuple[str, str]]:
        """Whether answers given so far (a form half filled in) are urgent, and why: the
        urgent rules that hold, as (signal, reason code); empty when none does. Urgent never
        waits for the rest of the form (DOMAIN.md, priority): the kiosk asks after each step."""
        a = so_far(answers, self.questions)
        domains, _ = evaluate_domains(self, a)
        return self.urgent_signals(a, domains, evaluate_signals(self, a, domains))


def _getter(key: str, multi: bool) -> Callable[[Answers], Any]:
    """How a condition reads an answer: a canonical one from its field, a municipality's
    own from `Answers.own` (not given: None, or no choices)."""
    if key in SINGLE or key in MULTI:
        return attrgetter(key)
    empty = frozenset() if multi else None
    return lambda a: a.own.get(key, empty)


def _compile(cond: Condition) -> Test:
    """A closure (answers, domains, signals) -> bool, on `Answers`."""
    if isinstance(cond, AnswerIn):
        get, values = _getter(cond.answer, False), frozenset(cond.in_)
        return lambda a, d, s: get(a) in values
    if isinstance(cond, AnswerHas):
        get, value = _getter(cond.answer, True), cond.has
        return lambda a, d, s: value in get(a)
    if isinstance(cond, AnswerHasAny):
        get, values = _getter(cond.answer, True), frozenset(cond.has_any)
        return lambda a, d, s: not values.isdisjoint(get(a))
    if isinstance(cond, All):
        parts = tuple(_compile(c) for c in cond.all)
        if len(parts) == 2:
            p, q = parts
            return lambda a, d, s: p(a, d, s) and q(a, d, s)
        if len(parts) == 3:
            p, q, r = parts
            return lambda a, d, s: p(a, d, s) and q(a, d, s) and r(a, d, s)
        return lambda a, d, s: all(p(a, d, s) for p in parts)
    if isinstance(cond, Any_):
        parts = tuple(_compile(c) for c in cond.any)
        if len(parts) == 2:
            p, q = parts
            return lambda a, d, s: p(a, d, s) or q(a, d, s)
        return lambda a, d, s: any(p(a, d, s) for p in parts)
    if isinstance(cond, Not):
        inner = _compile(cond.not_)
        return lambda a, d, s: not inner(a, d, s)
    if isinstance(cond, SignalRef):
        name = cond.signal
        return lambda a, d, s: name in s
    if isinstance(cond, DomainsAtLeast):
        n = cond.domains_at_least
        return lambda a, d, s: len(d) >= n
    n = cond.domains_exactly
    return lambda a, d, s: len(d) == n


# --- validation ----------------------------------------------------------------------

def _walk(cond: Condition):
    yield cond
    for child in getattr(cond, "all", None) or getattr(cond, "any", None) or []:
        yield from _walk(child)
    if isinstance(cond, Not):
        yield from _walk(cond.not_)


def _check_answer(answer: str, values: list[str], multi: bool, questions: Questions = ()) -> str | None:
    own = next((q for q in questions if q.id == answer), None)
    if own is not None and answer not in SINGLE and answer not in MULTI:
        if own.identifying:
            return (f"answer {answer!r} is the municipality's short-text question: a text may identify "
                    "the resident, so no rule may read it")
        if own.multi and not multi:
            return f"answer {answer!r} takes many choices: use 'has' or 'has_any', not 'in'"
        if not own.multi and multi:
            return f"answer {answer!r} takes one choice: use 'in', not 'has'"
        wrong = [v for v in values if v not in own.choices]
        if wrong:
            return f"answer {answer!r} has no choice {wrong[0]!r} (choices: {', '.join(own.choices)})"
        return None
    if answer in SINGLE:
        if multi:
            return f"answer {answer!r} takes one choice: use 'in', not 'has'"
        allowed = SINGLE[answer]
    elif answer in MULTI:
        if not multi:
            return f"answer {answer!r} takes many choices: use 'has' or 'has_any', not 'in'"
        allowed = MULTI[answer]
    else:
        own_keys = [q.id for q in questions if not q.identifying]
        return f"unknown answer key {answer!r} (known: {', '.join([*SINGLE, *MULTI, *own_keys])})"
    wrong = [v for v in values if v not in allowed]
    if wrong:
        return f"answer {answer!r} has no choice {wrong[0]!r} (choices: {', '.join(allowed)})"
    return None


def _conditions_checked(cond: Condition, where: tuple, signals: set[str],
                        questions: Questions = ()) -> list[Problem]:
    problems = []
    for c in _walk(cond):
        msg = None
        if isinstance(c, AnswerIn):
            msg = _check_answer(c.answer, c.in_, False, questions)
        elif isinstance(c, AnswerHas):
            msg = _check_answer(c.answer, [c.has], True, questions)
        elif isinstance(c, AnswerHasAny):
            msg = _check_answer(c.answer, c.has_any, True, questions)
        elif isinstance(c, SignalRef) and c.signal not in signals:
            msg = f"unknown signal {c.signal!r} (defined: {', '.join(sorted(signals)) or 'none'})"
        if msg:
            problems.append((where, msg))
    return problems


def _merged(spec: RulesFile) -> RulesFile:
    if spec.extends != "default":
        return spec
    base = _load_checked(DEFAULT_FILE)
    return RulesFile(
        version=spec.version,
        reasons={**base.reasons, **spec.reasons},
        domains={**base.domains, **spec.domains},
        signals={**base.signals, **spec.signals},
        rules=[*spec.rules, *base.rules],
        fallback=spec.fallback or base.fallback,
        first_contact=spec.first_contact or base.first_contact,
        urgent=[*base.urgent, *spec.urgent],
    )


def _static_problems(spec: RulesFile, merged: RulesFile, questions: Questions = ()) -> list[Problem]:
    problems: list[Problem] = []

    def _condition_problems(cond: Condition, where: tuple, signals: set[str]) -> list[Problem]:
        return _conditions_checked(cond, where, signals, questions)

    reasons = set(REASON_TEXTS) | set(merged.reasons)
    signals = set(merged.signals)

    def reason(code: str, where: tuple) -> None:
        if code not in reasons:
            problems.append((where, f"unknown reason {code!r}: define it under 'reasons' with its text"))

    def service(code: str, where: tuple, allow_domain: bool = False) -> None:
        if code not in SERVICES and not (allow_domain and code == "domain"):
            problems.append((where, f"unknown service {code!r} (services: {', '.join(SERVICES)})"))

    for name, d in spec.domains.items():
        service(d.service, ("domains", name, "service"))
        if d.service_without_welfare_office:
            service(d.service_without_welfare_office, ("domains", name, "service_without_welfare_office"))
        for i, w in enumerate(d.when):
            problems += _condition_problems(w.condition(), ("domains", name, "when", i), signals)
            reason(w.reason, ("domains", name, "when", i, "reason"))
    for name, s in spec.signals.items():
        problems += _condition_problems(s.when, ("signals", name, "when"), signals)
        if s.reason:
            reason(s.reason, ("signals", name, "reason"))
    def first_contact(choices: list[FirstContactSpec], where: tuple) -> None:
        for j, c in enumerate(choices):
            if c.when is not None:
                problems.extend(_condition_problems(c.when, (*where, j, "when"), signals))
            if c.service is not None:
                service(c.service, (*where, j, "service"))
                if c.service == MULTI_AGENCY:
                    problems.append(((*where, j, "service"),
                                     f"the first contact when the team is not consented cannot be {MULTI_AGENCY!r}"))
            for name in c.present or []:
                if name not in merged.domains:
                    problems.append(((*where, j, "present"),
                                     f"unknown domain {name!r} (domains: {', '.join(merged.domains)})"))

    first_contact(spec.first_contact, ("first_contact",))
    for i, r in enumerate(spec.rules):
        problems += _condition_problems(r.when, ("rules", i, "when"), signals)
        service(r.service, ("rules", i, "service"), allow_domain=True)
        reason(r.reason, ("rules", i, "reason"))
        first_contact(r.first_contact, ("rules", i, "first_contact"))
        if r.service == MULTI_AGENCY and not (r.first_contact or merged.first_contact):
            problems.append((("rules", i, "first_contact"),
                             f"rule {r.id!r} sends to {MULTI_AGENCY!r}: name its first_contact for a resident "
                             "who agrees to share but not to the meeting (or a first_contact for the whole file)"))
        if r.service == "domain" and not _implies_one_domain(r.when):
            problems.append((("rules", i, "service"),
                             f"rule {r.id!r}: 'service: domain' needs 'when: {{domains_exactly: 1}}'"))
    for i, u in enumerate(spec.urgent):
        problems += _condition_problems(u.when, ("urgent", i, "when"), signals)
        reason(u.reason, ("urgent", i, "reason"))
    if spec.fallback:
        service(spec.fallback.service, ("fallback", "service"))
        reason(spec.fallback.reason, ("fallback", "reason"))
        first_contact(spec.fallback.first_contact, ("fallback", "first_contact"))
        if spec.fallback.service == MULTI_AGENCY and not (spec.fallback.first_contact or merged.first_contact):
            problems.append((("fallback", "first_contact"),
                             f"the fallback sends to {MULTI_AGENCY!r}: name its first_contact"))
    elif spec.extends is None:
        problems.append((("fallback",), "a rules file needs a fallback (the service when no rule holds)"))
    return problems


def _implies_one_domain(cond: Condition) -> bool:
    if isinstance(cond, DomainsExactly):
        return cond.domains_exactly == 1
    if isinstance(cond, All):
        return any(_implies_one_domain(c) for c in cond.all)
    return False


# Above this many combinations the reachability proof is skipped (and said so).
MAX_COMBINATIONS = 400_000


def _reachability(spec: RulesFile, merged: RulesFile, policy: Policy) -> list[Problem]:
    """Evaluate the rules on every combination of the answer values they mention."""
    own = {q.id: q for q in policy.questions if not q.identifying}
    mentioned: dict[str, set[str]] = {k: set() for k in [*SINGLE, *MULTI, *own]}
    conds = [w.condition() for d in merged.domains.values() for w in d.when]
    conds += [s.when for s in merged.signals.values()] + [r.when for r in merged.rules]
    for cond in conds:
        for c in _walk(cond):
            if isinstance(c, AnswerIn):
                mentioned[c.answer] |= set(c.in_)
            elif isinstance(c, AnswerHas):
                mentioned[c.answer].add(c.has)
            elif isinstance(c, AnswerHasAny):
                mentioned[c.answer] |= set(c.has_any)
    axes: dict[str, list] = {}
    for key, allowed in SINGLE.items():
        values = [v for v in allowed if v in mentioned[key]]
        rest = [v for v in allowed if v not in mentioned[key]]
        axes[key] = values + rest[:1]  # one stand-in for all values no rule mentions
    for key, allowed in MULTI.items():
        values = [v for v in allowed if v in mentioned[key]]
        axes[key] = [frozenset(c) for n in range(len(values) + 1)
                     for c in itertools.combinations(values, n)]
    # The municipality's own questions the rules mention: unanswered stands in for every
    # choice no rule mentions.
    own_axes: dict[str, list] = {}
    for key, q in own.items():
        if not mentioned[key]:
            continue
        values = [v for v in q.choices if v in mentioned[key]]
        if q.multi:
            own_axes[key] = [frozenset(c) for n in range(len(values) + 1)
                             for c in itertools.combinations(values, n)]
        else:
            own_axes[key] = [*values, None]
    fixed = len(axes)
    axes.update(own_axes)
    total = 1
    for values in axes.values():
        total *= len(values)
    if total > MAX_COMBINATIONS:
        return []
    fired: set[int] = set()
    keys = list(axes)
    rules = policy.rules
    for combo in itertools.product(*axes.values()):
        given = {k: v for k, v in zip(keys[fixed:], combo[fixed:]) if v is not None}
        a = Answers(**dict(zip(keys[:fixed], combo[:fixed])), own=given)
        domains, _ = evaluate_domains(policy, a)
        signals = evaluate_signals(policy, a, domains)
        for i, rule in enumerate(rules):
            if rule.test is None or rule.test(a, domains, signals):
                fired.add(i)
                break
        if len(fired) == len(rules):
            return []
    problems = []
    own_ids = {r.id for r in spec.rules}
    for i, rule in enumerate(rules):
        if i in fired:
            continue
        if rule.test is None:
            where = ("fallback",) if spec.fallback else ("extends",)
            problems.append((where, f"fallback {rule.id!r} can never be reached: the rules above cover every case"))
        elif rule.id in own_ids or spec.extends is None:
            index = next(j for j, r in enumerate(spec.rules) if r.id == rule.id)
            problems.append((("rules", index, "id"),
                             f"rule {rule.id!r} can never fire: no answers satisfy it before an earlier rule does"))
        else:
            problems.append((("rules",), f"default rule {rule.id!r} can no longer fire: a rule of this file takes all its cases"))
    return problems


def evaluate_domains(policy: Policy, a) -> tuple[tuple[str, ...], list[str]]:
    names: list[str] = []
    reasons: list[str] = []
    empty: frozenset = frozenset()
    for domain in policy.domains:
        hit = False
        for test, reason in domain.tests:
            if test(a, (), empty):
                reasons.append(reason)
                hit = True
        if hit:
            names.append(domain.name)
    return tuple(names), reasons


def evaluate_signals(policy: Policy, a, domains: tuple) -> frozenset:
    held: set[str] = set()
    # Signals may refer to signals defined before them.
    for name, test, _reason in policy.signals:
        if test(a, domains, held):
            held.add(name)
    return frozenset(held)


def compile_rules(merged: RulesFile, digest: str, source: str, questions: Questions = ()) -> Policy:
    return Policy(
        questions=questions,
        source=source,
        version=f"{merged.version}+{digest[:8]}",
        domains=tuple(
            Domain(name, d.service, d.service_without_welfare_office,
                   tuple((_compile(w.condition()), w.reason) for w in d.when))
            for name, d in merged.domains.items()
        ),
        signals=tuple((name, _compile(s.when), s.reason) for name, s in merged.signals.items()),
        rules=tuple(Rule(r.id, _compile(r.when), r.service, r.reason, _first_contact(r.first_contact))
                    for r in merged.rules)
        + (Rule(merged.fallback.id, None, merged.fallback.service, merged.fallback.reason,
                _first_contact(merged.fallback.first_contact)),),
        first_contact=_first_contact(merged.first_contact),
        urgent=tuple((_compile(u.when), u.signal, u.reason) for u in merged.urgent),
        reason_texts={code: text.model_dump() for code, text in merged.reasons.items()},
        urgency_data=_urgency_data(merged),
    )


def _first_contact(choices: list[FirstContactSpec]) -> tuple[FirstContact, ...]:
    return tuple(FirstContact(None if c.when is None else _compile(c.when), c.service, tuple(c.present or ()))
                 for c in choices)


def _as_data(cond: Condition) -> dict[str, Any]:
    return cond.model_dump(by_alias=True, exclude_none=True)


def _urgency_data(merged: RulesFile) -> dict[str, Any]:
    """What deciding urgency needs, as the rules file says it: domains, signals (urgent
    rules may name either) and the urgent rules, in order."""
    return {
        "domains": [{"name": name, "when": [_as_data(w.condition()) for w in d.when]}
                    for name, d in merged.domains.items()],
        "signals": [{"name": name, "when": _as_data(s.when)} for name, s in merged.signals.items()],
        "urgent": [{"when": _as_data(u.when), "signal": u.signal, "reason": u.reason} for u in merged.urgent],
    }


def _load_checked(path: Path, questions: Questions = ()) -> RulesFile:
    return load_model(path, RulesFile, lambda spec: _static_problems(spec, _merged(spec), questions))


@lru_cache(maxsize=16)
def _load(path: str, digest: str, questions: Questions = ()) -> Policy:
    spec = _load_checked(Path(path), questions)
    merged = _merged(spec)
    source = Path(path).read_text(encoding="utf-8")
    if spec.extends == "default":
        source += "\n---\n# extends:\n" + DEFAULT_FILE.read_text(encoding="utf-8")
    policy = compile_rules(merged, digest, source, questions)
    problems = _reachability(spec, merged, policy)
    if problems:
        node = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        raise DataFileError(path, [
            f"{dotted(loc)} (line {line_of(node, loc)}): {msg}" for loc, msg in problems
        ])
    return policy


def load_policy(path: Path | str | None = None, questions: Questions = ()) -> Policy:
    """The compiled policy of a rules file (default: the shipped default policy), checked
    against the municipality's own `questions` (a rule may read their choices).

    Cached by file content and questions, so every app in a process shares one compiled policy.

    :raise DataFileError: the file is malformed, refers to unknown things, or has a rule
        that can never fire; the message names file, rule and line.
    """
    path = Path(path) if path else DEFAULT_FILE
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise DataFileError(path, [f"cannot read: {exc.strerror}"]) from None
    return _load(str(path), digest, tuple(questions))

