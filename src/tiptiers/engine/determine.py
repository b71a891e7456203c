"""determine(): ratings + history + methodology -> Determination. Pure: no I/O, no country-specific branch.

Speed: what depends only on the methodology (its items, thresholds, references and fixed sentences) is compiled
once per Methodology object into a `_Plan` kept on that object, and the reasons and rating changes, frozen value
objects, are memoised in the plan by what their text depends on. A call then does the rating arithmetic, a few
dictionary look-ups, and validates one Determination.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from tiptiers.engine.model import (
    AssessmentInput,
    Determination,
    HistoryEntry,
    Override,
    PathUp,
    RatingChange,
    RatingLevel,
    Reason,
    Waiver,
)
from tiptiers.engine.rules import DowngradeCheck, check_downgrade
from tiptiers.methodology import LEVEL_RANK, LEVELS, Item, Methodology
from tiptiers.tiers import Tier

WATCH_LIST_REF = "22 U.S.C. 7107(b)(2)(A)"
_MEMO_LIMIT = 4096  # memoised reasons and changes per methodology before the memo is emptied

# Enum members as module constants: attribute access on an Enum class costs a descriptor call.
_T1, _T2, _WL, _T3 = Tier.TIER_1, Tier.TIER_2, Tier.WATCH_LIST, Tier.TIER_3


@lru_cache(maxsize=1024)
def _numbers_text(nums: tuple[int, ...], noun: str) -> str:
    if not nums:
        return f"no {noun}"
    label = noun if len(nums) == 1 else noun + ("s" if noun == "standard" else "")
    if noun == "criterion" and len(nums) > 1:
        label = "criteria"
    words = [str(n) for n in nums]
    body = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"{label} {body}"


def _numbers(items: Sequence[Item], noun: str) -> str:
    return _numbers_text(tuple(i.number for i in items), noun)


def _cap(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}"


class _Efforts(NamedTuple):
    """The ratings-only part of the rules: Tier 1, significant efforts, or neither."""

    standards_short: tuple[Item, ...]
    meeting: tuple[Item, ...]
    core_short: tuple[Item, ...]
    needed: int
    significant: bool
    short_key: tuple[object, ...]  # the memo keys of the two reasons these efforts decide
    efforts_key: tuple[object, ...]

    @property
    def full_compliance(self) -> bool:
        return not self.standards_short


class _Plan:
    """What determine() needs of one methodology, computed once, and its memo of reasons and rating changes."""

    def __init__(self, m: Methodology) -> None:
        rules = m.rules
        self.standards = tuple((s, s.id, s.number) for s in m.standards)
        self.criteria = tuple((c, c.id, c.core, c.number) for c in m.criteria)
        self.std_min, self.sig_min, self.core_min = m.rank_thresholds
        self.needed = m.significant_efforts_min_count
        self.n_std, self.n_crit = len(m.standards), len(m.criteria)
        self.standard_ids = [s.id for s in m.standards]
        self.tier_ref = m.reference("tier_1_standard_min_level")
        self.sig_ref = m.reference("significant_efforts_min_share")
        self.t1_label = rules.tier_1_standard_min_level.label
        self.sig_label = rules.significant_efforts_min_level.label
        self.core_label = rules.core_criteria_min_level.label
        self.core_ok = (f"core {_numbers([c for c in m.criteria if c.core], 'criterion')} at least "
                        f"{self.core_label}ly met")
        self.tier_1 = Reason(rule="tier_1", reference=self.tier_ref,
                             text=f"All {self.n_std} minimum standards {self.t1_label}y met: the government fully "
                                  "complies with the minimum standards, Tier 1.")
        self.methodology = m.id
        self.law_date = m.law_date.isoformat()
        self.reasons: dict[tuple[object, ...], Reason] = {}
        self.signal_reasons: dict[tuple[object, ...], tuple[Reason, ...]] = {}
        self.changes: dict[tuple[str, int, RatingLevel], RatingChange] = {}

    def change(self, item: Item, rank: int, to: RatingLevel) -> RatingChange:
        key = (item.id, rank, to)
        found = self.changes.get(key)
        if found is None:
            if len(self.changes) >= _MEMO_LIMIT:
                self.changes.clear()
            found = self.changes[key] = RatingChange(criterion=item.id, title=item.title, from_level=LEVELS[rank],
                                                     to_level=to)
        return found

    def memo(self, key: tuple[object, ...], rule: str, reference: str, text: str) -> Reason:
        """Keep the reason of `key` (the caller looked it up first); `text` must be a function of `key`."""
        if len(self.reasons) >= _MEMO_LIMIT:
            self.reasons.clear()
        found = self.reasons[key] = Reason(rule=rule, reference=reference, text=text)
        return found


def _plan(m: Methodology) -> _Plan:
    """The plan of `m`, kept in the (frozen) object's __dict__ like its cached properties: a methodology varied
    with dataclasses.replace is a new object and gets its own plan."""
    plan: _Plan | None = m.__dict__.get("_engine_plan")
    if plan is None:
        plan = m.__dict__["_engine_plan"] = _Plan(m)
    return plan


def _efforts(p: _Plan, ranks: dict[str, int]) -> _Efforts:
    """`ranks`: the LEVEL_RANK of each rated item; an item not rated counts as not met (0)."""
    get = ranks.get
    std_min, sig_min, core_min = p.std_min, p.sig_min, p.core_min
    short: list[Item] = []
    short_key: list[object] = ["tier_1"]
    for s, sid, number in p.standards:
        if get(sid, 0) < std_min:
            short.append(s)
            short_key.append(number)
    meeting: list[Item] = []
    core_short: list[Item] = []
    core_numbers: list[int] = []
    for c, cid, core, number in p.criteria:
        rank = get(cid, 0)
        if rank >= sig_min:
            meeting.append(c)
        if core and rank < core_min:
            core_short.append(c)
            core_numbers.append(number)
    return _Efforts(tuple(short), tuple(meeting), tuple(core_short), p.needed,
                    len(meeting) >= p.needed and not core_short, tuple(short_key),
                    ("significant_efforts", len(meeting), *core_numbers))


def watch_list_signals(a: AssessmentInput, m: Methodology) -> dict[str, bool]:
    """The Watch List tests that hold, as {signal field: the value that would clear it}."""
    rules = m.rules
    if not rules.watch_list:
        return {}
    out: dict[str, bool] = {}
    if a.victims_significant_or_increasing and not (rules.proportional_action_test and a.proportional_action):
        out["proportional_action" if rules.proportional_action_test else "victims_significant_or_increasing"] = (
            rules.proportional_action_test)
    if not a.increasing_efforts_shown:
        out["increasing_efforts_shown"] = True
    if not a.concrete_actions:
        out["concrete_actions"] = True
    return out


def _signal_reasons(p: _Plan, m: Methodology, signals: dict[str, bool], year: int) -> tuple[Reason, ...]:
    key = (*signals, year)
    found = p.signal_reasons.get(key)
    if found is not None:
        return found
    reasons = []
    if "victims_significant_or_increasing" in signals or "proportional_action" in signals:
        text = ("the estimated number of victims is very significant or significantly increasing and the government "
                "is not taking proportional concrete actions" if m.rules.proportional_action_test else
                "the number of victims is very significant or significantly increasing")
        reasons.append(Reason(rule="watch_list.victims", reference=WATCH_LIST_REF + "(i)",
                              text=f"{_cap(text)}: Watch List."))
    if "increasing_efforts_shown" in signals:
        reasons.append(Reason(rule="watch_list.no_increasing_efforts", reference=WATCH_LIST_REF + "(ii)",
                              text=f"No evidence of increasing efforts over {year - 1}: Watch List."))
    if "concrete_actions" in signals:
        reasons.append(Reason(rule="watch_list.commitments", reference=WATCH_LIST_REF + "(iii)",
                              text="Significant efforts rest on commitments to take future steps, not on concrete "
                                   "actions: Watch List."))
    if len(p.signal_reasons) >= _MEMO_LIMIT:
        p.signal_reasons.clear()
    found = p.signal_reasons[key] = tuple(reasons)
    return found


def _path_to_significant(p: _Plan, m: Methodology, ranks: dict[str, int], e: _Efforts) -> list[RatingChange]:
    """Fewest rating changes (then fewest steps) that make the efforts significant."""
    sig = m.rules.significant_efforts_min_level
    core_min = m.rules.core_criteria_min_level
    missing = max(0, e.needed - len(e.meeting))
    changes: list[RatingChange] = []
    for c in e.core_short:
        to = sig if missing > 0 else core_min
        if missing > 0:
            missing -= 1
        changes.append(p.change(c, ranks.get(c.id, 0), to))
    if missing:
        meeting = {c.id for c in e.meeting} | {c.id for c in e.core_short}
        others = sorted((c for c in m.criteria if c.id not in meeting),
                        key=lambda c: (-ranks.get(c.id, 0), c.number))
        for c in others[:missing]:
            changes.append(p.change(c, ranks.get(c.id, 0), sig))
    return changes


def _downgrade_reason(p: _Plan, m: Methodology, check: DowngradeCheck, rule: str) -> Reason:
    key = (rule, check)
    found = p.reasons.get(key)
    if found is not None:
        return found
    rules = m.rules
    counted_years = ", ".join(str(y) for y in check.streak_years)
    if rule == "automatic_downgrade.post_downgrade_limit":
        return p.memo(key, rule, m.reference("post_downgrade_max_watch_list_years"),
                      f"Downgraded to Tier 3 and then on the Watch List in {counted_years}: "
                      f"at most {rules.post_downgrade_max_watch_list_years} consecutive Watch List "
                      "year after a downgrade; Tier 3, no waiver possible.")
    if rule == "automatic_downgrade.waivers_exhausted":
        return p.memo(key, rule, m.reference("automatic_downgrade"),
                      f"Watch List in {counted_years}: this would be Watch List year {check.watch_list_year} and the "
                      f"{rules.max_waiver_years} waiver years allowed are used; automatic downgrade to Tier 3.")
    return p.memo(key, rule, m.reference("automatic_downgrade"), f"{_unless_waived(m, check)}; no waiver: Tier 3.")


def _undecided_reason(p: _Plan, m: Methodology, check: DowngradeCheck) -> Reason:
    key = ("automatic_downgrade.undecided", check)
    found = p.reasons.get(key)
    if found is not None:
        return found
    counted = ", ".join(str(y) for y in check.streak_years) or "no earlier year"
    return p.memo(key, "automatic_downgrade.undecided", m.reference("automatic_downgrade"),
                  f"Watch List years counted: {counted}; {check.cannot_tell}, and the Watch List streak may be "
                  f"longer: this would be Watch List year {check.watch_list_year} at least. The rule is applied to "
                  "the years on record; check the missing year before relying on it.")


def _unless_waived(m: Methodology, check: DowngradeCheck) -> str:
    counted_years = ", ".join(str(y) for y in check.streak_years)
    return (f"Watch List in {counted_years}: automatic downgrade to Tier 3 unless waived "
            f"(waiver year {check.waiver_number} of {m.rules.max_waiver_years} allowed)")


def _tiers(history: Iterable[HistoryEntry]) -> dict[int, Tier | None]:
    """The history as {year: tier}: built only by the rules that read it (a call reaches at most one of them)."""
    return {h.year: h.tier for h in history}


def determine(
    assessment: AssessmentInput,
    history: Iterable[HistoryEntry],
    methodology: Methodology,
    year: int,
    waivers: Iterable[Waiver] = (),
    override: Override | None = None,
) -> Determination:
    """The tier of `assessment` under `methodology`, with the reasons, in order, that decided it."""
    if assessment.year != year:
        raise ValueError(f"year: the assessment is for {assessment.year}, not {year}")
    if override is not None and (override.iso3 != assessment.iso3 or override.year != year):
        raise ValueError(f"override: it is for {override.iso3} {override.year}, not {assessment.iso3} {year}")
    m, p = methodology, _plan(methodology)
    ranks = {r.criterion: LEVEL_RANK[r.level] for r in assessment.ratings}
    e = _efforts(p, ranks)
    reasons: list[Reason]
    signals: dict[str, bool] = {}
    check: DowngradeCheck | None = None
    decisive: list[str]
    waiver_applied = False
    n_meeting = len(e.meeting)

    if e.full_compliance:
        tier = _T1
        reasons = [p.tier_1]
        decisive = list(p.standard_ids)
    else:
        not_full = p.reasons.get(e.short_key) or p.memo(
            e.short_key, "tier_1", p.tier_ref,
            f"Minimum {_numbers(e.standards_short, 'standard')} not {p.t1_label}y met: the government does not "
            "fully comply with the minimum standards.")
        efforts = p.reasons.get(e.efforts_key)
        if efforts is None:
            core_text = p.core_ok if not e.core_short else (f"core {_numbers(e.core_short, 'criterion')} below "
                                                            f"{p.core_label}")
            counted = f"{n_meeting} of {p.n_crit} criteria at least {p.sig_label}ly met ({e.needed} needed)"
            verdict = "significant efforts, Tier 2." if e.significant else "no significant efforts, Tier 3."
            efforts = p.memo(e.efforts_key, "significant_efforts", p.sig_ref,
                             f"{_cap(core_text)}, {counted}: {verdict}")
        reasons = [not_full, efforts]
        if e.significant:
            tier = _T2
            decisive = [s.id for s in e.standards_short]
            if n_meeting == e.needed:
                decisive += [c.id for c in e.meeting]
            signals = watch_list_signals(assessment, m)
            if signals:
                tier = _WL
                reasons += _signal_reasons(p, m, signals, year)
                check = check_downgrade(_tiers(history), year, m.rules)
        else:
            tier = _T3
            decisive = []

    computed = tier
    if check is not None and not check.decided:
        reasons.append(_undecided_reason(p, m, check))
    if check is not None and check.engaged:
        if check.post_downgrade_limit:
            computed = tier = _T3
            reasons.append(_downgrade_reason(p, m, check, "automatic_downgrade.post_downgrade_limit"))
        elif check.waivers_exhausted:
            computed = tier = _T3
            reasons.append(_downgrade_reason(p, m, check, "automatic_downgrade.waivers_exhausted"))
        else:
            computed = _T3
            waiver = next((w for w in waivers if w.iso3 == assessment.iso3 and w.year == year), None)
            if waiver is not None:
                waiver_applied = True
                reasons.append(Reason(rule="automatic_downgrade.waived", reference=m.reference("max_waiver_years"),
                                      text=f"{_unless_waived(m, check)}; waived: {waiver.justification}. Stays on "
                                           "the Watch List."))
            else:
                tier = _T3
                reasons.append(_downgrade_reason(p, m, check, "automatic_downgrade"))

    path_up = _path_up(p, m, assessment, ranks, e, tier, signals, check, waiver_applied, history)
    if tier == _T3 and not decisive and path_up is not None:
        decisive = [c.criterion for c in path_up.changes]
    if override is not None and override.tier != tier:
        reasons.append(Reason(rule="override", reference="tiptiers override record",
                              text=f"Overridden to {override.tier.label} by {override.author}: "
                                   f"{override.justification}"))
    final = override.tier if override is not None else tier
    return Determination(
        iso3=assessment.iso3, year=year, tier=final, computed_tier=computed, reasons=reasons,
        decisive_criteria=decisive, path_up=path_up, override=override, waiver_applied=waiver_applied,
        methodology=p.methodology, law_date=p.law_date,
        counts={"standards": p.n_std, "standards_short": len(e.standards_short), "criteria": p.n_crit,
                "criteria_meeting": n_meeting, "criteria_needed": e.needed},
    )


def _path_up(p: _Plan, m: Methodology, a: AssessmentInput, ranks: dict[str, int], e: _Efforts, tier: Tier,
             signals: dict[str, bool], check: DowngradeCheck | None, waiver_applied: bool,
             history: Iterable[HistoryEntry]) -> PathUp | None:
    if tier == _T1:
        return None
    if tier == _T2:
        min_level = m.rules.tier_1_standard_min_level
        return PathUp(target_tier=_T1,
                      changes=[p.change(s, ranks.get(s.id, 0), min_level) for s in e.standards_short])
    if tier == _WL:
        note = "Clear every Watch List test." + (" The waiver would no longer be needed." if waiver_applied else "")
        return PathUp(target_tier=_T2, signals=signals, note=note)
    # Tier 3
    if e.significant:  # downgraded by history
        assert check is not None
        if check.waivable:
            return PathUp(target_tier=_WL, note="A presidential waiver of the automatic downgrade "
                                                            "(22 U.S.C. 7107(b)(2)(D)(ii)), or clear every Watch List "
                                                            "test for Tier 2.", signals=signals)
        return PathUp(target_tier=_T2, signals=signals,
                      note="No waiver is left: only clearing every Watch List test avoids Tier 3.")
    changes = _path_to_significant(p, m, ranks, e)
    new_signals = watch_list_signals(a, m)
    if not new_signals:
        return PathUp(target_tier=_T2, changes=changes, note="Significant efforts: Tier 2.")
    after_check = check_downgrade(_tiers(history), a.year, m.rules)
    if after_check.downgrade:
        return PathUp(target_tier=_T2, changes=changes, signals=new_signals,
                      note="Significant efforts, but the automatic downgrade closes the Watch List: clear every "
                           "Watch List test too.")
    waiver = " with a waiver of the automatic downgrade" if after_check.waivable else ""
    return PathUp(target_tier=_WL, changes=changes,
                  note=f"Significant efforts, but the Watch List tests still hold: Tier 2 Watch List{waiver}.")
