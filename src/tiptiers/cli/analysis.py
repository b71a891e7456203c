"""Fairness and robustness: tiptiers audit consistency | model, tiptiers robustness, tiptiers robustness-runs."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tiptiers.analysis import INDICATORS
from tiptiers.cli.common import fail, open_store, print_json
from tiptiers.store.db import transaction
from tiptiers.tiers import TIER_ORDER

if TYPE_CHECKING:
    from tiptiers.analysis.views import ConsistencyView

# numpy and statsmodels are imported inside the commands that use them: every other tiptiers command (and
# `tiptiers --help`) starts without paying for them.

audit_app = typer.Typer(help="Fairness audits: is every country held to the same standard?", no_args_is_help=True)

INDICATOR_HELP = ("What the countries are compared on: 3p (Cho's 3P index: prosecution, protection, prevention, "
                  "1-5) or ratings (the stored assessments' rating of every standard and criterion).")
ASSESSING_HELP = "The assessing country (ISO3), held to the same standard; default $TIPTIERS_ASSESSING_COUNTRY or USA."


def _progress(label: str, hidden: bool) -> Progress:
    """A progress bar on stderr (stdout stays clean for the result), none with --json."""
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), disable=hidden, transient=True)


def _indicator(value: str) -> str:
    if value not in INDICATORS:
        fail(f"--indicator: {value!r} is not one of {', '.join(INDICATORS)}", 2)
    return value


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:g}"


def _print_consistency(view: ConsistencyView) -> None:
    typer.echo(f"{view.year}, {view.indicator}: {len(view.pairs)} pair(s) where a country scores at least as well "
               "on every indicator and better on one, yet sits in a worse tier.")
    typer.echo(f"{view.countries} placed countries, {view.comparable} with every score; {view.excluded_pairs} pair(s) "
               f"not compared because a score is missing ({len(view.missing)} countries).")
    typer.echo(view.assessing_note + ".")
    for problem in view.undetermined:
        typer.echo(f"Not determined: {problem}")
    if not view.pairs:
        return
    labels = "/".join(view.labels) if len(view.labels) <= 4 else f"{len(view.labels)} ratings"
    typer.echo(f"\n{'worse tier, better scores':<38} {'':>4}  {'better tier, worse scores':<38}  ({labels})")
    for p in view.pairs:
        b, w = p.better, p.worse
        typer.echo(f"{b.name[:26]:<26} {' '.join(_fmt(s) for s in b.scores)[:11]:<11} T{b.tier.value:<4} "
                   f"< {w.name[:26]:<26} {' '.join(_fmt(s) for s in w.scores)[:11]:<11} T{w.tier.value}")


@audit_app.command("consistency")
def consistency_command(
    year: int | None = typer.Option(None, "--year", "-y", help="Report year to audit, e.g. 2008."),
    indicator: str = typer.Option("3p", "--indicator", "-i", help=INDICATOR_HELP),
    all_years: bool = typer.Option(False, "--all-years", help="Summarise every year: pairs per year and the "
                                                              "countries in the most pairs."),
    top: int = typer.Option(15, "--top", min=1, help="With --all-years: how many countries to list."),
    assessing: str | None = typer.Option(None, "--assessing-country", help=ASSESSING_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """List every pair of countries where A is at least as good as B on every score (and better on one) yet
    placed in a worse tier that year. A country with a missing score is not compared; the count is printed.

    Example: `tiptiers audit consistency --year 2008` finds Japan (5, 2, 4; Tier 2) against Hong Kong
    (3, 2, 3; Tier 1).
    """
    from tiptiers.analysis.dominance import summarise
    from tiptiers.analysis.views import summary_view
    from tiptiers.store.analysis import consistency, consistency_json, consistency_years

    _indicator(indicator)
    if (year is None) == (not all_years):
        fail("give either --year YEAR or --all-years", 2)
    sessions = open_store()
    with transaction(sessions) as session:
        if not all_years:
            assert year is not None
            if year not in consistency_years(session, indicator):
                fail(f"--year: no {indicator} data with placements for {year}; years: "
                     f"{', '.join(map(str, consistency_years(session, indicator))) or 'none'}")
            view = consistency_json(consistency(session, year, indicator, assessing))
            print_json(view.model_dump(mode="json")) if as_json else _print_consistency(view)
            return
        audits = []
        years = consistency_years(session, indicator)
        with _progress(f"auditing {indicator}", as_json) as bar:
            task = bar.add_task("years", total=len(years))
            for one in years:
                audits.append(consistency(session, one, indicator).audit)
                bar.advance(task)
    s = summary_view(summarise(audits, top))
    if as_json:
        print_json(s.model_dump(mode="json"))
        return
    typer.echo(f"{s.indicator}: {s.total_pairs} violating pair(s) over {len(s.years)} year(s).\n")
    typer.echo(f"{'year':<6}{'pairs':>7}{'placed':>8}{'scored':>8}{'excluded pairs':>16}")
    for y in s.years:
        typer.echo(f"{y.year:<6}{y.pairs:>7}{y.countries:>8}{y.comparable:>8}{y.excluded_pairs:>16}")
    typer.echo("\nCountries in the most pairs (held higher = scores at least as well yet in the worse tier):")
    for c in s.countries:
        typer.echo(f"  {c.name[:30]:<30} {c.pairs:>5} pairs  held higher {c.held_higher:>4}, lower {c.held_lower:>4}"
                   f"  ({c.years[0]}-{c.years[-1]})")


@audit_app.command("model")
def model_command(
    year: int = typer.Option(..., "--year", "-y", help="Report year to fit, e.g. 2008."),
    indicator: str = typer.Option("3p", "--indicator", "-i", help=INDICATOR_HELP),
    top: int = typer.Option(10, "--top", min=1, help="How many of the countries furthest from their predicted tier."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Fit an ordered logit of the tier on the index for one year: how well it explains the placements, and the
    countries placed furthest from the tier the index predicts."""
    from tiptiers.analysis.ordinal import FitError
    from tiptiers.analysis.views import ordinal_view
    from tiptiers.store.analysis import ordinal

    _indicator(indicator)
    with transaction(open_store()) as session:
        try:
            fit = ordinal(session, year, indicator)
        except FitError as exc:
            fail(str(exc))
    view = ordinal_view(fit, top)
    if as_json:
        print_json(view.model_dump(mode="json"))
        return
    typer.echo(f"{view.year}: ordered logit of the tier on {', '.join(view.labels)} ({view.n} countries; "
               f"{view.excluded} left out for a missing score){'' if view.converged else ' - DID NOT CONVERGE'}")
    typer.echo(f"McFadden pseudo R2 {view.pseudo_r2:.3f}; most probable tier right for {view.accuracy:.1%} "
               f"(always guessing the most common tier: {view.baseline:.1%})")
    typer.echo("Coefficients: " + ", ".join(f"{k} {v:+.3f}" for k, v in view.coefficients.items()))
    typer.echo("\nFurthest from the predicted tier (gap > 0: placed worse than the index predicts):")
    for r in view.furthest:
        typer.echo(f"  {r.name[:30]:<30} placed {r.tier.label:<18} predicted {r.predicted.label:<18} gap {r.gap:+.2f}")


