"""determine(): ratings + history + methodology -> Determination. Pure: no I/O, no country-specific branch."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tiptiers.engine.model import (
    AssessmentInput,
    Determination,
    HistoryEntry,
    Override,
    PathUp,
    RatingChange,
    Reason,
    Waiver,
)
from tiptiers.engine.rules import DowngradeCheck, check_downgrade
from tiptiers.methodology import LEVEL_RANK, LEVELS, Item, Methodology
from tiptiers.tiers import Tier

WATCH_LIST_REF = "22 U.S.C. 7107(b)(2)(A)"


def _numbers(items: Sequence[Item], noun: str) -> str:
    nums = [str(i.number) for i in items]
    if not nums:
        return f"no {noun}"
    label = noun if len(nums) == 1 else noun + ("s" if noun == "standard" else "")
    if noun == "criterion" and len(nums) > 1:
        label = "criteria"
    body = nums[0] if len(nums) == 1 else ", ".join(nums[:-1]) + " and " + nums[-1]
    return f"{label} {body}"


@dataclass(frozen=True)
class _Efforts:
    """The ratings-only part of the rules: Tier 1, significant efforts, or neither."""

    standards_short: tuple[Item, ...]
    meeting: tuple[Item, ...]
    core_short: tuple[Item, ...]
    needed: int

    @property
    def full_compliance(self) -> bool:
        return not self.standards_short

    @property
    def significant(self) -> bool:
        return len(self.meeting) >= self.needed and not self.core_short


def _efforts(m: Methodology, ranks: dict[str, int]) -> _Efforts:
    """`ranks`: the LEVEL_RANK of each rated item; an item not rated counts as not met (0)."""
    std_min, sig_min, core_min = m.rank_thresholds
    get = ranks.get
    return _Efforts(
        standards_short=tuple(s for s in m.standards if get(s.id, 0) < std_min),
        meeting=tuple(c for c in m.criteria if get(c.id, 0) >= sig_min),
        core_short=tuple(c for c in m.criteria if c.core and get(c.id, 0) < core_min),
        needed=m.significant_efforts_min_count,
    )


def _ranks(a: AssessmentInput) -> dict[str, int]:
    return {r.criterion: LEVEL_RANK[r.level] for r in a.ratings}


def watch_list_signals(a: AssessmentInput, m: Methodology) -> dict[str, bool]:
    """The Watch List tests that hold, as {signal field: the value that would clear it}."""
    if not m.rules.watch_list:
        return {}
    out: dict[str, bool] = {}
    if a.victims_significant_or_increasing and not (m.rules.proportional_action_test and a.proportional_action):
        out["proportional_action" if m.rules.proportional_action_test else "victims_significant_or_increasing"] = (
            m.rules.proportional_action_test)
    if not a.increasing_efforts_shown:
        out["increasing_efforts_shown"] = True
    if not a.concrete_actions:
        out["concrete_actions"] = True
    return out


def _signal_reasons(a: AssessmentInput, m: Methodology, signals: dict[str, bool], year: int) -> list[Reason]:
    reasons = []
    if "victims_significant_or_increasing" in signals or "proportional_action" in signals:
        text = ("the estimated number of victims is very significant or significantly increasing and the government "
                "is not taking proportional concrete actions" if m.rules.proportional_action_test else
                "the number of victims is very significant or significantly increasing")
        reasons.append(Reason(rule="watch_list.victims", reference=WATCH_LIST_REF + "(i)",
                              text=f"{text[0].upper()}{text[1:]}: Watch List."))
    if "increasing_efforts_shown" in signals:
        reasons.append(Reason(rule="watch_list.no_increasing_efforts", reference=WATCH_LIST_REF + "(ii)",
                              text=f"No evidence of increasing efforts over {year - 1}: Watch List."))
    if "concrete_actions" in signals:
        reasons.append(Reason(rule="watch_list.commitments", reference=WATCH_LIST_REF + "(iii)",
                              text="Significant efforts rest on commitments to take future steps, not on concrete "
                                   "actions: Watch List."))
    return reasons


def _path_to_significant(m: Methodology, ranks: dict[str, int], e: _Efforts) -> list[RatingChange]:
    """Fewest rating changes (then fewest steps) that make the efforts significant."""
    sig = m.rules.significant_efforts_min_level
    core_min = m.rules.core_criteria_min_level
    missing = max(0, e.needed - len(e.meeting))
    changes: list[RatingChange] = []
    for c in e.core_short:
        to = sig if missing > 0 else core_min
        if missing > 0:
            missing -= 1
        changes.append(RatingChange(criterion=c.id, title=c.title, from_level=LEVELS[ranks.get(c.id, 0)], to_level=to))
    if missing:
        meeting = {c.id for c in e.meeting} | {c.id for c in e.core_short}
        others = sorted((c for c in m.criteria if c.id not in meeting),
                        key=lambda c: (-ranks.get(c.id, 0), c.number))
        for c in others[:missing]:
            changes.append(RatingChange(criterion=c.id, title=c.title, from_level=LEVELS[ranks.get(c.id, 0)],
                                        to_level=sig))
    return changes


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
    m, rules = methodology, methodology.rules
    ranks = _ranks(assessment)
    tiers = {h.year: h.tier for h in history}
    e = _efforts(m, ranks)
    reasons: list[Reason] = []
    n_std, n_crit = len(m.standards), len(m.criteria)
    tier_ref = m.reference("tier_1_standard_min_level")
    sig_ref = m.reference("significant_efforts_min_share")
    sig_label = rules.significant_efforts_min_level.label
    signals: dict[str, bool] = {}
    check: DowngradeCheck | None = None
    decisive: list[str]
    waiver_applied = False

    if e.full_compliance:
        tier = Tier.TIER_1
        reasons.append(Reason(rule="tier_1", reference=tier_ref,
                              text=f"All {n_std} minimum standards {rules.tier_1_standard_min_level.label}y met: "
                                   "the government fully complies with the minimum standards, Tier 1."))
        decisive = [s.id for s in m.standards]
    else:
        reasons.append(Reason(rule="tier_1", reference=tier_ref,
                              text=f"Minimum {_numbers(e.standards_short, 'standard')} not "
                                   f"{rules.tier_1_standard_min_level.label}y met: the government does not fully "
                                   "comply with the minimum standards."))
        core = [c for c in m.criteria if c.core]
        core_text = (f"core {_numbers(core, 'criterion')} at least {rules.core_criteria_min_level.label}ly met"
                     if not e.core_short else
                     f"core {_numbers(e.core_short, 'criterion')} below {rules.core_criteria_min_level.label}")
        counted = f"{len(e.meeting)} of {n_crit} criteria at least {sig_label}ly met ({e.needed} needed)"
        if e.significant:
            tier = Tier.TIER_2
            reasons.append(Reason(rule="significant_efforts", reference=sig_ref,
                                  text=f"{core_text[0].upper()}{core_text[1:]}, {counted}: significant efforts, "
                                       "Tier 2."))
            decisive = [s.id for s in e.standards_short]
            if len(e.meeting) == e.needed:
                decisive += [c.id for c in e.meeting]
            signals = watch_list_signals(assessment, m)
            if signals:
                tier = Tier.WATCH_LIST
                reasons += _signal_reasons(assessment, m, signals, year)
                check = check_downgrade(tiers, year, rules)
        else:
            tier = Tier.TIER_3
            reasons.append(Reason(rule="significant_efforts", reference=sig_ref,
                                  text=f"{core_text[0].upper()}{core_text[1:]}, {counted}: no significant efforts, "
                                       "Tier 3."))
            decisive = []

    computed = tier
    if check is not None and check.engaged:
        dg_ref = m.reference("automatic_downgrade")
        counted_years = ", ".join(str(y) for y in check.streak_years)
        if check.post_downgrade_limit:
            computed = tier = Tier.TIER_3
            reasons.append(Reason(rule="automatic_downgrade.post_downgrade_limit",
                                  reference=m.reference("post_downgrade_max_watch_list_years"),
                                  text=f"Downgraded to Tier 3 and then on the Watch List in {counted_years}: "
                                       f"at most {rules.post_downgrade_max_watch_list_years} consecutive Watch List "
                                       "year after a downgrade; Tier 3, no waiver possible."))
        elif check.waivers_exhausted:
            computed = tier = Tier.TIER_3
            reasons.append(Reason(rule="automatic_downgrade.waivers_exhausted", reference=dg_ref,
                                  text=f"Watch List in {counted_years}: this would be Watch List year "
                                       f"{check.watch_list_year} and the {rules.max_waiver_years} waiver years "
                                       "allowed are used; automatic downgrade to Tier 3."))
        else:
            computed = Tier.TIER_3
            waiver = next((w for w in waivers if w.iso3 == assessment.iso3 and w.year == year), None)
            text = (f"Watch List in {counted_years}: automatic downgrade to Tier 3 unless waived "
                    f"(waiver year {check.waiver_number} of {rules.max_waiver_years} allowed)")
            if waiver is not None:
                waiver_applied = True
                reasons.append(Reason(rule="automatic_downgrade.waived", reference=m.reference("max_waiver_years"),
                                      text=f"{text}; waived: {waiver.justification}. Stays on the Watch List."))
            else:
                tier = Tier.TIER_3
                reasons.append(Reason(rule="automatic_downgrade", reference=dg_ref,
                                       text=f"{text}; no waiver: Tier 3."))

    path_up = _path_up(m, assessment, ranks, e, tier, signals, check, waiver_applied, tiers)
    if tier == Tier.TIER_3 and not decisive and path_up is not None:
        decisive = [c.criterion for c in path_up.changes]
    if override is not None and override.tier != tier:
        reasons.append(Reason(rule="override", reference="tiptiers override record",
                              text=f"Overridden to {override.tier.label} by {override.author}: "
                                   f"{override.justification}"))
    final = override.tier if override is not None else tier
    return Determination(
        iso3=assessment.iso3, year=year, tier=final, computed_tier=computed, reasons=reasons,
        decisive_criteria=decisive, path_up=path_up, override=override, waiver_applied=waiver_applied,
        methodology=m.id, law_date=m.law_date.isoformat(),
        counts={"standards": n_std, "standards_short": len(e.standards_short), "criteria": n_crit,
                "criteria_meeting": len(e.meeting), "criteria_needed": e.needed},
    )


def _path_up(m: Methodology, a: AssessmentInput, ranks: dict[str, int], e: _Efforts, tier: Tier,
             signals: dict[str, bool], check: DowngradeCheck | None, waiver_applied: bool,
             tiers: dict[int, Tier]) -> PathUp | None:
    if tier == Tier.TIER_1:
        return None
    if tier == Tier.TIER_2:
        min_level = m.rules.tier_1_standard_min_level
        return PathUp(target_tier=Tier.TIER_1, changes=[
            RatingChange(criterion=s.id, title=s.title, from_level=LEVELS[ranks.get(s.id, 0)], to_level=min_level)
            for s in e.standards_short])
    if tier == Tier.WATCH_LIST:
        note = "Clear every Watch List test." + (" The waiver would no longer be needed." if waiver_applied else "")
        return PathUp(target_tier=Tier.TIER_2, signals=signals, note=note)
    # Tier 3
    if e.significant:  # downgraded by history
        assert check is not None
        if check.waivable:
            return PathUp(target_tier=Tier.WATCH_LIST, note="A presidential waiver of the automatic downgrade "
                                                            "(22 U.S.C. 7107(b)(2)(D)(ii)), or clear every Watch List "
                                                            "test for Tier 2.", signals=signals)
        return PathUp(target_tier=Tier.TIER_2, signals=signals,
                      note="No waiver is left: only clearing every Watch List test avoids Tier 3.")
    changes = _path_to_significant(m, ranks, e)
    new_signals = watch_list_signals(a, m)
    if not new_signals:
        return PathUp(target_tier=Tier.TIER_2, changes=changes, note="Significant efforts: Tier 2.")
    after_check = check_downgrade(tiers, a.year, m.rules)
    if after_check.downgrade:
        return PathUp(target_tier=Tier.TIER_2, changes=changes, signals=new_signals,
                      note="Significant efforts, but the automatic downgrade closes the Watch List: clear every "
                           "Watch List test too.")
    waiver = " with a waiver of the automatic downgrade" if after_check.waivable else ""
    return PathUp(target_tier=Tier.WATCH_LIST, changes=changes,
                  note=f"Significant efforts, but the Watch List tests still hold: Tier 2 Watch List{waiver}.")
