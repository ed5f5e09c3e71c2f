"""Generate the stress library `scenarios/stress/*.yaml` from the shared historical data.

    python tools/make_stress_library.py [DATA_DIR] [OUT_DIR]

(defaults: ../shared/data next to the repository, and scenarios/stress). Every figure written into
a file's comments and shocks is computed here from the Binance ETH/USDT hourly prices and the
ETHUSDT / BTCUSDT 8-hourly funding files; the public-source lines are written by hand in
`EPISODES`. tests/test_stress.py regenerates the library and checks it matches the shipped files.

Per episode: the base market is GBM at the 30-day realised vol before the episode with OU funding
at the 30-day mean rate; the episode's path is a chain of price shocks between turning points of
the hourly closes (a zigzag with the episode's reversal threshold, plus the window's lowest and
highest close), starting on day 1; a vol
multiplier over the window (realised vol around the legs, each leg demeaned, over the base vol)
and another for the rest of the horizon (the realised vol of the days that followed); the funding
forced to the mean settled ETH rate of each block of `funding_block_h` hours.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def fund(path):
    with open(path, newline="") as fh:
        rr = list(csv.DictReader(fh))
    return np.array([stamp(r["timestamp"]) for r in rr], dtype=np.int64), np.array(
        [float(r["funding_rate"]) for r in rr]
    )


T = C = H = L = FT = FR = BT = BR = np.empty(0)
DATA_LABEL = "../shared/data"


def ts(s):
    return int(datetime.fromisoformat(s).replace(tzinfo=UTC).timestamp())


def iso(t):
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%MZ")


def price_at(t):
    """close of the bar stamped t - 1h = the price at time t"""
    k = np.searchsorted(T, t - 3600)
    assert T[k] == t - 3600, iso(t)
    return C[k]


def hourly_returns(a, b):
    m = (T >= a - 3600) & (T < b)
    i = np.where(m)[0]
    r = np.diff(np.log(C[i]))
    ok = np.diff(T[i]) == 3600
    return r[ok]


def zig(a, b, th):
    m = (T >= a) & (T < b)
    i = np.where(m)[0]
    c = C[i]
    t = T[i] + 3600
    pts = [(a, price_at(a))]
    hi = lo = (c[0], t[0])
    trend = 0
    for k in range(len(c)):
        if c[k] > hi[0]:
            hi = (c[k], t[k])
        if c[k] < lo[0]:
            lo = (c[k], t[k])
        if trend >= 0 and c[k] < hi[0] * (1 - th) and hi[1] > pts[-1][0]:
            if trend > 0 or hi[0] > pts[-1][1] * (1 + th):
                pts.append((hi[1], hi[0]))
            trend = -1
            lo = (c[k], t[k])
        elif trend <= 0 and c[k] > lo[0] * (1 + th) and lo[1] > pts[-1][0]:
            if trend < 0 or lo[0] < pts[-1][1] * (1 - th):
                pts.append((lo[1], lo[0]))
            trend = 1
            hi = (c[k], t[k])
    if pts[-1][0] != b:
        pts.append((b, price_at(b)))
    # the window's lowest and highest closes are always turning points (a crash that rebounds by
    # less than the threshold before the window ends keeps its trough)
    for k in (int(np.argmin(c)), int(np.argmax(c))):
        if all(t[k] != q[0] for q in pts) and a < t[k] < b:
            pts.append((t[k], c[k]))
    return sorted(pts)


def g(x, d=4):
    return f"{x:.{d}g}"


def day(h):
    h = int(h)
    return repr(h / 24) if h % 24 else str(h // 24)


EP = {}


def episode(key, **kw):
    EP[key] = kw


def make(
    key, title, start, end, threshold, horizon_days, funding_block_h, sources, notes=(), btc=False
):
    a, b = ts(start), ts(end)
    pre = hourly_returns(a - 30 * 86400, a)
    vol0 = float(pre.std() * math.sqrt(8760))
    base_vol = round(vol0, 2)
    pts = zig(a, b, threshold)
    # residual vol inside the legs (each leg demeaned)
    res = []
    for (t0, _p0), (t1, _p1) in itertools.pairwise(pts):
        r = hourly_returns(t0, t1)
        res.append(r - r.mean())
    resid = np.concatenate(res)
    vol_in = float(resid.std() * math.sqrt(8760))
    mult_in = round(vol_in / base_vol, 1)
    day0 = 1.0
    ep_hours = (b - a) // 3600
    post_days = horizon_days - day0 - ep_hours / 24
    post = hourly_returns(b, b + int(post_days * 86400))
    vol_post = float(post.std() * math.sqrt(8760))
    mult_post = round(vol_post / base_vol, 1)
    # funding
    fm = (FT > a - 30 * 86400) & (FT <= a)
    f_pre = float(FR[fm].mean())
    f_last = float(FR[FT <= a][-1])
    win = (FT > a) & (FT <= b)
    fw = FR[win]
    # data figures
    m = (T >= a) & (T < b)
    i = np.where(m)[0]
    lo = L[i].min()
    hi = H[i].max()
    tlo = T[i][np.argmin(L[i])]
    thi = T[i][np.argmax(H[i])]
    p_a, p_b = price_at(a), price_at(b)
    r = hourly_returns(a, b)
    wh = np.argmin(r)
    bh = np.argmax(r)
    out = []
    w = out.append
    w(f"# Stress scenario: {title}")
    w("#")
    w(
        f"# The episode in the data (ETH/USDT spot, Binance hourly: {DATA_LABEL}/eth_usdt_1h_binance_spot.csv;"
    )
    w(
        "# funding: eth_usdt_perp_funding_8h_binance.csv; prices at the hour = the close of the bar before):"
    )
    w(
        f"#   {iso(a)} {g(p_a, 6)} -> {iso(b)} {g(p_b, 6)}: {100 * (p_b / p_a - 1):+.1f} % over {ep_hours} h"
    )
    w(
        f"#   intrabar low {g(lo, 6)} ({iso(tlo)} bar, {100 * (lo / p_a - 1):+.1f} % from the start); high {g(hi, 6)} ({iso(thi)} bar, {100 * (hi / p_a - 1):+.1f} %)"
    )
    w(
        f"#   worst hour {100 * math.expm1(r[wh]):+.1f} %, best hour {100 * math.expm1(r[bh]):+.1f} %; realised vol (hourly returns, annualised)"
    )
    w(
        f"#   {vol0:.2f} in the 30 days before, {float(r.std() * math.sqrt(8760)):.2f} in the window, {vol_post:.2f} in the {post_days:g} days after"
    )
    w(
        f"#   ETH funding per 8 h: {len(fw)} settlements in the window, mean {100 * fw.mean():.4f} %, min {100 * fw.min():.4f} %, max {100 * fw.max():.4f} %;"
    )
    w(
        f"#   30 days before: mean {100 * f_pre:.4f} %; last settlement before the window {100 * f_last:.4f} %"
    )
    if btc:
        bw = (BT > a) & (BT <= b)
        bf = BR[bw]
        w(
            f"#   BTC funding per 8 h (btc_usdt_perp_funding_8h_binance.csv): mean {100 * bf.mean():.4f} %, max {100 * bf.max():.4f} % ({iso(BT[bw][np.argmax(bf)])})"
        )
    w("#")
    w(
        "# Public sources (press figures; liquidation totals are aggregator estimates and differ by source):"
    )
    for s in sources:
        w(f"#   {s}")
    w("#")
    w(
        "# How the scenario reproduces it: one quiet day at the pre-episode market (GBM at the 30-day"
    )
    w(
        "# realised vol, OU funding at the 30-day mean funding), then from day 1 the episode's path as price"
    )
    w("# shocks between its turning points (the lowest and highest hourly close, and the closes")
    w(f"# where the move reversed by more than {100 * threshold:g} %), with the model's own noise")
    w("# scaled to the realised vol around those legs")
    w(
        f"# ({vol_in:.2f}: multiplier {mult_in:g}), the funding forced to the settled rates (mean per"
    )
    w(
        f"# {funding_block_h} h block), and after the window the vol of the {post_days:g} days that followed (multiplier {mult_post:g})."
    )
    for n_ in notes:
        w(f"# {n_}")
    w(
        "# `lphedge stress` takes the pool, hedge and capital (and spot) from the position; this file"
    )
    w("# supplies the market, the shocks and the horizon.")
    w(f"name: stress-{key}")
    w(f"description: {json_str(title)}")
    w(f"horizon_days: {horizon_days}")
    w("step_hours: 1.0")
    w("market:")
    w("  price:")
    w("    model: gbm")
    w("    drift: 0.0")
    w(f"    vol: {base_vol}  # 30-day realised vol before {start[:10]}")
    w("  funding:")
    w("    model: ou")
    w(f"    mean: {f_pre:.8f}  # 30-day mean ETH funding before the episode")
    w(f"    initial: {f_last:.8f}  # the last settlement before the episode")
    w("shocks:")
    hour0 = int(day0 * 24)
    for (t0, p0), (t1, p1) in itertools.pairwise(pts):
        h0 = hour0 + (t0 - a) // 3600
        hh = (t1 - t0) // 3600
        w(
            f"  - {{kind: price, day: {day(h0)}, hours: {hh}, move: {p1 / p0 - 1:.4f}}}  # {iso(t0)} {g(p0, 6)} -> {iso(t1)} {g(p1, 6)}"
        )
    w(
        f"  - {{kind: vol, day: {day(hour0)}, hours: {ep_hours}, multiplier: {mult_in:g}}}  # realised vol around the legs {vol_in:.2f} / {base_vol}"
    )
    if post_days > 0:
        w(
            f"  - {{kind: vol, day: {day(hour0 + ep_hours)}, hours: {int(post_days * 24)}, multiplier: {mult_post:g}}}  # vol of the {post_days:g} days after: {vol_post:.2f} / {base_vol}"
        )
    # funding blocks: block j covers settlements in (a + j*B, a + (j+1)*B]
    B = funding_block_h
    for j in range(0, ep_hours // B + (1 if ep_hours % B else 0)):
        lo_t = a + j * B * 3600
        hi_t = min(a + (j + 1) * B * 3600, b)
        k = (FT > lo_t) & (FT <= hi_t)
        if not k.any():
            continue
        rate = float(FR[k].mean())
        hh = (hi_t - lo_t) // 3600
        w(
            f"  - {{kind: funding, day: {day(hour0 + j * B)}, hours: {hh}, rate: {rate:.8f}}}  # {k.sum()} settlement(s) {iso(lo_t)} to {iso(hi_t)}: mean {100 * rate:.4f} %"
        )
    return "\n".join(out) + "\n"


def json_str(s):
    return json.dumps(s)


EPISODES = [
    dict(
        key="2020-03-black-thursday",
        title="Black Thursday, 12-13 March 2020: COVID-19 crash, ETH -56 % peak to trough in 27 hours",
        start="2020-03-12T00:00",
        end="2020-03-14T00:00",
        threshold=0.10,
        horizon_days=30,
        funding_block_h=8,
        sources=[
            "WHO declared COVID-19 a pandemic on 11 March 2020; US equity futures hit limit-down on 12 March.",
            "MakerDAO: ETH vault auctions won with zero bids for approximately $8.32 million of ETH during",
            "  Ethereum congestion (MakerDAO post-mortem figures as reported, e.g. blockonomi.com, theweal.com 2026-03-07);",
            "  a protocol shortfall of approximately 5.67 million DAI covered by MKR auctions on 19 March 2020.",
            "BitMEX's liquidation engine lagged and the exchange went offline briefly; approximately $1-3 billion",
            "  of liquidations in 24 h depending on the tally (press reports citing Bybt/Coinglass; not verified here).",
        ],
    ),
    dict(
        key="2021-05-19-china-crash",
        title="19 May 2021 crash: China's ban on crypto services for financial institutions, ETH -50 % in 12 days",
        start="2021-05-12T00:00",
        end="2021-05-24T00:00",
        threshold=0.12,
        horizon_days=30,
        funding_block_h=24,
        sources=[
            "Three Chinese industry associations barred financial institutions from crypto services on 18 May 2021",
            "  (livemint.com, 2021-05-20); Tesla suspended bitcoin payments on 12 May 2021.",
            "Liquidations in 24 h: between approximately $5.9 billion and $9.3 billion depending on the source",
            "  (CoinGlass/Bybt as quoted by the press; Bybt figure $8.6-9.3 billion widely reported).",
            "Binance paused ETH and ERC-20 withdrawals for about 90 minutes; Coinbase and Kraken reported outages.",
        ],
    ),
    dict(
        key="2022-05-terra",
        title="Terra/UST collapse, May 2022: UST depeg from 7 May, LUNA to near zero, ETH -39 % to the low",
        start="2022-05-05T00:00",
        end="2022-05-13T00:00",
        threshold=0.08,
        horizon_days=30,
        funding_block_h=24,
        sources=[
            "UST lost its dollar peg from 7-9 May 2022 after large Curve pool withdrawals; LUNA fell from over $80",
            "  to below $1 in five days and approximately $40 billion of Terra value was wiped out (DefiLlama wiki,",
            "  'LUNA Collapse in May 2022'). The Luna Foundation Guard held 80,394 BTC on 7 May (YaaS Analytics).",
            "USDT briefly traded below $1 around 12 May 2022 (data README caveat: the prices are ETH/USDT).",
        ],
    ),
    dict(
        key="2022-11-ftx",
        title="FTX collapse, November 2022: withdrawals halted 8 November, bankruptcy 11 November, ETH -34 % to the low",
        start="2022-11-06T00:00",
        end="2022-11-11T00:00",
        threshold=0.08,
        horizon_days=30,
        funding_block_h=8,
        sources=[
            "6 Nov 2022: Binance said it would sell its FTT; 8 Nov: Binance signed a non-binding letter of intent",
            "  to buy FTX; 9-10 Nov: Binance withdrew; 11 Nov: FTX filed for Chapter 11 (CBS News, 2022-11-11).",
            "Bitcoin fell below $16,000 on 10 Nov for the first time since 2020 (finance-monthly.com); CoinGlass",
            "  reported more than $870 million of liquidations after 8 Nov (Investopedia).",
        ],
    ),
    dict(
        key="2024-08-05-yen-carry",
        title="5 August 2024: yen carry-trade unwind, Nikkei 225 -12 %, ETH -34 % to the low",
        start="2024-08-02T00:00",
        end="2024-08-07T00:00",
        threshold=0.08,
        horizon_days=30,
        funding_block_h=8,
        sources=[
            "The Bank of Japan raised its policy rate to 0.25 % on 31 July 2024; USD/JPY fell from about 153 to 145;",
            "  on 5 August the Nikkei 225 fell about 12 %, its worst day since 1987 (cryptopragmatist.com; press).",
            "Crypto liquidations of approximately $1.08 billion in 24 h, $919.5 million of them longs (CoinGlass as",
            "  quoted on binance.com/square); Jump Trading's ETH sales of approximately $370 million were reported.",
        ],
    ),
    dict(
        key="2025-10-10-tariff-liquidations",
        title="10 October 2025: US 100 % tariff announcement on China, the record liquidation day",
        start="2025-10-10T00:00",
        end="2025-10-12T00:00",
        threshold=0.06,
        horizon_days=30,
        funding_block_h=8,
        sources=[
            "Over $19 billion of positions liquidated in 24 h across venues, about 1.6 million accounts, $16.7 billion",
            "  of them longs: the largest on record (CoinGlass, as reported by decryptnews.world 2025-10-11 and others).",
            "Amberdata: a cascade from 20:50 UTC liquidated $6.93 billion in 40 minutes, $3.21 billion in the minute",
            "  to 21:15 UTC (as quoted on binance square); the data's lowest bar is 21:00Z (ETH 3435).",
            "Hyperliquid alone recorded approximately $10.3 billion of liquidations; Binance's futures insurance",
            "  fund paid approximately $188 million (press reports; approximate).",
        ],
    ),
    dict(
        key="2021-q1-eth-squeeze",
        title="ETH squeeze, Q1 2021: +160 % in 51 days with record funding (a short hedge's worst case)",
        start="2021-01-01T00:00",
        end="2021-02-21T00:00",
        threshold=0.15,
        horizon_days=60,
        funding_block_h=168,
        sources=[
            "ETH broke its 2018 record ($1,432) on 19-20 January 2021 (u.today) and passed $2,000 on 20 February",
            "  2021 (record $2,040.62, cyprus-mail.com 2021-02-20); CME ether futures launched on 7-8 February 2021.",
            "Average ETH perpetual funding across exchanges reached a record of approximately 0.21 % per 8 h in early",
            "  January 2021 (Glassnode, as quoted by cyprus-mail.com); Binance settled 0.375 % on 4 January (data).",
        ],
        notes=[
            "A short perp loses on the way up and its margin shrinks: with 3x leverage a +30 % leg",
            "without rebalancing is near liquidation; the high funding it receives only partly offsets that.",
        ],
    ),
    dict(
        key="2024-02-btc-etf-rally",
        title="Spot-ETF rally, Feb-Mar 2024: BTC to a record near $73,800 on 14 March, ETH +70 % in 6 weeks",
        start="2024-02-01T00:00",
        end="2024-03-15T00:00",
        threshold=0.10,
        horizon_days=60,
        funding_block_h=168,
        btc=True,
        sources=[
            "US spot bitcoin ETFs (launched 11 January 2024) drew record inflows; BTC set a record of $69,324 on",
            "  5 March 2024 (Coinbase; fxstreet.com) and approximately $73,800 on 14 March (btcnews.biz: $73,887),",
            "  with about $1.07 billion of liquidations in the 5 March swing (CoinGlass via cryptorenews.com).",
            "The data hold BTC funding but not BTC prices: this scenario replays the ETH path of the same weeks",
            "  (ETH/USDT +70 %, the position's own asset) with ETH funding, and gives BTC's funding for reference.",
        ],
    ),
]


def load(data: Path) -> None:
    """Read the CSV files into the module's arrays (T, C, H, L prices; FT, FR / BT, BR funding)."""
    global T, C, H, L, FT, FR, BT, BR, DATA_LABEL
    with (data / "eth_usdt_1h_binance_spot.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    T = np.array([stamp(r["timestamp"]) for r in rows], dtype=np.int64)
    C = np.array([float(r["close"]) for r in rows])
    H = np.array([float(r["high"]) for r in rows])
    L = np.array([float(r["low"]) for r in rows])
    FT, FR = fund(data / "eth_usdt_perp_funding_8h_binance.csv")
    BT, BR = fund(data / "btc_usdt_perp_funding_8h_binance.csv")
    DATA_LABEL = "../shared/data"


def stamp(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def generate(data: Path, out: Path) -> list[Path]:
    """Write every episode's YAML into `out`; returns the files written."""
    load(data)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for e in EPISODES:
        path = out / f"{e['key']}.yaml"
        path.write_text(make(**e), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    out_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else REPO / "scenarios" / "stress"
    for p in generate(data_dir, out_dir):
        print(p)