def robustness_command(
    year: int = typer.Option(..., "--year", "-y", help="Report year, e.g. 2008."),
    draws: int = typer.Option(10_000, "--draws", "-n", min=1, max=1_000_000, help="Monte Carlo draws."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed: the same seed gives the same result."),
    p_evidence: float = typer.Option(0.1, "--p-evidence", min=0.0, max=1.0,
                                     help="Probability that an unverified or disputed evidence item is wrong."),
    q_rating: float = typer.Option(0.05, "--q-rating", min=0.0, max=1.0,
                                   help="Probability that a rating is off by one step."),
    vary_thresholds: bool = typer.Option(True, "--vary-thresholds/--fixed-thresholds",
                                         help="Vary the methodology's thresholds within their stated bounds."),
    country: list[str] = typer.Option([], "--country", "-c", help="Only print these countries (ISO3; repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """For each country of a year, the probability of each tier when the inputs are uncertain; the run and its
    parameters are stored. Countries without a stored assessment get ratings derived from the 3P index
    (see tiptiers.analysis.threep); they are labelled "3p"."""
    from tiptiers.analysis.robustness import Parameters
    from tiptiers.store.analysis import AnalysisError, run_robustness, run_view

    try:
        params = Parameters(draws=draws, seed=seed, p_evidence=p_evidence, q_rating=q_rating,
                            vary_thresholds=vary_thresholds)
    except ValueError as exc:
        fail(f"--{str(exc).replace('_', '-')}", 2)
    with transaction(open_store()) as session:
        with _progress(f"robustness {year}", as_json) as bar:
            task = bar.add_task("draws", total=draws)
            try:
                run = run_robustness(session, year, params, progress=lambda n: bar.advance(task, n),
                                     actor=f"cli:{getpass.getuser()}")
            except AnalysisError as exc:
                fail(f"--{exc}")
        view = run_view(run)
    wanted = {c.strip().upper() for c in country}
    if wanted:
        view.countries = [c for c in view.countries if c.iso3 in wanted]
    if as_json:
        print_json(view.model_dump(mode="json"))
        return
    p = view.parameters
    typer.echo(f"Run {view.run_id}: {view.year}, {p['draws']} draws, seed {p['seed']}, evidence wrong p="
               f"{p['p_evidence']}, rating off q={p['q_rating']}, thresholds varied: "
               f"{', '.join(f'{k} {v[0]}-{v[1]}' for k, v in view.bounds.items()) or 'none'}; "
               f"{view.seconds:.2f} s")
    typer.echo(f"Inputs: {view.sources['assessment']} stored assessment(s), {view.sources['3p']} derived from the 3P "
               f"index, {len(view.sources['left_out'])} left out.\n")
    header = "".join(f"{t.value:>7}" for t in TIER_ORDER[:4])
    typer.echo(f"{'country':<28}{'src':<11}{'placed':<8}{'rules':<7}{header}")
    for c in view.countries:
        typer.echo(f"{c.name[:27]:<28}{c.source:<11}{c.placed.value if c.placed else '-':<8}{c.base.value:<7}"
                   + "".join(f"{c.probabilities[t.value]:>7.3f}" for t in TIER_ORDER[:4]))


def robustness_runs_command(
    year: int | None = typer.Option(None, "--year", "-y", help="Only runs for this report year."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Stored robustness runs with their parameters."""
    from tiptiers.store.analysis import list_runs

    with transaction(open_store()) as session:
        runs = [{"run_id": r.id, "year": r.year, "methodology": r.methodology, "parameters": r.parameters,
                 "bounds": r.bounds, "seconds": r.seconds, "created_at": r.created_at.isoformat(timespec="seconds")}
                for r in list_runs(session, year)]
    if as_json:
        print_json(runs)
        return
    for r in runs:
        typer.echo(f"{r['run_id']:>4}  {r['year']}  {r['created_at']}  {r['parameters']}")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
    app.command("robustness")(robustness_command)
    app.command("robustness-runs")(robustness_runs_command)
