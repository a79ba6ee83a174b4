#!/usr/bin/env python3
"""Prints Scripts/bench's table: target vs measured, PASS/MISS per row, from the JSON reports in a directory."""
import json
import os
import sys

out, scale = sys.argv[1], int(sys.argv[2])


def load(name):
    try:
        with open(os.path.join(out, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def fmt(value, unit):
    return "n/a" if value is None else f"{value:.2f} {unit}" if isinstance(value, float) else f"{value} {unit}"


rows = []


def row(scenario, target, measured, ok):
    rows.append((scenario, target, measured, "PASS" if ok else "MISS"))


s1, s3, s4, s5, s5d, s6, s7, floor, raw, s1d, s3d, s6d, s7d = (
    load(n) for n in ("s1s2", "s3", "s4", "s5", "s5d", "s6", "s7", "floor", "floor-raw", "s1s2d", "s3d", "s6d", "s7d"))
n = s1.get("proxies", 0)
sync = s1.get("syncSeconds")
row("S1 sync", "all synced <= 10 s", f"{s1.get('synced', 0)}/{n} in {fmt(sync, 's')}", sync is not None and sync <= 10)
rss = s1.get("serverRSSAfterSyncMB")
settled = s1.get("serverRSSSettledMB")
# Judged on the RSS 3 s after sync (every proxy still connected): what meshd keeps, once the buffers it freed after
# the sync went back to the system. The RSS at the moment of sync and the peak are shown too.
row("S1 memory", "RSS <= 300 MB",
    f"{fmt(settled, 'MB')} settled ({fmt(rss, 'MB')} at sync, peak {fmt(s1.get('serverPeakRSSMB'), 'MB')})",
    settled is not None and settled <= 300)
change = s1.get("change") or {}
p99 = (change.get("latency") or {}).get("p99Ms")
row("S2 endpoint", "p99 <= 250 ms", f"p99 {fmt(p99, 'ms')} ({change.get('converged', 0)}/{change.get('affected', 0)})",
    p99 is not None and change.get("converged") == change.get("affected") and p99 <= 250)
pushes = change.get("pushesByType") or {}
others = sum(v for k, v in pushes.items() if k != "eds")
row("S2 only EDS", "only eds pushes", " ".join(f"{k}={v}" for k, v in sorted(pushes.items())) or "n/a",
    bool(pushes) and others == 0 and pushes.get("eds", 0) > 0)
c3 = s3.get("change") or {}
p99_3 = (c3.get("latency") or {}).get("p99Ms")
row("S3 VirtualService", "p99 <= 1000 ms", f"p99 {fmt(p99_3, 'ms')} ({c3.get('converged', 0)}/{c3.get('affected', 0)})",
    p99_3 is not None and c3.get("converged") == c3.get("affected") and p99_3 <= 1000)
# Delta: the same rows over Delta xDS, each also judged against SotW's figure of the same run (Delta <= SotW).
d_sync = s1d.get("syncSeconds")
row("S1 Delta sync", "<= 10 s and <= SotW", f"{s1d.get('synced', 0)}/{s1d.get('proxies', 0)} in {fmt(d_sync, 's')} (SotW {fmt(sync, 's')})",
    d_sync is not None and d_sync <= 10 and sync is not None and d_sync <= sync)
d_settled = s1d.get("serverRSSSettledMB")
row("S1 Delta memory", "RSS <= 300 MB and <= SotW", f"{fmt(d_settled, 'MB')} settled (SotW {fmt(settled, 'MB')})",
    d_settled is not None and d_settled <= 300 and settled is not None and d_settled <= settled)
d_change = s1d.get("change") or {}
d_p99 = (d_change.get("latency") or {}).get("p99Ms")
row("S2 Delta endpoint", "p99 <= 250 ms and <= SotW",
    f"p99 {fmt(d_p99, 'ms')} ({d_change.get('converged', 0)}/{d_change.get('affected', 0)}; SotW {fmt(p99, 'ms')})",
    d_p99 is not None and d_change.get("converged") == d_change.get("affected") and d_p99 <= 250
    and p99 is not None and d_p99 <= p99)
d_c3 = s3d.get("change") or {}
d_p99_3 = (d_c3.get("latency") or {}).get("p99Ms")
row("S3 Delta VirtualService", "p99 <= 1000 ms and <= SotW",
    f"p99 {fmt(d_p99_3, 'ms')} ({d_c3.get('converged', 0)}/{d_c3.get('affected', 0)}; SotW {fmt(p99_3, 'ms')})",
    d_p99_3 is not None and d_c3.get("converged") == d_c3.get("affected") and d_p99_3 <= 1000
    and p99_3 is not None and d_p99_3 <= p99_3)
s4sync = s4.get("syncSeconds")
s4note = f" (skipped: {s4['skipped']})" if s4.get("skipped") else ""
row("S4 sync", "all synced", f"{s4.get('synced', 0)}/{s4.get('proxies', 0)} in {fmt(s4sync, 's')}{s4note}", s4sync is not None)
rss4 = s4.get("serverRSSAfterSyncMB")
settled4 = s4.get("serverRSSSettledMB")
row("S4 memory", "RSS <= 1024 MB",
    f"{fmt(settled4, 'MB')} settled ({fmt(rss4, 'MB')} at sync, peak {fmt(s4.get('serverPeakRSSMB'), 'MB')})",
    settled4 is not None and settled4 <= 1024)
rc = s5.get("reconnect") or {}
row("S5 resync", "all resynced <= 10 s", f"{rc.get('resynced', 0)}/{s5.get('proxies', 0)} in {fmt(rc.get('seconds'), 's')}",
    rc.get("seconds") is not None and rc["seconds"] <= 10)
rd = s5d.get("reconnect") or {}
row("S5 Delta resync", "all resynced <= 10 s", f"{rd.get('resynced', 0)}/{s5d.get('proxies', 0)} in {fmt(rd.get('seconds'), 's')}",
    rd.get("seconds") is not None and rd["seconds"] <= 10)
unchanged = rd.get("unchangedResent")
row("S5 Delta re-sent", "0 unchanged resources re-sent",
    f"{unchanged} unchanged, {rd.get('resourcesResent', 'n/a')} in all (SotW: {rc.get('resourcesResent', 'n/a')})",
    unchanged == 0 and rd.get("seconds") is not None)
c6 = s6.get("change") or {}
p99_6 = (c6.get("latency") or {}).get("p99Ms")
ok6 = p99 is not None and p99_6 is not None and p99_6 <= p99 * 1.10
row("S6 stalled proxy", "p99 within 10% of S2", f"p99 {fmt(p99_6, 'ms')} vs {fmt(p99, 'ms')}", ok6)
c6d = s6d.get("change") or {}
d_p99_6 = (c6d.get("latency") or {}).get("p99Ms")
row("S6 Delta stalled proxy", "p99 within 10% of Delta S2",
    f"p99 {fmt(d_p99_6, 'ms')} vs {fmt(d_p99, 'ms')}",
    d_p99 is not None and d_p99_6 is not None and d_p99_6 <= d_p99 * 1.10)


def churn_row(name, report, sotw_p99=None):
    """S7: p99 <= 500 ms and keeping up; over Delta also no slower than SotW's p99 of the same run."""
    churn = report.get("churn") or {}
    p99_7 = churn.get("p99Ms")
    first, last = churn.get("firstTenthFullMs"), churn.get("lastTenthFullMs")
    # Keeping up: every move written on time, every proxy-move pair received (or superseded by a later move of the
    # same service), and the last tenth of the moves reaching every proxy no slower than twice the first tenth.
    kept_up = (churn.get("lateWrites") == 0
               and churn.get("received", 0) + churn.get("superseded", 0) == churn.get("expected", -1)
               and first is not None and last is not None and last <= 2 * max(first, 1))
    versus = "" if sotw_p99 is None else f" (SotW p99 {fmt(sotw_p99, 'ms')})"
    row(name, "p99 <= 500 ms, keeps up" + ("" if name == "S7 churn" else ", <= SotW"),
        f"p50 {fmt(churn.get('p50Ms'), 'ms')} p99 {fmt(p99_7, 'ms')} max {fmt(churn.get('maxMs'), 'ms')}{versus}; "
        f"{churn.get('received', 0)}/{churn.get('expected', 0)} received, {churn.get('superseded', 0)} superseded, "
        f"{churn.get('lateWrites', 'n/a')} writes late; "
        f"all proxies {fmt(first, 'ms')} first 10% / {fmt(last, 'ms')} last 10%; "
        f"meshd {fmt(churn.get('serverCPUSeconds'), 'CPU-s')}, {fmt(churn.get('serverRSSMB'), 'MB')} "
        f"(peak {fmt(churn.get('serverPeakRSSMB'), 'MB')})",
        p99_7 is not None and p99_7 <= 500 and kept_up
        and (name == "S7 churn" or (sotw_p99 is not None and p99_7 <= sotw_p99)))
    return p99_7


sotw_p99_7 = churn_row("S7 churn", s7)
churn_row("S7 Delta churn", s7d, sotw_p99=sotw_p99_7)
fs = floor.get("syncSeconds")
ratio = sync / fs if sync and fs else None
row("Floor", "meshd / replay <= 2x", f"{fmt(sync, 's')} / {fmt(fs, 's')} = {fmt(ratio, 'x')}", ratio is not None and ratio <= 2)
rs = raw.get("syncSeconds")
replay_raw = fs / rs if fs and rs else None
meshd_raw = sync / rs if sync and rs else None
# No target: how much of the replay floor is HTTP/2 and gRPC rather than bytes through the kernel.
rows.append(("Raw floor", "replay / raw, meshd / raw",
             f"raw {fmt(rs, 's')} ({raw.get('finished', 0)}/{raw.get('proxies', 0)}): replay / raw = {fmt(replay_raw, 'x')}, "
             f"meshd / raw = {fmt(meshd_raw, 'x')}", "-"))

title = "Scripts/bench" + (" --quick (scaled down 10x: targets only indicative)" if scale != 1 else "")
print(title)
widths = [max(len(r[i]) for r in rows + [("scenario", "target", "measured", "result")]) for i in range(4)]
for r in [("scenario", "target", "measured", "result")] + rows:
    print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)))
