"""Self-employment: SE tax, net earnings, and the Pub. 560 employer contribution worksheet."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.figures import YearFigures
from engine.money import ZERO, floor_cents, non_negative

__all__ = [
    "EmployerWorksheet",
    "SelfEmploymentTax",
    "employer_max_s_corp",
    "employer_max_self_employed",
    "self_employment_tax",
]


@dataclass(frozen=True, slots=True)
class SelfEmploymentTax:
    """Schedule SE for all of the person's self-employment together."""

    net_profit: Decimal
    net_earnings: Decimal
    w2_social_security_wages: Decimal
    oasdi_base: Decimal
    oasdi: Decimal
    medicare: Decimal
    total: Decimal
    deduction: Decimal


def self_employment_tax(
    net_profit: Decimal, w2_social_security_wages: Decimal, fig: YearFigures
) -> SelfEmploymentTax:
    """SE tax (IRC §1401, §1402): 92.35% of net profit, OASDI up to the wage base left after
    W-2 Social Security wages, Medicare uncapped; none below $400 of net earnings. Half of it is
    deductible (§164(f)) in figuring earned income for a plan."""
    net_earnings = net_profit * fig.se_net_earnings_factor
    if net_earnings < fig.se_minimum_net_earnings:
        return SelfEmploymentTax(
            net_profit, net_earnings, w2_social_security_wages, ZERO, ZERO, ZERO, ZERO, ZERO
        )
    wage_base_left = non_negative(fig.social_security_wage_base - w2_social_security_wages)
    oasdi_base = min(net_earnings, wage_base_left)
    oasdi = oasdi_base * fig.se_oasdi_rate
    medicare = net_earnings * fig.se_medicare_rate
    total = oasdi + medicare
    return SelfEmploymentTax(
        net_profit=net_profit,
        net_earnings=net_earnings,
        w2_social_security_wages=w2_social_security_wages,
        oasdi_base=oasdi_base,
        oasdi=oasdi,
        medicare=medicare,
        total=total,
        deduction=total * fig.se_tax_deduction_share,
    )


@dataclass(frozen=True, slots=True)
class EmployerWorksheet:
    """The limits that bound an owner's employer contribution; ``maximum`` is the smallest."""

    rate_limit: Decimal  # Pub. 560 step 5 (self-employed) or 25% of W-2 pay (S-corp)
    compensation_limit: Decimal  # step 6: 25% of the §401(a)(17) limit
    annual_additions_left: Decimal  # step 10: §415(c) less deferrals (and the group's other money)
    earned_income_left: Decimal  # step 12: (NESE - deferrals) / 2, or W-2 pay less deferrals
    maximum: Decimal


def employer_max_self_employed(
    nese: Decimal, deferrals: Decimal, annual_additions_left: Decimal, fig: YearFigures
) -> EmployerWorksheet:
    """Pub. 560 Deduction Worksheet for Self-Employed: the smallest of 20% of NESE (the 25% plan
    rate reduced to rate / (1 + rate)), 25% of the §401(a)(17) limit, §415(c) less deferrals, and
    half of what NESE leaves after deferrals (earned income is NESE less the contribution itself,
    so D + 2E may not exceed NESE). Deferrals do not reduce the 20% base (§404(n))."""
    rate = fig.employer_deduction_rate
    step5 = nese * rate / (1 + rate)
    step6 = fig.compensation_limit * rate
    step12 = (nese - deferrals) / 2
    maximum = floor_cents(non_negative(min(step5, step6, annual_additions_left, step12)))
    return EmployerWorksheet(step5, step6, annual_additions_left, step12, maximum)


def employer_max_s_corp(
    w2_pay: Decimal, deferrals: Decimal, annual_additions_left: Decimal, fig: YearFigures
) -> EmployerWorksheet:
    """An S-corp owner's employer contribution: at most 25% of W-2 pay counted up to the
    §401(a)(17) limit (§404(a)(3)), within §415(c) less deferrals and 100% of W-2 pay."""
    rate = fig.employer_deduction_rate
    rate_limit = min(w2_pay, fig.compensation_limit) * rate
    pay_left = w2_pay - deferrals
    maximum = floor_cents(non_negative(min(rate_limit, annual_additions_left, pay_left)))
    return EmployerWorksheet(
        rate_limit, fig.compensation_limit * rate, annual_additions_left, pay_left, maximum
    )
